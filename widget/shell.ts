// The picker's frame: title, source tabs on the side, the pane, the messages box, the list of
// files, and the footer (overall progress, a note, two buttons), plus a polite live region. Built
// once per opening; the other parts fill it in. Modal or inline, the structure is the same.
import { clear, h, icon } from './dom.js';
import type { Translator } from './i18n.js';

export interface Shell {
  dialog: HTMLElement;
  tabs: HTMLElement;
  pane: HTMLElement;
  messages: HTMLElement;
  queueWrap: HTMLElement;
  queue: HTMLUListElement;
  overall: HTMLElement;
  overallText: HTMLElement;
  overallBar: HTMLElement;
  overallFill: HTMLElement;
  note: HTMLElement;
  primary: HTMLButtonElement;
  secondary: HTMLButtonElement;
  foot: HTMLElement;
  live: HTMLElement;
}

export interface ShellActions {
  primary(): void;
  secondary(): void;
  close(): void;
  keydown(e: KeyboardEvent): void;
}

export function buildShell(root: ShadowRoot, t: Translator, modal: boolean, on: ShellActions): Shell {
  const live = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t.t('sources'), 'aria-orientation': 'vertical' });
  const pane = h('div', { class: 'pane', role: 'tabpanel', id: 'ferry-pane' });
  const messages = h('div', { class: 'messages', role: 'alert', hidden: true });
  const queue = h('ul', { class: 'queue', 'aria-label': t.t('queue_label') });
  const queueWrap = h('div', { class: 'queue-wrap', hidden: true }, queue);
  const overallFill = h('div', { class: 'fill' });
  const overallBar = h('div', { class: 'progress', role: 'progressbar', 'aria-label': t.t('overall_label'), 'aria-valuemin': 0, 'aria-valuemax': 100 }, overallFill);
  const overallText = h('span', { class: 'overall-text' });
  const overall = h('div', { class: 'overall', hidden: true }, overallText, overallBar);
  const note = h('p', { class: 'note' });
  const secondary = h('button', { class: 'btn', type: 'button', hidden: true, onClick: () => on.secondary() });
  const primary = h('button', { class: 'btn primary', type: 'button', onClick: () => on.primary() });
  const foot = h('div', { class: 'foot' }, h('div', { class: 'info' }, overall, note), h('div', { class: 'buttons' }, secondary, primary));
  const dialog = h(
    'div',
    {
      class: 'dialog',
      role: modal ? 'dialog' : 'region',
      'aria-modal': modal ? 'true' : undefined,
      'aria-labelledby': 'ferry-title',
      lang: t.lang,
      onKeydown: (e: KeyboardEvent) => on.keydown(e),
    },
    h(
      'div',
      { class: 'head' },
      h('h2', { id: 'ferry-title', text: t.t('title') }),
      modal ? h('button', { class: 'icon-btn', type: 'button', 'aria-label': t.t('close'), 'data-close': '', onClick: () => on.close() }, icon('close')) : null,
    ),
    h('div', { class: 'body' }, tabs, h('div', { class: 'main' }, pane, messages, queueWrap)),
    foot,
    live,
  );
  root.appendChild(h('div', { class: `root ${modal ? 'modal' : 'inline'}` }, modal ? h('div', { class: 'backdrop' }, dialog) : dialog));
  return { dialog, tabs, pane, messages, queueWrap, queue, overall, overallText, overallBar, overallFill, note, primary, secondary, foot, live };
}

/** Shows why files were refused or vetoed (an empty list hides the box). */
export function showMessages(shell: Shell, messages: string[]): void {
  const box = shell.messages;
  clear(box);
  box.hidden = messages.length === 0;
  if (messages.length) box.append(icon('alert', 18), h('ul', {}, ...messages.map((m) => h('li', { text: m }))));
}

/** Says something to screen readers; emptied first so the same sentence twice is heard twice. */
export function announce(shell: Shell, text: string): void {
  const live = shell.live;
  live.textContent = '';
  setTimeout(() => (live.textContent = text), 50);
}
