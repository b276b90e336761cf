// The My Device pane: a drop zone with a Browse button over a hidden file input, and the rules
// (count, size, types) said up front. Files dropped, browsed or pasted become proposals here.
import { h, icon } from './dom.js';
import type { Translator } from './i18n.js';
import type { PaneContext, Proposal } from './pane-context.js';
import { acceptAttribute, typeOf } from './restrictions.js';

/** Browser files as proposals from the device. */
export function deviceProposals(files: File[]): Proposal[] {
  return files.map((file) => ({ name: file.name || 'file', size: file.size, type: typeOf(file.name, file.type), source: 'local' as const, file }));
}

/** Proposes files from the device (nothing when there are none). */
export function addDeviceFiles(ctx: PaneContext, files: File[]): void {
  if (files.length === 0) return;
  void ctx.add(deviceProposals(files));
}

function rulesText({ t, rules }: PaneContext): string {
  const parts: string[] = [];
  if (rules.maxFiles !== undefined) parts.push(t.t('rule_max_files', { count: rules.maxFiles }));
  if (rules.maxSize !== undefined) parts.push(t.t('rule_max_size', { max: t.bytes(rules.maxSize) }));
  if (rules.accept.length) parts.push(t.t('rule_accept', { accept: rules.accept.join(', ') }));
  return parts.join(' · ');
}

/**
 * Says whether files are chosen: the narrow layout then folds the drop zone into a bar
 * (styles.ts), and the zone's button, wherever it is, reads "Add more files".
 */
export function markHasFiles(dialog: HTMLElement, has: boolean, t: Translator): void {
  dialog.classList.toggle('has-files', has);
  const browse = dialog.querySelector<HTMLElement>('[data-browse]');
  const label = t.t(has ? 'add_more' : 'browse');
  if (browse && browse.textContent !== label) browse.textContent = label;
}

export function devicePane(ctx: PaneContext): HTMLElement {
  const { t, rules } = ctx;
  const input = h('input', {
    type: 'file',
    multiple: rules.maxFiles !== 1,
    accept: acceptAttribute(rules.accept) || undefined,
    hidden: true,
    onChange: () => {
      addDeviceFiles(ctx, Array.from(input.files ?? []));
      input.value = '';
    },
  });
  const title = h('p', { class: 'drop-title', text: t.t('drop_title') });
  const rulesLine = rulesText(ctx);
  const zone = h(
    'div',
    { class: 'drop', 'data-drop': '' },
    h('div', { class: 'big' }, icon('upload', 40)),
    title,
    // Touch-only devices cannot drop or paste: styles.ts shows them the touch title instead.
    h('p', { class: 'touch-title', text: t.t('drop_title_touch') }),
    h('p', { class: 'drop-hint', text: t.t('drop_hint') }),
    h('button', { class: 'btn primary', type: 'button', 'data-browse': '', onClick: () => input.click() }, t.t('browse')),
    rulesLine ? h('p', { class: 'rules', text: rulesLine }) : null,
    input,
  );
  // dragenter and dragleave fire for every child crossed: count them, so the highlight stays on.
  let depth = 0;
  const over = (on: boolean) => {
    zone.classList.toggle('over', on);
    title.textContent = t.t(on ? 'drop_active' : 'drop_title');
  };
  zone.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth++;
    over(true);
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('dragleave', () => {
    if (--depth <= 0) {
      depth = 0;
      over(false);
    }
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    over(false);
    addDeviceFiles(ctx, Array.from(e.dataTransfer?.files ?? []));
  });
  return zone;
}
