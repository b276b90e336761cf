// The picker's host element and, when it is a modal, what makes it one: the page behind cannot
// scroll or keep focus (focus that escapes is brought back), Tab and Shift+Tab cycle inside the
// dialog, Escape closes it, and focus returns where it was once it closes. Inline pickers get
// the host only: they are part of the page.
import { CSS } from './styles.js';
import { deepActiveElement, h, tabbable } from './dom.js';

let sharedSheet: CSSStyleSheet | undefined;

function adoptStyles(root: ShadowRoot): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet !== 'undefined' && 'replaceSync' in CSSStyleSheet.prototype) {
    // Constructed sheets are not subject to the page's style-src: the picker works under a strict CSP.
    if (!sharedSheet) {
      sharedSheet = new CSSStyleSheet();
      sharedSheet.replaceSync(CSS);
    }
    root.adoptedStyleSheets = [sharedSheet];
  } else {
    root.appendChild(h('style', { text: CSS }));
  }
}

/** The element the picker lives in, with its styles in a shadow root. */
export function createHost(modal: boolean): { host: HTMLElement; root: ShadowRoot } {
  const host = document.createElement('div');
  host.setAttribute('data-ferry-picker', '');
  if (modal) Object.assign(host.style, { position: 'fixed', inset: '0', zIndex: '2147483000' });
  else host.style.height = '100%';
  const root = host.attachShadow({ mode: 'open' });
  adoptStyles(root);
  return { host, root };
}

/**
 * Makes the page behind the modal inert: no scrolling, and focus that lands outside `host` (a
 * click elsewhere, assistive technology) is brought back to the dialog. Returns what undoes it
 * and puts focus back where it was.
 */
export function holdPage(host: HTMLElement, dialog: HTMLElement): () => void {
  const returnFocus = deepActiveElement() as HTMLElement | null;
  const savedOverflow = document.documentElement.style.overflow;
  document.documentElement.style.overflow = 'hidden';
  const onFocus = (e: FocusEvent) => {
    if (e.target === host || host.contains(e.target as Node)) return;
    (tabbable(dialog)[0] ?? dialog).focus();
  };
  document.addEventListener('focusin', onFocus);
  return () => {
    document.removeEventListener('focusin', onFocus);
    document.documentElement.style.overflow = savedOverflow;
    if (returnFocus?.isConnected) returnFocus.focus();
  };
}

/** The modal's keys: Escape closes; Tab and Shift+Tab stay inside the dialog. */
export function modalKeys(e: KeyboardEvent, root: ShadowRoot, dialog: HTMLElement, close: () => void): void {
  if (e.key === 'Escape') {
    e.preventDefault();
    e.stopPropagation();
    close();
    return;
  }
  if (e.key !== 'Tab') return;
  const items = tabbable(dialog);
  if (items.length === 0) return;
  const first = items[0]!;
  const last = items[items.length - 1]!;
  const active = root.activeElement;
  const inside = active !== null && dialog.contains(active);
  if (e.shiftKey && (!inside || active === first)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (!inside || active === last)) {
    e.preventDefault();
    first.focus();
  }
}
