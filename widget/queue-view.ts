// Draws the upload queue (./upload-queue.ts) into the shell: one row per file (thumbnail, name,
// facts, status, progress bar, its actions), the overall progress of the round, and the footer's
// buttons and note. Rows are built once and brought up to date in place, cheaply enough to run
// on every progress event, and focus on a button that goes away moves to the next sensible one.
import { clear, h, icon } from './dom.js';
import type { Translator } from './i18n.js';
import { markHasFiles } from './device-pane.js';
import { nameView, showName, type NameView } from './names.js';
import type { Shell } from './shell.js';
import { selectedTab } from './source-tabs.js';
import { isSettled, type QueueItem, type Status, type UploadQueue } from './upload-queue.js';

interface RowView {
  li: HTMLLIElement;
  name: NameView;
  sub: HTMLElement;
  status: HTMLElement;
  bar: HTMLElement;
  fill: HTMLElement;
  actions: HTMLElement;
  shown?: Status;
}

export interface QueueViewDeps {
  t: Translator;
  minFiles: number;
  queue: UploadQueue;
  root: ShadowRoot;
  shell: Shell;
  sourceTitle(name: string): string;
  thumbOf(item: QueueItem): string | undefined;
  remove(item: QueueItem): void;
  cancel(item: QueueItem): void;
  retry(item: QueueItem): void;
}

export class QueueView {
  private readonly rows = new Map<QueueItem, RowView>();

  constructor(private readonly d: QueueViewDeps) {}

  renderAll(): void {
    this.renderQueue();
    this.renderOverall();
    this.renderFooter();
  }

  /** Where focus goes when the button it was on disappears. */
  defaultFocus(): HTMLElement | null {
    const { shell } = this.d;
    return !shell.primary.hidden ? shell.primary : selectedTab(shell.tabs);
  }

  /** Whether focus is inside this file's row. */
  hasFocus(item: QueueItem): boolean {
    return this.rows.get(item)?.li.contains(this.d.root.activeElement) ?? false;
  }

  /** The first button of a file's row, if it has one. */
  firstAction(item: QueueItem): HTMLElement | null {
    return this.rows.get(item)?.actions.querySelector<HTMLElement>('button') ?? null;
  }

  /** Takes a file's row away. */
  drop(item: QueueItem): void {
    this.rows.get(item)?.li.remove();
    this.rows.delete(item);
  }

  /** Takes every row away. */
  clear(): void {
    for (const row of this.rows.values()) row.li.remove();
    this.rows.clear();
  }

  private renderQueue(): void {
    const { shell, queue } = this.d;
    shell.queueWrap.hidden = queue.items.length === 0;
    // Narrow pickers fold the drop zone into an "add more" bar once there is a list (styles.ts).
    markHasFiles(shell.dialog, queue.items.length > 0, this.d.t);
    for (const e of queue.items) {
      if (!this.rows.has(e)) {
        const row = this.rowView(e);
        this.rows.set(e, row);
        shell.queue.append(row.li);
      }
      this.update(e);
    }
  }

  private rowView(e: QueueItem): RowView {
    const thumb = h('div', { class: 'thumb' });
    const src = this.d.thumbOf(e);
    if (src) {
      const img = h('img', { alt: '', src, decoding: 'async' });
      img.addEventListener('error', () => img.replaceWith(icon('image')));
      thumb.append(img);
    } else {
      thumb.append(icon(e.selected.type.startsWith('image/') ? 'image' : e.selected.source === 'url' ? 'url' : 'file'));
    }
    const name = nameView(e.selected.filename);
    const status = h('span', { class: 'status' });
    const sub = h('div', { class: 'sub' });
    const fill = h('div', { class: 'fill' });
    const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, fill);
    const actions = h('div', { class: 'actions' });
    const li = h('li', { class: 'item', 'data-entry': e.id }, thumb, h('div', { class: 'info' }, name.full, name.cut, sub, bar), actions);
    return { li, name, sub, status, bar, fill, actions };
  }

  /** Brings one file's row up to date (cheap: called on every progress event). */
  update(e: QueueItem): void {
    const v = this.rows.get(e);
    if (!v) return;
    const { t } = this.d;
    const s = e.selected;
    v.li.dataset.status = e.status;
    if (v.name.full.textContent !== s.filename) {
      showName(v.name, s.filename);
      v.bar.setAttribute('aria-label', s.filename);
    }
    const sub = v.sub;
    const facts = [s.size !== null ? t.bytes(s.size) : null, s.source !== 'local' ? this.d.sourceTitle(s.source) : null].filter((f): f is string => !!f);
    let status: string;
    let fraction: number | null = 0;
    switch (e.status) {
      case 'ready':
        status = t.t('status_ready');
        break;
      case 'queued':
        status = t.t('status_queued');
        break;
      case 'uploading':
        if (e.remote) {
          status = t.t('status_adding');
          fraction = null;
        } else {
          fraction = s.size ? Math.min(1, e.loaded / s.size) : 0;
          status = e.speed !== null ? t.t('status_uploading', { percent: t.percent(fraction), speed: t.speed(e.speed) }) : t.percent(fraction);
        }
        break;
      case 'done':
        status = t.t('status_done');
        fraction = 1;
        break;
      case 'failed':
        status = e.error?.message ?? '';
        fraction = 0;
        break;
      case 'canceled':
        status = t.t('status_canceled');
        break;
    }
    const key = facts.join('\u0000');
    if (sub.dataset.facts !== key || !sub.contains(v.status)) {
      sub.dataset.facts = key;
      clear(sub);
      for (const f of facts) sub.append(h('span', { text: f }), h('span', { 'aria-hidden': 'true', text: '·' }));
      sub.append(v.status);
    }
    v.status.textContent = status;
    v.bar.hidden = e.status === 'ready' || e.status === 'failed' || e.status === 'canceled';
    v.bar.classList.toggle('indeterminate', fraction === null);
    if (fraction === null) {
      v.bar.removeAttribute('aria-valuenow');
      v.bar.setAttribute('aria-valuetext', status);
    } else {
      const percent = Math.round(fraction * 100);
      v.fill.style.width = `${percent}%`;
      v.bar.setAttribute('aria-valuenow', String(percent));
      v.bar.setAttribute('aria-valuetext', e.status === 'uploading' ? status : `${t.percent(fraction)}, ${status}`);
    }
    if (v.shown !== e.status) {
      v.shown = e.status;
      this.renderActions(e, v);
    }
  }

  private renderActions(e: QueueItem, v: RowView): void {
    const { t } = this.d;
    const name = e.selected.filename;
    const hadFocus = v.actions.contains(this.d.root.activeElement);
    clear(v.actions);
    const button = (label: string, iconName: string, onClick: () => void, kind: string) =>
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': label, title: label, 'data-action': kind, onClick }, icon(iconName, 18));
    switch (e.status) {
      case 'ready':
        v.actions.append(button(t.t('remove', { name }), 'close', () => this.d.remove(e), 'remove'));
        break;
      case 'queued':
      case 'uploading':
        v.actions.append(button(t.t('cancel_file', { name }), 'close', () => this.d.cancel(e), 'cancel'));
        break;
      case 'failed':
      case 'canceled':
        v.actions.append(button(t.t('retry_file', { name }), 'retry', () => this.d.retry(e), 'retry'), button(t.t('remove', { name }), 'close', () => this.d.remove(e), 'remove'));
        break;
      case 'done':
        v.actions.append(h('span', { class: 'ok-mark' }, icon('check', 18)));
        break;
    }
    if (hadFocus) (v.actions.querySelector<HTMLElement>('button') ?? this.defaultFocus())?.focus();
  }

  renderOverall(): void {
    const { shell, t } = this.d;
    // Shown while a round is under way; once it is over, the summary sentence says the rest.
    const round = this.d.queue.items.filter((e) => !e.reported && e.status !== 'ready');
    shell.overall.hidden = !round.some((e) => !isSettled(e.status));
    if (shell.overall.hidden) return;
    let loaded = 0;
    let total = 0;
    let finished = 0;
    for (const e of round) {
      const weight = e.remote ? 1 : Math.max(e.selected.size ?? 0, 1);
      total += weight;
      if (isSettled(e.status)) {
        loaded += weight;
        finished++;
      } else if (e.status === 'uploading' && !e.remote && e.selected.size) {
        loaded += weight * Math.min(1, e.loaded / e.selected.size);
      }
    }
    const fraction = total ? loaded / total : 0;
    const text = t.t('overall', { done: finished, total: round.length, percent: t.percent(fraction) });
    shell.overallText.textContent = text;
    shell.overallFill.style.width = `${Math.round(fraction * 100)}%`;
    shell.overallBar.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    shell.overallBar.setAttribute('aria-valuetext', text);
  }

  private renderFooter(): void {
    const { shell: ui, t, queue, minFiles } = this.d;
    const count = (s: Status) => queue.count(s);
    const ready = count('ready');
    const active = count('queued') + count('uploading');
    const unsettled = count('failed') + count('canceled');
    const total = queue.items.length;
    const tooFew = total < minFiles;

    let primary: { label: string; action: string; disabled: boolean } | undefined;
    if (ready > 0) primary = { label: t.plural('upload', ready), action: 'upload', disabled: tooFew };
    else if (active > 0) primary = { label: t.t('uploading'), action: 'none', disabled: true };
    else if (total > 0) primary = { label: t.t('done'), action: 'done', disabled: false };
    ui.primary.hidden = !primary;
    if (primary) {
      ui.primary.textContent = primary.label;
      ui.primary.dataset.action = primary.action;
      ui.primary.setAttribute('aria-disabled', String(primary.disabled));
    }

    let secondary: { label: string; action: string } | undefined;
    if (active > 0) secondary = { label: t.t('cancel_all'), action: 'cancel-all' };
    else if (unsettled > 0 && ready === 0) secondary = { label: t.t('retry_failed'), action: 'retry' };
    const wasFocused = this.d.root.activeElement === ui.secondary;
    ui.secondary.hidden = !secondary;
    if (secondary) {
      ui.secondary.textContent = secondary.label;
      ui.secondary.dataset.action = secondary.action;
    } else if (wasFocused) {
      this.defaultFocus()?.focus();
    }

    let note = '';
    if (ready > 0 && tooFew) note = t.plural('need_min', minFiles);
    else if (active === 0 && total > 0 && ready === 0) {
      const done = count('done');
      note = [done > 0 ? t.plural('summary_done', done) : '', unsettled > 0 ? t.t('summary_failed', { count: unsettled }) : ''].filter(Boolean).join(' ');
    }
    ui.note.textContent = note;
    ui.note.hidden = !note;
    ui.foot.hidden = !primary && !secondary && !note && ui.overall.hidden;
  }
}
