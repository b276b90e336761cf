// The picker: one per `Ferry.picker()` call. It owns the list of chosen files and their
// uploads; the panes (My Device, Link, each cloud provider) only propose files. A file goes
// ready → queued → uploading → done | failed | cancelled; failed and cancelled files can be
// retried. A bounded number upload at once. Everything the app hears about goes through the
// callbacks in PickerOptions, each guarded so that an app's exception cannot break the picker.
import type { FailedFile, FerryError, FerryFile, FerrySource, Picker, PickerOptions, SelectedFile } from './api.js';
import { RequestError, createPick, listSources, uploadFile, type Endpoint, type PickRequest, type SourceInfo, type Transfer } from './client.js';
import { CloudPane } from './cloud.js';
import { clear, deepActiveElement, h, icon, rovingKeys, tabbable } from './dom.js';
import { sentenceFor, userError } from './errors.js';
import { translator, type Translator } from './i18n.js';
import { acceptAttribute, normalizeAccept, screen, typeOf, type Restrictions } from './restrictions.js';
import { CSS } from './styles.js';

type Status = 'ready' | 'queued' | 'uploading' | 'done' | 'failed' | 'canceled';

/** A file a pane proposes to add. */
export interface Proposal {
  name: string;
  size: number | null;
  type: string;
  source: FerrySource;
  file?: File;
  remote?: PickRequest;
}

/** What the panes may use. */
export interface PaneContext {
  t: Translator;
  ep: Endpoint;
  rules: Restrictions;
  add(proposals: Proposal[]): Promise<void>;
  sourceTitle(name: string): string;
}

interface EntryView {
  li: HTMLLIElement;
  name: HTMLElement;
  sub: HTMLElement;
  status: HTMLElement;
  bar: HTMLElement;
  fill: HTMLElement;
  actions: HTMLElement;
  shown?: Status;
}

interface Entry {
  id: number;
  selected: SelectedFile;
  remote?: PickRequest;
  status: Status;
  loaded: number;
  speed: number | null;
  sampleAt: number;
  sampleLoaded: number;
  transfer?: Transfer<FerryFile>;
  result?: FerryFile;
  error?: FerryError;
  /** Already handed to onUploadDone. */
  reported: boolean;
  thumb?: string;
  view?: EntryView;
}

interface Ui {
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

const ICONS: Record<string, string> = { local: 'local', url: 'url' };
const THUMBNAIL_MAX_BYTES = 25_000_000;

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

export function createPicker(options: PickerOptions, defaultEndpoint: string | undefined): Picker {
  const p = new FerryPicker(options, defaultEndpoint);
  return { open: () => p.open(), close: () => p.close() };
}

class FerryPicker {
  private readonly t: Translator;
  private readonly ep: Endpoint;
  private readonly rules: Restrictions;
  private readonly concurrency: number;
  private readonly ctx: PaneContext;
  private host: HTMLElement | undefined;
  private root: ShadowRoot | undefined;
  private ui: Ui | undefined;
  private entries: Entry[] = [];
  private nextId = 1;
  private sources: SourceInfo[] = [];
  private current: FerrySource = 'local';
  private readonly cloud = new Map<string, CloudPane>();
  private returnFocus: HTMLElement | null = null;
  private savedOverflow = '';

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
    this.concurrency = Math.max(1, Math.min(Math.floor(o.concurrency ?? 3), 10));
    this.ctx = {
      t: this.t,
      ep: this.ep,
      rules: this.rules,
      add: (proposals) => this.add(proposals),
      sourceTitle: (name) => this.sourceTitle(name),
    };
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
    this.returnFocus = deepActiveElement() as HTMLElement | null;
    const host = document.createElement('div');
    host.setAttribute('data-ferry-picker', '');
    if (this.modal) {
      Object.assign(host.style, { position: 'fixed', inset: '0', zIndex: '2147483000' });
      this.savedOverflow = document.documentElement.style.overflow;
      document.documentElement.style.overflow = 'hidden';
      document.addEventListener('focusin', this.onDocumentFocus);
    } else {
      host.style.height = '100%';
    }
    const root = host.attachShadow({ mode: 'open' });
    adoptStyles(root);
    this.host = host;
    this.root = root;
    this.sources = [];
    this.current = this.wanted()[0] ?? 'local';
    this.build(root);
    host.addEventListener('paste', this.onPaste);
    (container ?? document.body).appendChild(host);
    this.renderTabs();
    this.renderPane();
    this.renderAll();
    if (this.modal) this.selectedTab()?.focus();
    this.emit('onOpen');
    await this.loadSources();
  }

  close(): void {
    if (!this.host) return;
    const pending = this.entries.filter((e) => e.status === 'ready' || e.status === 'queued' || e.status === 'uploading');
    for (const e of this.entries) if (e.status === 'queued') this.settle(e, 'canceled');
    for (const e of this.entries) if (e.status === 'uploading') this.abortNow(e);
    if (pending.length > 0) this.emit('onCancel');
    this.report();
    for (const c of this.cloud.values()) c.dispose();
    this.cloud.clear();
    for (const e of this.entries) if (e.thumb) URL.revokeObjectURL(e.thumb);
    this.entries = [];
    this.host.removeEventListener('paste', this.onPaste);
    this.host.remove();
    this.host = this.root = this.ui = undefined;
    if (this.modal) {
      document.removeEventListener('focusin', this.onDocumentFocus);
      document.documentElement.style.overflow = this.savedOverflow;
      if (this.returnFocus?.isConnected) this.returnFocus.focus();
    }
    this.returnFocus = null;
    this.emit('onClose');
  }

  private emit<K extends 'onOpen' | 'onClose' | 'onCancel' | 'onFileUploadProgress' | 'onFileUploadFinished' | 'onFileUploadFailed' | 'onUploadDone'>(
    name: K,
    ...args: Parameters<NonNullable<PickerOptions[K]>>
  ): void {
    const fn = this.o[name] as ((...a: unknown[]) => void) | undefined;
    if (!fn) return;
    try {
      fn(...args);
    } catch (e) {
      console.error(`Ferry.picker: ${name} threw`, e);
    }
  }

  // ---- structure ----

  private build(root: ShadowRoot): void {
    const t = this.t;
    const modal = this.modal;
    const live = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': t.t('sources'), 'aria-orientation': 'vertical' });
    tabs.addEventListener('keydown', (e) => {
      const buttons = Array.from(tabs.querySelectorAll<HTMLElement>('[role=tab]'));
      if (rovingKeys(e, buttons, 'both')) this.select((root.activeElement as HTMLElement).dataset.source as FerrySource, false);
    });
    const pane = h('div', { class: 'pane', role: 'tabpanel', id: 'ferry-pane' });
    const messages = h('div', { class: 'messages', role: 'alert', hidden: true });
    const queue = h('ul', { class: 'queue', 'aria-label': t.t('queue_label') });
    const queueWrap = h('div', { class: 'queue-wrap', hidden: true }, queue);
    const overallFill = h('div', { class: 'fill' });
    const overallBar = h('div', { class: 'progress', role: 'progressbar', 'aria-label': t.t('overall_label'), 'aria-valuemin': 0, 'aria-valuemax': 100 }, overallFill);
    const overallText = h('span', { class: 'overall-text' });
    const overall = h('div', { class: 'overall', hidden: true }, overallText, overallBar);
    const note = h('p', { class: 'note' });
    const secondary = h('button', { class: 'btn', type: 'button', hidden: true, onClick: () => this.secondaryAction() });
    const primary = h('button', { class: 'btn primary', type: 'button', onClick: () => this.primaryAction() });
    const foot = h('div', { class: 'foot' }, h('div', { class: 'info' }, overall, note), h('div', { class: 'buttons' }, secondary, primary));
    const dialog = h(
      'div',
      {
        class: 'dialog',
        role: modal ? 'dialog' : 'region',
        'aria-modal': modal ? 'true' : undefined,
        'aria-labelledby': 'ferry-title',
        lang: t.lang,
        onKeydown: (e: KeyboardEvent) => this.onKeydown(e),
      },
      h(
        'div',
        { class: 'head' },
        h('h2', { id: 'ferry-title', text: t.t('title') }),
        modal ? h('button', { class: 'icon-btn', type: 'button', 'aria-label': t.t('close'), 'data-close': '', onClick: () => this.close() }, icon('close')) : null,
      ),
      h('div', { class: 'body' }, tabs, h('div', { class: 'main' }, pane, messages, queueWrap)),
      foot,
      live,
    );
    root.appendChild(h('div', { class: `root ${modal ? 'modal' : 'inline'}` }, modal ? h('div', { class: 'backdrop' }, dialog) : dialog));
    this.ui = { dialog, tabs, pane, messages, queueWrap, queue, overall, overallText, overallBar, overallFill, note, primary, secondary, foot, live };
  }

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
      if (code !== 'network' && this.ui) this.showMessages([sentenceFor(this.t, code)]);
      return;
    }
    if (!this.ui || !this.root) return;
    const focusedTab = this.root.activeElement?.getAttribute('role') === 'tab';
    const names = this.tabNames();
    this.renderTabs();
    if (!names.includes(this.current) && names[0]) this.select(names[0], focusedTab);
    else if (focusedTab) this.selectedTab()?.focus();
  }

  private renderTabs(): void {
    const ui = this.ui!;
    clear(ui.tabs);
    for (const name of this.tabNames()) {
      const selected = name === this.current;
      ui.tabs.append(
        h(
          'button',
          {
            class: 'tab',
            type: 'button',
            role: 'tab',
            id: `ferry-tab-${name}`,
            'data-source': name,
            'aria-selected': String(selected),
            'aria-controls': 'ferry-pane',
            tabIndex: selected ? 0 : -1,
            onClick: () => this.select(name, false),
          },
          icon(ICONS[name] ?? 'cloud'),
          h('span', { text: this.sourceTitle(name) }),
        ),
      );
    }
  }

  private selectedTab(): HTMLElement | null {
    return this.ui?.tabs.querySelector<HTMLElement>('[aria-selected="true"]') ?? null;
  }

  private select(name: FerrySource, focus: boolean): void {
    if (!this.ui) return;
    const changed = name !== this.current;
    this.current = name;
    for (const tab of this.ui.tabs.querySelectorAll<HTMLElement>('[role=tab]')) {
      const on = tab.dataset.source === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
    }
    if (changed || !this.ui.pane.firstChild) this.renderPane();
    if (focus) this.selectedTab()?.focus();
  }

  private renderPane(): void {
    const pane = this.ui!.pane;
    clear(pane);
    pane.setAttribute('aria-labelledby', `ferry-tab-${this.current}`);
    if (this.current === 'local') pane.append(this.localPane());
    else if (this.current === 'url') pane.append(this.linkPane());
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

  private rulesText(): string {
    const { t, rules } = this;
    const parts: string[] = [];
    if (rules.maxFiles !== undefined) parts.push(t.t('rule_max_files', { count: rules.maxFiles }));
    if (rules.maxSize !== undefined) parts.push(t.t('rule_max_size', { max: t.bytes(rules.maxSize) }));
    if (rules.accept.length) parts.push(t.t('rule_accept', { accept: rules.accept.join(', ') }));
    return parts.join(' · ');
  }

  private localPane(): HTMLElement {
    const t = this.t;
    const input = h('input', {
      type: 'file',
      multiple: this.rules.maxFiles !== 1,
      accept: acceptAttribute(this.rules.accept) || undefined,
      hidden: true,
      onChange: () => {
        this.addLocal(Array.from(input.files ?? []));
        input.value = '';
      },
    });
    const title = h('p', { class: 'drop-title', text: t.t('drop_title') });
    const rulesText = this.rulesText();
    const zone = h(
      'div',
      { class: 'drop', 'data-drop': '' },
      h('div', { class: 'big' }, icon('upload', 40)),
      title,
      h('p', { text: t.t('drop_hint') }),
      h('button', { class: 'btn primary', type: 'button', 'data-browse': '', onClick: () => input.click() }, t.t('browse')),
      rulesText ? h('p', { class: 'rules', text: rulesText }) : null,
      input,
    );
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
      this.addLocal(Array.from(e.dataTransfer?.files ?? []));
    });
    return zone;
  }

  private linkPane(): HTMLElement {
    const t = this.t;
    const input = h('input', {
      id: 'ferry-link',
      type: 'url',
      inputmode: 'url',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'https://',
      'aria-describedby': 'ferry-link-hint',
    });
    const error = h('p', { class: 'error-text', id: 'ferry-link-error', hidden: true });
    const form = h(
      'form',
      { class: 'field', novalidate: true },
      h('label', { for: 'ferry-link', text: t.t('link_label') }),
      h('div', { class: 'field-row' }, input, h('button', { class: 'btn primary', type: 'submit' }, t.t('link_add'))),
      error,
      h('p', { class: 'hint', id: 'ferry-link-hint', text: t.t('link_hint') }),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const url = parseLink(input.value);
      if (!url) {
        error.textContent = t.t('link_invalid');
        error.hidden = false;
        error.setAttribute('role', 'alert');
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', 'ferry-link-error ferry-link-hint');
        input.focus();
        return;
      }
      error.hidden = true;
      input.removeAttribute('aria-invalid');
      input.setAttribute('aria-describedby', 'ferry-link-hint');
      input.value = '';
      const name = nameFromUrl(url);
      void this.add([{ name, size: null, type: typeOf(name), source: 'url', remote: { source: 'url', url: url.href } }]);
      input.focus();
    });
    return form;
  }

  // ---- adding files ----

  private readonly onPaste = (e: ClipboardEvent) => {
    const files = Array.from(e.clipboardData?.files ?? []);
    if (files.length === 0 || !this.tabNames().includes('local')) return;
    e.preventDefault();
    this.addLocal(files);
  };

  private addLocal(files: File[]): void {
    if (files.length === 0) return;
    void this.add(files.map((file) => ({ name: file.name || 'file', size: file.size, type: typeOf(file.name, file.type), source: 'local' as const, file })));
  }

  private async add(proposals: Proposal[]): Promise<void> {
    const { t } = this;
    const { accepted, refused } = screen(this.rules, this.entries.length, proposals);
    const messages = refused.map((r) =>
      r.reason === 'type'
        ? t.t('limit_type', { name: r.name, accept: this.rules.accept.join(', ') })
        : r.reason === 'size'
          ? t.t('limit_size', { name: r.name, size: t.bytes(r.size), max: t.bytes(this.rules.maxSize!) })
          : t.t('limit_max_files', { name: r.name, count: this.rules.maxFiles! }),
    );
    const added: Entry[] = [];
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
      if (this.rules.maxFiles !== undefined && this.entries.length >= this.rules.maxFiles) {
        messages.push(t.t('limit_max_files', { name: p.name, count: this.rules.maxFiles }));
        continue;
      }
      const entry: Entry = {
        id: this.nextId++,
        selected,
        // A rename from onFileSelected travels with the pick; otherwise Ferry names it from the origin.
        remote: p.remote && selected.filename !== p.name ? { ...p.remote, filename: selected.filename } : p.remote,
        status: 'ready',
        loaded: 0,
        speed: null,
        sampleAt: 0,
        sampleLoaded: 0,
        reported: false,
      };
      if (p.file && p.type.startsWith('image/') && p.file.size <= THUMBNAIL_MAX_BYTES) entry.thumb = URL.createObjectURL(p.file);
      this.entries.push(entry);
      added.push(entry);
    }
    this.showMessages(messages);
    this.renderAll();
    if (added.length === 1) this.announce(t.plural('announce_added', 1, { name: added[0]!.selected.filename }));
    else if (added.length > 1) this.announce(t.plural('announce_added', added.length));
  }

  private showMessages(messages: string[]): void {
    const box = this.ui?.messages;
    if (!box) return;
    clear(box);
    box.hidden = messages.length === 0;
    if (messages.length) box.append(icon('alert', 18), h('ul', {}, ...messages.map((m) => h('li', { text: m }))));
  }

  private announce(text: string): void {
    const live = this.ui?.live;
    if (!live) return;
    live.textContent = '';
    setTimeout(() => (live.textContent = text), 50);
  }

  // ---- uploading ----

  private startUploads(): void {
    if (this.entries.length < this.rules.minFiles) return;
    for (const e of this.entries) if (e.status === 'ready') e.status = 'queued';
    this.pump();
    this.renderAll();
  }

  private pump(): void {
    let active = this.entries.filter((e) => e.status === 'uploading').length;
    for (const e of this.entries) {
      if (active >= this.concurrency) break;
      if (e.status !== 'queued') continue;
      this.run(e);
      active++;
    }
  }

  private run(e: Entry): void {
    e.status = 'uploading';
    e.loaded = 0;
    e.speed = null;
    e.sampleAt = performance.now();
    e.sampleLoaded = 0;
    e.error = undefined;
    const transfer = e.remote ? createPick(this.ep, e.remote) : uploadFile(this.ep, e.selected.file!, e.selected.filename, (loaded) => this.progress(e, loaded));
    e.transfer = transfer;
    this.update(e);
    transfer.done.then(
      (file) => {
        if (e.transfer !== transfer) return;
        if (e.remote) {
          e.selected = { ...e.selected, filename: file.filename, size: file.size, type: file.type };
          if (this.rules.maxSize !== undefined && file.size !== null && file.size > this.rules.maxSize) {
            const message = this.t.t('limit_size', { name: file.filename, size: this.t.bytes(file.size), max: this.t.bytes(this.rules.maxSize) });
            return this.fail(e, { code: 'file_too_large', message });
          }
        }
        e.result = file;
        e.loaded = e.selected.size ?? 0;
        this.settle(e, 'done');
        this.emit('onFileUploadFinished', file);
        this.announce(this.t.t('announce_uploaded', { name: file.filename }));
        this.afterSettle();
      },
      (err: unknown) => {
        if (e.transfer !== transfer) return;
        const code = err instanceof RequestError ? err.code : 'network';
        if (code === 'canceled') {
          this.settle(e, 'canceled');
          this.afterSettle();
        } else {
          this.fail(e, userError(this.t, code));
        }
      },
    );
  }

  private fail(e: Entry, error: FerryError): void {
    e.error = error;
    this.settle(e, 'failed');
    this.emit('onFileUploadFailed', { ...e.selected }, error);
    this.announce(this.t.t('announce_failed', { name: e.selected.filename, error: error.message }));
    this.afterSettle();
  }

  private settle(e: Entry, status: 'done' | 'failed' | 'canceled'): void {
    e.status = status;
    e.transfer = undefined;
    if (status === 'canceled') e.error = userError(this.t, 'canceled');
    this.update(e);
  }

  /** After a file finished one way or the other: start the next, and report a round that is over. */
  private afterSettle(): void {
    this.pump();
    const busy = this.entries.some((e) => e.status === 'queued' || e.status === 'uploading');
    if (!busy) {
      const round = this.entries.filter((e) => !e.reported && isSettled(e.status));
      if (round.length && round.every((e) => e.status === 'done')) this.report();
    }
    this.renderAll();
  }

  private progress(e: Entry, loaded: number): void {
    e.loaded = loaded;
    const now = performance.now();
    const dt = (now - e.sampleAt) / 1000;
    if (dt >= 0.25) {
      const instant = (loaded - e.sampleLoaded) / dt;
      e.speed = e.speed === null ? instant : e.speed * 0.6 + instant * 0.4;
      e.sampleAt = now;
      e.sampleLoaded = loaded;
    }
    this.update(e);
    this.renderOverall();
    const total = e.selected.size;
    this.emit('onFileUploadProgress', { ...e.selected }, {
      loaded,
      total,
      percent: total ? Math.min(100, (loaded / total) * 100) : null,
      bytesPerSecond: e.speed,
    });
  }

  /** Hands the finished round to onUploadDone (once per file). */
  private report(): void {
    const round = this.entries.filter((e) => !e.reported && isSettled(e.status));
    if (round.length === 0) return;
    for (const e of round) e.reported = true;
    const filesUploaded = round.filter((e) => e.status === 'done').map((e) => e.result!);
    const filesFailed: FailedFile[] = round
      .filter((e) => e.status !== 'done')
      .map((e) => ({ ...e.selected, error: e.error ?? userError(this.t, 'canceled') }));
    this.emit('onUploadDone', { filesUploaded, filesFailed });
  }

  private cancel(e: Entry): void {
    if (e.status === 'uploading') this.abortNow(e);
    else if (e.status === 'queued') this.settle(e, 'canceled');
    this.afterSettle();
  }

  /** Aborts an upload and marks it cancelled at once (the request's own failure is then ignored). */
  private abortNow(e: Entry): void {
    const transfer = e.transfer;
    this.settle(e, 'canceled');
    transfer?.abort();
  }

  private cancelAll(): void {
    for (const e of this.entries) if (e.status === 'queued') this.settle(e, 'canceled');
    for (const e of this.entries) if (e.status === 'uploading') this.abortNow(e);
    this.emit('onCancel');
    this.afterSettle();
    this.ui?.primary.focus();
  }

  private retry(e: Entry): void {
    if (e.status !== 'failed' && e.status !== 'canceled') return;
    e.status = 'queued';
    e.reported = false;
    e.error = undefined;
    e.loaded = 0;
    this.update(e);
    this.pump();
    this.renderAll();
  }

  private remove(e: Entry): void {
    if (e.status === 'queued' || e.status === 'uploading') return;
    const index = this.entries.indexOf(e);
    this.entries.splice(index, 1);
    if (e.thumb) URL.revokeObjectURL(e.thumb);
    const hadFocus = e.view?.li.contains(this.root?.activeElement ?? null);
    e.view?.li.remove();
    this.renderAll();
    if (hadFocus) {
      const next = this.entries[Math.min(index, this.entries.length - 1)];
      const target = next?.view?.actions.querySelector<HTMLElement>('button') ?? this.defaultFocus();
      target?.focus();
    }
  }

  private defaultFocus(): HTMLElement | null {
    const ui = this.ui;
    if (!ui) return null;
    return !ui.primary.hidden ? ui.primary : this.selectedTab();
  }

  // ---- rendering ----

  private renderAll(): void {
    if (!this.ui) return;
    this.renderQueue();
    this.renderOverall();
    this.renderFooter();
  }

  private renderQueue(): void {
    const ui = this.ui!;
    ui.queueWrap.hidden = this.entries.length === 0;
    for (const e of this.entries) {
      if (!e.view) {
        e.view = this.entryView(e);
        ui.queue.append(e.view.li);
      }
      this.update(e);
    }
  }

  private entryView(e: Entry): EntryView {
    const thumb = h('div', { class: 'thumb' });
    if (e.thumb) {
      const img = h('img', { alt: '', src: e.thumb, decoding: 'async' });
      img.addEventListener('error', () => img.replaceWith(icon('image')));
      thumb.append(img);
    } else {
      thumb.append(icon(e.selected.type.startsWith('image/') ? 'image' : e.selected.source === 'url' ? 'url' : 'file'));
    }
    const name = h('div', { class: 'name' });
    const status = h('span', { class: 'status' });
    const sub = h('div', { class: 'sub' });
    const fill = h('div', { class: 'fill' });
    const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, fill);
    const actions = h('div', { class: 'actions' });
    const li = h('li', { class: 'item', 'data-entry': e.id }, thumb, h('div', { class: 'info' }, name, sub, bar), actions);
    return { li, name, sub, status, bar, fill, actions };
  }

  /** Brings one file's row up to date (cheap: called on every progress event). */
  private update(e: Entry): void {
    const v = e.view;
    if (!v) return;
    const { t } = this;
    const s = e.selected;
    v.li.dataset.status = e.status;
    if (v.name.textContent !== s.filename) {
      v.name.textContent = s.filename;
      v.name.title = s.filename;
      v.bar.setAttribute('aria-label', s.filename);
    }
    const sub = v.sub;
    const facts = [s.size !== null ? t.bytes(s.size) : null, s.source !== 'local' ? this.sourceTitle(s.source) : null].filter((f): f is string => !!f);
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

  private renderActions(e: Entry, v: EntryView): void {
    const { t } = this;
    const name = e.selected.filename;
    const hadFocus = v.actions.contains(this.root?.activeElement ?? null);
    clear(v.actions);
    const button = (label: string, iconName: string, onClick: () => void, kind: string) =>
      h('button', { class: 'icon-btn', type: 'button', 'aria-label': label, title: label, 'data-action': kind, onClick }, icon(iconName, 18));
    switch (e.status) {
      case 'ready':
        v.actions.append(button(t.t('remove', { name }), 'close', () => this.remove(e), 'remove'));
        break;
      case 'queued':
      case 'uploading':
        v.actions.append(button(t.t('cancel_file', { name }), 'close', () => this.cancel(e), 'cancel'));
        break;
      case 'failed':
      case 'canceled':
        v.actions.append(button(t.t('retry_file', { name }), 'retry', () => this.retry(e), 'retry'), button(t.t('remove', { name }), 'close', () => this.remove(e), 'remove'));
        break;
      case 'done':
        v.actions.append(h('span', { class: 'ok-mark' }, icon('check', 18)));
        break;
    }
    if (hadFocus) (v.actions.querySelector<HTMLElement>('button') ?? this.defaultFocus())?.focus();
  }

  private renderOverall(): void {
    const ui = this.ui;
    if (!ui) return;
    // Shown while a round is under way; once it is over, the summary sentence says the rest.
    const round = this.entries.filter((e) => !e.reported && e.status !== 'ready');
    ui.overall.hidden = !round.some((e) => !isSettled(e.status));
    if (ui.overall.hidden) return;
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
    const text = this.t.t('overall', { done: finished, total: round.length, percent: this.t.percent(fraction) });
    ui.overallText.textContent = text;
    ui.overallFill.style.width = `${Math.round(fraction * 100)}%`;
    ui.overallBar.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    ui.overallBar.setAttribute('aria-valuetext', text);
  }

  private renderFooter(): void {
    const ui = this.ui!;
    const { t } = this;
    const count = (s: Status) => this.entries.filter((e) => e.status === s).length;
    const ready = count('ready');
    const active = count('queued') + count('uploading');
    const unsettled = count('failed') + count('canceled');
    const total = this.entries.length;
    const tooFew = total < this.rules.minFiles;

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
    const wasFocused = this.root?.activeElement === ui.secondary;
    ui.secondary.hidden = !secondary;
    if (secondary) {
      ui.secondary.textContent = secondary.label;
      ui.secondary.dataset.action = secondary.action;
    } else if (wasFocused) {
      this.defaultFocus()?.focus();
    }

    let note = '';
    if (ready > 0 && tooFew) note = t.plural('need_min', this.rules.minFiles);
    else if (active === 0 && total > 0 && ready === 0) {
      const done = count('done');
      note = [done > 0 ? t.plural('summary_done', done) : '', unsettled > 0 ? t.t('summary_failed', { count: unsettled }) : ''].filter(Boolean).join(' ');
    }
    ui.note.textContent = note;
    ui.note.hidden = !note;
    ui.foot.hidden = !primary && !secondary && !note && ui.overall.hidden;
  }

  private primaryAction(): void {
    const ui = this.ui!;
    if (ui.primary.getAttribute('aria-disabled') === 'true') {
      if (ui.primary.dataset.action === 'upload') this.announce(ui.note.textContent ?? '');
      return;
    }
    if (ui.primary.dataset.action === 'upload') this.startUploads();
    else if (ui.primary.dataset.action === 'done') this.finish();
  }

  private secondaryAction(): void {
    const action = this.ui!.secondary.dataset.action;
    if (action === 'cancel-all') this.cancelAll();
    else if (action === 'retry') {
      for (const e of this.entries) if (e.status === 'failed' || e.status === 'canceled') this.retry(e);
      this.ui?.primary.focus();
    }
  }

  /** "Done": report what is left, then close (modal) or start afresh (inline). */
  private finish(): void {
    this.report();
    if (this.modal) return this.close();
    for (const e of this.entries) {
      if (e.thumb) URL.revokeObjectURL(e.thumb);
      e.view?.li.remove();
    }
    this.entries = [];
    this.showMessages([]);
    this.renderAll();
    this.selectedTab()?.focus();
  }

  // ---- keyboard ----

  private onKeydown(e: KeyboardEvent): void {
    if (!this.modal || !this.ui) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      this.close();
      return;
    }
    if (e.key !== 'Tab') return;
    // Keep Tab and Shift+Tab inside the dialog.
    const items = tabbable(this.ui.dialog);
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = this.root!.activeElement;
    const inside = active !== null && this.ui.dialog.contains(active);
    if (e.shiftKey && (!inside || active === first)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (!inside || active === last)) {
      e.preventDefault();
      first.focus();
    }
  }

  /** Focus that escapes the modal (a click elsewhere, assistive technology) is brought back. */
  private readonly onDocumentFocus = (e: FocusEvent) => {
    if (!this.host || !this.ui) return;
    if (e.target === this.host || this.host.contains(e.target as Node)) return;
    (tabbable(this.ui.dialog)[0] ?? this.ui.dialog).focus();
  };
}

function isSettled(s: Status): boolean {
  return s === 'done' || s === 'failed' || s === 'canceled';
}

/** A web link from what the user typed ("example.com/a.pdf" gets https://), or undefined. */
function parseLink(raw: string): URL | undefined {
  const text = raw.trim();
  if (!text || /\s/.test(text)) return undefined;
  const schemed = /^[a-z][a-z0-9+.-]*:/i.test(text);
  try {
    const url = new URL(schemed ? text : `https://${text}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    const host = url.hostname;
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9_-]+(\.[a-z0-9_-]+)*)$/i.test(host)) return undefined;
    // Without a scheme, insist on a dotted name, so a stray word is not taken for a host.
    return schemed || host.includes('.') ? url : undefined;
  } catch {
    return undefined;
  }
}

function nameFromUrl(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).pop();
  if (last) {
    try {
      return decodeURIComponent(last);
    } catch {
      return last;
    }
  }
  return url.hostname;
}

