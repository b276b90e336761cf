// Long file names are cut in the middle, not at the end: what tells two photos or two scans
// apart is usually at the end ("… (3).pdf", "…_0412.jpg"), and the extension says what the file
// is. The name is drawn twice: once whole, as plain text for screen readers (visually hidden),
// and once for the eye (hidden from assistive technology) as two spans, a start that CSS
// shortens with an ellipsis as the row narrows and an end that is never shortened. So the cut
// follows the real width with no measuring of text in script, and accessible names stay whole
// (two spans as flex items would be read as two words).
import { h } from './dom.js';

/** Characters of the name kept before its extension in the part that is never cut. */
const KEPT_BEFORE_EXTENSION = 5;
/** Longer "extensions" are a part of the name with a dot in it, not a type. */
const MAX_EXTENSION = 10;

/** Splits a name into the start (cut if need be) and the end (always shown): the extension and a few characters before it. */
export function splitName(name: string): [start: string, end: string] {
  const chars = Array.from(name); // code points, so no emoji or accented letter is split in two
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= MAX_EXTENSION + 1 ? Array.from(name.slice(dot)).length : 0;
  let cut = chars.length - Math.min(chars.length, ext + KEPT_BEFORE_EXTENSION + (ext ? 0 : 1));
  // A space at the cut stays with the start, so the end never opens with a gap after the "…".
  while (cut < chars.length - ext && /\s/.test(chars[cut]!)) cut++;
  return [chars.slice(0, cut).join(''), chars.slice(cut).join('')];
}

export interface NameView {
  /** The whole name, for screen readers and the element's text. */
  full: HTMLElement;
  /** What is seen: the start and the end, cut in the middle when the row is narrow. */
  cut: HTMLElement;
}

/** A name's two elements, to append side by side. */
export function nameView(name: string): NameView {
  const view = { full: h('span', { class: 'name sr-only' }), cut: h('span', { class: 'name-cut', 'aria-hidden': 'true' }) };
  showName(view, name);
  return view;
}

/** Shows `name` in a NameView (and whole in its tooltip). */
export function showName(view: NameView, name: string): void {
  const [start, end] = splitName(name);
  view.full.textContent = name;
  view.cut.replaceChildren(h('span', { class: 'start', text: start }), h('span', { class: 'end', text: end }));
  view.cut.title = name;
}
