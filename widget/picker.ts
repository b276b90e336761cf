// The picker: one per `Ferry.picker()` call. It composes the parts: the frame (./shell.ts), the
// modal behaviour (./dialog.ts), the source tabs (./source-tabs.ts), one pane per source
// (./device-pane.ts, ./link-pane.ts, ./cloud-pane.ts), the upload queue (./upload-queue.ts) and
// its view (./queue-view.ts). The panes only propose files; the picker screens them against the
// rules and the app's onFileSelected, and hands them to the queue. Everything the app hears about
// goes through the callbacks in PickerOptions, each guarded so that an app's exception cannot
// break the picker.
import type { FerrySource, Picker, PickerOptions, SelectedFile } from './api.js';
import { RequestError, createPick, listSources, type Endpoint, type SourceInfo } from './client.js';
import { CloudPane } from './cloud-pane.js';
import { addDeviceFiles, devicePane, markHasFiles } from './device-pane.js';
import { createHost, holdPage, modalKeys } from './dialog.js';
import { clear } from './dom.js';
import { sentenceFor, userError } from './errors.js';
import { translator, type Translator } from './i18n.js';
import { linkPane } from './link-pane.js';
import type { PaneContext, Proposal } from './pane-context.js';
import { QueueView } from './queue-view.js';
import { normalizeAccept, screen, type Restrictions } from './restrictions.js';
import { announce, buildShell, showMessages, type Shell } from './shell.js';
import { sessionUploader } from './session-uploader.js';
import { markSelected, renderTabs, selectedTab, tabKeys, type TabsActions } from './source-tabs.js';
import { UploadQueue, type QueueItem } from './upload-queue.js';

const THUMBNAIL_MAX_BYTES = 25_000_000;

export function createPicker(options: PickerOptions, defaultEndpoint: string | undefined): Picker {
  const p = new FerryPicker(options, defaultEndpoint);
  return { open: () => p.open(), close: () => p.close() };
}

type Callback = 'onOpen' | 'onClose' | 'onCancel' | 'onFileUploadProgress' | 'onFileUploadFinished' | 'onFileUploadFailed' | 'onUploadDone';

class FerryPicker {
  private readonly t: Translator;
  private readonly ep: Endpoint;
  private readonly rules: Restrictions;
  private readonly ctx: PaneContext;
  private readonly queue: UploadQueue;
  private readonly tabsActions: TabsActions;
  private readonly thumbs = new Map<QueueItem, string>();
  private host: HTMLElement | undefined;
  private root: ShadowRoot | undefined;
  private ui: Shell | undefined;
  private view: QueueView | undefined;
  private releasePage: (() => void) | undefined;
  private sources: SourceInfo[] = [];
  private current: FerrySource = 'local';
  private readonly cloud = new Map<string, CloudPane>();

  constructor(
    private readonly o: PickerOptions,
    defaultEndpoint: string | undefined,
  ) {
    if (!o || typeof o.key !== 'string' || !o.key) throw new TypeError('Ferry.picker: "key" (your app\'s public key) is required.');
    const base = o.endpoint ?? defaultEndpoint;
    if (!base) throw new TypeError('Ferry.picker: "endpoint" (the URL of your Ferry) is required.');
    this.ep = { base: new URL(base, location.href).href, key: o.key, ttl: o.ttl, policy: o.policy, signature: o.signature };
    this.t = translator(o.lang, o.translations);
    this.rules = {
      accept: normalizeAccept(o.accept),
      maxSize: o.maxSize,
      minFiles: Math.max(1, o.minFiles ?? 1),
      maxFiles: o.maxFiles,
    };
    this.ctx = {
      t: this.t,
      ep: this.ep,
      rules: this.rules,
      add: (proposals) => this.add(proposals),
      sourceTitle: (name) => this.sourceTitle(name),
    };
    this.tabsActions = { select: (name, focus) => this.select(name, focus), title: (name) => this.sourceTitle(name) };
    const t = this.t;
    const sendFile = sessionUploader(this.ep, {
      sessions: o.sessions !== false,
      partConcurrency: Math.max(1, Math.min(Math.floor(o.partConcurrency ?? 4), 16)),
    });
    this.queue = new UploadQueue(Math.max(1, Math.min(Math.floor(o.concurrency ?? 3), 10)), {
      upload: (e, onProgress) =>
        e.remote ? createPick(this.ep, e.remote) : sendFile(e.selected.file!, e.selected.filename, onProgress),
      refuse: (file) => {
        const max = this.rules.maxSize;
        if (max === undefined || file.size === null || file.size <= max) return undefined;
        return { code: 'file_too_large', message: t.t('limit_size', { name: file.filename, size: t.bytes(file.size), max: t.bytes(max) }) };
      },
      errorFor: (code) => userError(t, code),
      changed: (e) => this.view?.update(e),
      progress: (e, progress) => {
        this.view?.update(e);
        this.view?.renderOverall();
        this.emit('onFileUploadProgress', { ...e.selected }, progress);
      },
      finished: (_e, file) => {
        this.emit('onFileUploadFinished', file);
        this.say(t.t('announce_uploaded', { name: file.filename }));
      },
      failed: (e, error) => {
        this.emit('onFileUploadFailed', { ...e.selected }, error);
        this.say(t.t('announce_failed', { name: e.selected.filename, error: error.message }));
      },
      canceledAll: () => this.emit('onCancel'),
      redraw: () => this.renderAll(),
      roundDone: (result) => this.emit('onUploadDone', result),
    });
  }

  private get modal(): boolean {
    return this.o.container === undefined || this.o.container === null;
  }

  // ---- opening and closing ----

  async open(): Promise<void> {
    if (this.host) return;
    let container: Element | null = null;
    if (!this.modal) {
      container = typeof this.o.container === 'string' ? document.querySelector(this.o.container) : (this.o.container as HTMLElement);
      if (!container) throw new TypeError(`Ferry.picker: no element matches container ${JSON.stringify(this.o.container)}.`);
    }
    const { host, root } = createHost(this.modal);
    this.host = host;
    this.root = root;
    this.sources = [];
    this.current = this.wanted()[0] ?? 'local';
    const ui = buildShell(root, this.t, this.modal, {
      primary: () => this.primaryAction(),
      secondary: () => this.secondaryAction(),
      close: () => this.close(),
      keydown: (e) => {
        if (this.modal && this.ui) modalKeys(e, root, ui.dialog, () => this.close());
      },
    });
    tabKeys(ui.tabs, root, this.tabsActions);
    this.ui = ui;
    this.view = new QueueView({
      t: this.t,
      minFiles: this.rules.minFiles,
      queue: this.queue,
      root,
      shell: ui,
      sourceTitle: (name) => this.sourceTitle(name),
      thumbOf: (e) => this.thumbs.get(e),
      remove: (e) => this.remove(e),
      cancel: (e) => this.queue.cancel(e),
      retry: (e) => this.queue.retry(e),
    });
    if (this.modal) this.releasePage = holdPage(host, ui.dialog);
    host.addEventListener('paste', this.onPaste);
    (container ?? document.body).appendChild(host);
    this.renderTabs();
    this.renderPane();
    this.renderAll();
    if (this.modal) selectedTab(ui.tabs)?.focus();
    this.emit('onOpen');
    await this.loadSources();
  }

  close(): void {
    if (!this.host) return;
    const pending = this.queue.hasPending();
    this.queue.abortAll();
    if (pending) this.emit('onCancel');
    this.queue.report();
    for (const c of this.cloud.values()) c.dispose();
    this.cloud.clear();
    for (const e of this.queue.items) this.forgetThumb(e);
    this.queue.clear();
    this.host.removeEventListener('paste', this.onPaste);
    this.host.remove();
    this.host = this.root = this.ui = this.view = undefined;
    this.releasePage?.();
    this.releasePage = undefined;
    this.emit('onClose');
  }

  private emit<K extends Callback>(name: K, ...args: Parameters<NonNullable<PickerOptions[K]>>): void {
    const fn = this.o[name] as ((...a: unknown[]) => void) | undefined;
    if (!fn) return;
    try {
      fn(...args);
    } catch (e) {
      console.error(`Ferry.picker: ${name} threw`, e);
    }
  }

  // ---- sources and panes ----

  /** Sources in the order the app asked for (before the server has said which are on). */
  private wanted(): FerrySource[] {
    return this.o.sources ?? ['local'];
  }

  private tabNames(): FerrySource[] {
    const enabled = new Set<string>(this.sources.map((s) => s.name));
    const list = this.o.sources ?? ['local', ...this.sources.map((s) => s.name)];
    return list.filter((n, i) => list.indexOf(n) === i && (n === 'local' || enabled.has(n)));
  }

  private sourceTitle(name: string): string {
    const key = `source_${name}` as Parameters<Translator['t']>[0];
    const text = this.t.t(key);
    return text !== key ? text : (this.sources.find((s) => s.name === name)?.title ?? name);
  }

  private async loadSources(): Promise<void> {
    if (this.o.sources && this.o.sources.every((s) => s === 'local')) return;
    try {
      this.sources = await listSources(this.ep);
    } catch (e) {
      const code = e instanceof RequestError ? e.code : 'network';
      if (code !== 'network' && this.ui) showMessages(this.ui, [sentenceFor(this.t, code)]);
      return;
    }
    if (!this.ui || !this.root) return;
    const focusedTab = this.root.activeElement?.getAttribute('role') === 'tab';
    const names = this.tabNames();
    this.renderTabs();
    if (!names.includes(this.current) && names[0]) this.select(names[0], focusedTab);
    else if (focusedTab) selectedTab(this.ui.tabs)?.focus();
  }

  private renderTabs(): void {
    renderTabs(this.ui!.tabs, this.tabNames(), this.current, this.tabsActions);
  }

  private select(name: FerrySource, focus: boolean): void {
    if (!this.ui) return;
    const changed = name !== this.current;
    this.current = name;
    markSelected(this.ui.tabs, name);
    if (changed || !this.ui.pane.firstChild) this.renderPane();
    if (focus) selectedTab(this.ui.tabs)?.focus();
  }

  private renderPane(): void {
    const pane = this.ui!.pane;
    clear(pane);
    // The narrow layout gives the list the room only while the device pane shows (styles.ts).
    this.ui!.dialog.dataset.source = this.current;
    pane.setAttribute('aria-labelledby', `ferry-tab-${this.current}`);
    if (this.current === 'local') {
      pane.append(devicePane(this.ctx));
      markHasFiles(this.ui!.dialog, this.queue.items.length > 0, this.t);
    }
    else if (this.current === 'url') pane.append(linkPane(this.ctx));
    else {
      let cloud = this.cloud.get(this.current);
      if (!cloud) {
        cloud = new CloudPane(this.ctx, this.current);
        this.cloud.set(this.current, cloud);
      }
      pane.append(cloud.element);
      cloud.show();
    }
  }

  // ---- adding files ----

  private readonly onPaste = (e: ClipboardEvent) => {
    const files = Array.from(e.clipboardData?.files ?? []);
    if (files.length === 0 || !this.tabNames().includes('local')) return;
    e.preventDefault();
    addDeviceFiles(this.ctx, files);
  };

  private async add(proposals: Proposal[]): Promise<void> {
    const { t } = this;
    const { accepted, refused } = screen(this.rules, this.queue.items.length, proposals);
    const messages = refused.map((r) =>
      r.reason === 'type'
        ? t.t('limit_type', { name: r.name, accept: this.rules.accept.join(', ') })
        : r.reason === 'size'
          ? t.t('limit_size', { name: r.name, size: t.bytes(r.size), max: t.bytes(this.rules.maxSize!) })
          : t.t('limit_max_files', { name: r.name, count: this.rules.maxFiles! }),
    );
    const added: QueueItem[] = [];
    for (const p of accepted) {
      const selected: SelectedFile = { filename: p.name, size: p.size, type: p.type, source: p.source, ...(p.file ? { file: p.file } : {}) };
      if (this.o.onFileSelected) {
        try {
          const answer = await this.o.onFileSelected({ ...selected });
          if (answer === false) {
            messages.push(t.t('vetoed', { name: p.name }));
            continue;
          }
          const renamed = typeof answer === 'string' ? answer : answer && typeof answer === 'object' ? answer.filename : undefined;
          if (typeof renamed === 'string' && renamed.trim()) selected.filename = renamed.trim();
        } catch (e) {
          messages.push(e instanceof Error && e.message ? e.message : t.t('vetoed', { name: p.name }));
          continue;
        }
      }
      if (!this.host) return;
      if (this.rules.maxFiles !== undefined && this.queue.items.length >= this.rules.maxFiles) {
        messages.push(t.t('limit_max_files', { name: p.name, count: this.rules.maxFiles }));
        continue;
      }
      // A rename from onFileSelected travels with the pick; otherwise Ferry names it from the origin.
      const remote = p.remote && selected.filename !== p.name ? { ...p.remote, filename: selected.filename } : p.remote;
      const entry = this.queue.add(selected, remote);
      if (p.file && p.type.startsWith('image/') && p.file.size <= THUMBNAIL_MAX_BYTES) this.thumbs.set(entry, URL.createObjectURL(p.file));
      added.push(entry);
    }
    if (this.ui) showMessages(this.ui, messages);
    this.renderAll();
    if (added.length === 1) this.say(t.plural('announce_added', 1, { name: added[0]!.selected.filename }));
    else if (added.length > 1) this.say(t.plural('announce_added', added.length));
  }

  private remove(e: QueueItem): void {
    const index = this.queue.items.indexOf(e);
    if (!this.queue.remove(e)) return;
    this.forgetThumb(e);
    const view = this.view;
    const hadFocus = view?.hasFocus(e) ?? false;
    view?.drop(e);
    this.renderAll();
    if (hadFocus && view) {
      const items = this.queue.items;
      const next = items[Math.min(index, items.length - 1)];
      ((next && view.firstAction(next)) ?? view.defaultFocus())?.focus();
    }
  }

  private forgetThumb(e: QueueItem): void {
    const thumb = this.thumbs.get(e);
    if (thumb) URL.revokeObjectURL(thumb);
    this.thumbs.delete(e);
  }

  /** Drops every file from the list, their rows and their thumbnails. */
  private forgetFiles(): void {
    for (const e of this.queue.items) this.forgetThumb(e);
    this.view?.clear();
    this.queue.clear();
  }

  // ---- the footer's buttons ----

  private primaryAction(): void {
    const ui = this.ui!;
    if (ui.primary.getAttribute('aria-disabled') === 'true') {
      if (ui.primary.dataset.action === 'upload') this.say(ui.note.textContent ?? '');
      return;
    }
    if (ui.primary.dataset.action === 'upload') this.startUploads();
    else if (ui.primary.dataset.action === 'done') this.finish();
  }

  private secondaryAction(): void {
    const action = this.ui!.secondary.dataset.action;
    if (action === 'cancel-all') {
      this.queue.cancelAll();
      this.ui?.primary.focus();
    } else if (action === 'retry') {
      for (const e of this.queue.items) if (e.status === 'failed' || e.status === 'canceled') this.queue.retry(e);
      this.ui?.primary.focus();
    }
  }

  private startUploads(): void {
    if (this.queue.items.length < this.rules.minFiles) return;
    this.queue.start();
  }

  /** "Done": report what is left, then close (modal) or start afresh (inline). */
  private finish(): void {
    this.queue.report();
    if (this.modal) return this.close();
    this.forgetFiles();
    if (this.ui) showMessages(this.ui, []);
    this.renderAll();
    selectedTab(this.ui?.tabs)?.focus();
  }

  // ---- drawing ----

  private renderAll(): void {
    this.view?.renderAll();
  }

  private say(text: string): void {
    if (this.ui) announce(this.ui, text);
  }
}
