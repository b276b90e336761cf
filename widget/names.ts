// Long file names are cut in the middle, not at the end: what tells two photos or two scans
// apart is usually at the end ("… (3).pdf", "…_0412.jpg"), and the extension says what the file
// is. The name is drawn as two spans, a start that CSS shortens with an ellipsis as the row
// narrows and an end that is never shortened, so the cut follows the real width (no measuring
// of text in script) and the element's text is still the whole name for screen readers.
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

/** Fills `el` with the two parts of `name` (and names it in full in its tooltip). */
export function showName(el: HTMLElement, name: string): void {
  const [start, end] = splitName(name);
  el.replaceChildren(h('span', { class: 'start', text: start }), h('span', { class: 'end', text: end }));
  el.title = name;
}
