// A few DOM helpers, so the widget needs no framework: `h()` builds elements, `icon()` draws
// the inline SVG icons (no image files, nothing fetched), and the focus helpers keep keyboard
// users inside the modal. Styles are only ever set through CSSOM (el.style.x, adopted sheets),
// which a host page's strict Content-Security-Policy allows.

type Child = Node | string | null | undefined | false;
type Props = Record<string, unknown>;

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'type', 'multiple', 'accept', 'tabIndex', 'id', 'name', 'href']);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else if (PROPERTIES.has(k)) (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
}

export function clear(el: Node): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

const PATHS: Record<string, string> = {
  local: 'M4 5h16v10H4zM2 18.5h20',
  url: 'M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1',
  cloud: 'M7 18h10a4 4 0 0 0 .5-8 6 6 0 0 0-11.4 1.5A3.3 3.3 0 0 0 7 18z',
  folder: 'M3 6.5h6l2 2h10v10H3z',
  file: 'M6 3h8l4 4v14H6zM14 3v4h4',
  image: 'M4 5h16v14H4zM4 16l5-5 4 4 2-2 5 5M15.5 9.5h.01',
  close: 'M6 6l12 12M18 6L6 18',
  retry: 'M4 12a8 8 0 1 0 2.3-5.6M4 4v5h5',
  check: 'M5 12.5l4.5 4.5L19 7',
  alert: 'M12 8v5M12 16.5h.01M12 3l10 18H2z',
  upload: 'M12 16V4M7 9l5-5 5 5M4 20h16',
  chevron: 'M9 6l6 6-6 6',
};

export function icon(name: keyof typeof PATHS | string, size = 20): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', PATHS[name] ?? PATHS.file!);
  svg.appendChild(path);
  return svg;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Elements Tab can reach inside `root`, in order (hidden ones left out). */
export function tabbable(root: ParentNode): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => el.tabIndex >= 0 && !el.closest('[hidden], [inert]') && el.getClientRects().length > 0,
  );
}

/** The element that has focus, looking through shadow roots. */
export function deepActiveElement(): Element | null {
  let el: Element | null = document.activeElement;
  while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
  return el;
}

/**
 * Moves focus among `items` with the arrow keys, Home and End (roving tabindex: only the current
 * item is in the Tab order). `axis` "both" also takes Left/Right, for tab lists.
 */
export function rovingKeys(e: KeyboardEvent, items: HTMLElement[], axis: 'vertical' | 'both'): boolean {
  const root = items[0]?.getRootNode() as ShadowRoot | Document | undefined;
  const current = items.findIndex((el) => el === root?.activeElement);
  if (current < 0) return false;
  const steps: Record<string, number> = { ArrowDown: current + 1, ArrowUp: current - 1, Home: 0, End: items.length - 1 };
  if (axis === 'both') Object.assign(steps, { ArrowRight: current + 1, ArrowLeft: current - 1 });
  const next = steps[e.key];
  if (next === undefined) return false;
  e.preventDefault();
  const target = items[(next + items.length) % items.length]!;
  for (const el of items) el.tabIndex = el === target ? 0 : -1;
  target.focus();
  return true;
}
