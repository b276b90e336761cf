// One cloud provider's pane: Connect (Ferry's OAuth popup, which hands back a sealed account
// token by postMessage from Ferry's exact origin), then folders with breadcrumbs, pages loaded on
// demand, multi-select across folders, and "Add N files". The account token is kept in
// sessionStorage: it lasts as long as the tab, and never reaches another site or a cookie.
import type { AccountSourceName, ListItem } from '../src/wire.js';
import { RequestError, connectUrl, listFolder } from './client.js';
import { clear, h, icon, rovingKeys } from './dom.js';
import { isAccountError, sentenceFor } from './errors.js';
import { nameView } from './names.js';
import type { PaneContext } from './pane-context.js';
import { accepts, typeOf } from './restrictions.js';

const memoryStore = new Map<string, string>();

function storage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> {
  try {
    const s = window.sessionStorage;
    s.getItem('ferry');
    return s;
  } catch {
    // Storage can be off (sandboxed frames, strict privacy settings): remember for this page only.
    return {
      getItem: (k) => memoryStore.get(k) ?? null,
      setItem: (k, v) => void memoryStore.set(k, v),
      removeItem: (k) => void memoryStore.delete(k),
    };
  }
}

export class CloudPane {
  readonly element = h('div', { class: 'browser' });
  private readonly storeKey: string;
  private account: string | null;
  private crumbs: { id: string; name: string }[];
  private items: ListItem[] = [];
  private cursor: string | null = null;
  private loading = false;
  private error: string | undefined;
  private connectError: string | undefined;
  private connecting = false;
  private popup: Window | null = null;
  private stopWatching: (() => void) | undefined;
  private readonly selected = new Map<string, ListItem>();
  private generation = 0;
  /** Row to focus after the next render (set when the user navigated). */
  private focusRow: number | undefined;
  private rowIndex = 0;
  private pickButton: HTMLButtonElement | undefined;
  private pickHint: HTMLElement | undefined;

  constructor(
    private readonly ctx: PaneContext,
    readonly provider: AccountSourceName,
  ) {
    this.storeKey = `ferry:account:${new URL(ctx.ep.base).origin}:${ctx.ep.key}:${provider}`;
    this.account = storage().getItem(this.storeKey);
    this.crumbs = [{ id: '', name: ctx.sourceTitle(provider) }];
  }

  /** Shows the pane (loading the current folder the first time). */
  show(): void {
    if (this.account && this.items.length === 0 && !this.loading && !this.error) void this.load(false);
    else this.render();
  }

  dispose(): void {
    this.stopWatching?.();
    this.generation++;
  }

  private get title(): string {
    return this.ctx.sourceTitle(this.provider);
  }

  private render(): void {
    const root = this.element.getRootNode() as ShadowRoot | Document;
    const hadFocus = this.element.contains(root.activeElement);
    clear(this.element);
    this.pickButton = undefined;
    if (!this.account) this.renderConnect();
    else this.renderBrowser();
    const rows = this.rowControls();
    if (this.focusRow !== undefined && !this.loading && rows.length) {
      this.rowIndex = Math.min(this.focusRow, rows.length - 1);
      this.focusRow = undefined;
      rows.forEach((r, i) => (r.tabIndex = i === this.rowIndex ? 0 : -1));
      rows[this.rowIndex]!.focus();
    } else if (hadFocus && !this.element.contains(root.activeElement)) {
      this.element.querySelector<HTMLElement>('[data-default-focus]')?.focus();
    }
  }

  private renderConnect(): void {
    const { t } = this.ctx;
    const title = this.title;
    const body = h(
      'div',
      { class: 'connect' },
      h('div', { class: 'big' }, icon('cloud', 44)),
      h('p', { text: t.t('connect_intro', { source: title }) }),
      this.connectError ? h('p', { class: 'error-text', role: 'alert', text: this.connectError }) : null,
    );
    if (this.connecting) {
      body.append(
        h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t.t('connecting', { source: title })),
        h('button', { class: 'btn', type: 'button', 'data-default-focus': '', onClick: () => this.cancelConnect() }, t.t('connect_cancel')),
      );
    } else {
      body.append(h('button', { class: 'btn primary', type: 'button', 'data-default-focus': '', onClick: () => this.connect() }, t.t('connect', { source: title })));
    }
    this.element.append(body);
  }

  private renderBrowser(): void {
    const { t } = this.ctx;
    const crumbs = h('ol');
    this.crumbs.forEach((c, i) => {
      const last = i === this.crumbs.length - 1;
      crumbs.append(
        h(
          'li',
          {},
          i > 0 ? icon('chevron', 14) : null,
          last ? h('span', { 'aria-current': 'page', text: c.name }) : h('button', { class: 'link-btn', type: 'button', onClick: () => this.goTo(i) }, c.name),
        ),
      );
    });
    const top = h(
      'div',
      { class: 'bar-top' },
      h('nav', { class: 'crumbs', 'aria-label': t.t('breadcrumbs') }, crumbs),
      h('button', { class: 'btn', type: 'button', onClick: () => this.signOut() }, t.t('disconnect')),
    );

    const here = this.crumbs.at(-1)!.name;
    const list = h('ul', { class: 'rows', 'aria-label': t.t('folder_label', { name: here }), 'aria-busy': this.loading ? 'true' : 'false' });
    list.addEventListener('keydown', (e) => rovingKeys(e, this.rowControls(), 'vertical'));
    list.addEventListener('focusin', (e) => {
      const i = this.rowControls().indexOf(e.target as HTMLElement);
      if (i >= 0) this.rowIndex = i;
    });
    for (const item of this.items) list.append(h('li', {}, item.kind === 'folder' ? this.folderRow(item) : this.fileRow(item)));
    if (this.loading) {
      list.append(h('li', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t.t('loading')));
    } else if (this.error) {
      list.append(
        h(
          'li',
          { class: 'note' },
          h('p', { class: 'error-text', role: 'alert', text: this.error }),
          h('button', { class: 'btn', type: 'button', 'data-default-focus': '', onClick: () => this.load(this.items.length > 0) }, t.t('retry_file', { name: here })),
        ),
      );
    } else if (this.items.length === 0) {
      list.append(h('li', { class: 'note', text: t.t('empty_folder') }));
    } else if (this.cursor) {
      list.append(h('li', {}, h('button', { class: 'row', type: 'button', 'data-row': '', onClick: () => this.loadMore() }, h('span', { class: 'name', text: t.t('load_more') }))));
    }
    const controls = this.rowControls(list);
    const current = Math.min(this.rowIndex, Math.max(controls.length - 1, 0));
    controls.forEach((c, i) => (c.tabIndex = i === current ? 0 : -1));
    if (controls[current]) controls[current]!.setAttribute('data-default-focus', '');

    this.pickHint = h('span', { class: 'hint' });
    this.pickButton = h('button', { class: 'btn primary', type: 'button', onClick: () => this.pick() });
    this.updatePickButton();
    const bottom = h('div', { class: 'bar-bottom' }, this.pickHint, this.pickButton);
    this.element.append(top, list, bottom);
  }

  private folderRow(item: ListItem): HTMLElement {
    return h(
      'button',
      { class: 'row', type: 'button', 'data-row': '', onClick: () => this.openFolder(item) },
      h('span', { class: 'folder-icon' }, icon('folder')),
      ...itemName(item.name),
      icon('chevron', 16),
    );
  }

  private fileRow(item: ListItem): HTMLElement {
    const { t, rules } = this.ctx;
    const type = typeOf(item.name, item.type);
    const allowed = accepts(rules.accept, item.name, type) && !(rules.maxSize !== undefined && item.size !== null && item.size > rules.maxSize);
    const meta = [item.size !== null ? t.bytes(item.size) : '', item.modifiedAt ? t.date(item.modifiedAt) : '', allowed ? '' : t.t('not_accepted')].filter(Boolean).join(' · ');
    const box = h('input', {
      type: 'checkbox',
      'data-row': '',
      checked: this.selected.has(item.id),
      disabled: !allowed,
      onChange: () => {
        if (box.checked) this.selected.set(item.id, item);
        else this.selected.delete(item.id);
        this.updatePickButton();
      },
      onKeydown: (e: KeyboardEvent) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          box.click();
        }
      },
    });
    return h(
      'label',
      { class: allowed ? 'row' : 'row off' },
      box,
      icon(type.startsWith('image/') ? 'image' : 'file'),
      ...itemName(item.name),
      h('span', { class: 'meta', text: meta }),
    );
  }

  private rowControls(list: ParentNode = this.element): HTMLElement[] {
    return Array.from(list.querySelectorAll<HTMLElement>('[data-row]')).filter((el) => !(el as HTMLInputElement).disabled);
  }

  private updatePickButton(): void {
    const b = this.pickButton;
    if (!b) return;
    const n = this.selected.size;
    b.textContent = n > 0 ? this.ctx.t.plural('pick', n) : this.ctx.t.t('pick_none');
    b.setAttribute('aria-disabled', String(n === 0));
    if (this.pickHint) this.pickHint.textContent = n > 0 ? '' : this.ctx.t.t('selected_none');
  }

  private openFolder(item: ListItem): void {
    this.crumbs.push({ id: item.id, name: item.name });
    this.focusRow = 0;
    this.rowIndex = 0;
    void this.load(false);
  }

  private goTo(index: number): void {
    this.crumbs = this.crumbs.slice(0, index + 1);
    this.focusRow = 0;
    this.rowIndex = 0;
    void this.load(false);
  }

  private loadMore(): void {
    this.focusRow = this.rowControls().length - 1;
    void this.load(true);
  }

  private async load(more: boolean): Promise<void> {
    const account = this.account;
    if (!account) return this.render();
    const generation = ++this.generation;
    this.loading = true;
    this.error = undefined;
    if (!more) {
      this.items = [];
      this.cursor = null;
    }
    this.render();
    try {
      const folder = this.crumbs.at(-1)!.id;
      const page = await listFolder(this.ctx.ep, this.provider, account, folder, more ? (this.cursor ?? undefined) : undefined);
      if (generation !== this.generation) return;
      if (page.account) this.remember(page.account);
      this.items = this.items.concat(page.items);
      this.cursor = page.cursor;
    } catch (e) {
      if (generation !== this.generation) return;
      const code = e instanceof RequestError ? e.code : 'network';
      if (isAccountError(code)) {
        this.forget();
        this.connectError = sentenceFor(this.ctx.t, code);
      } else {
        this.error = sentenceFor(this.ctx.t, code);
      }
    }
    this.loading = false;
    this.render();
  }

  private pick(): void {
    if (this.selected.size === 0 || !this.account) return;
    const account = this.account;
    const proposals = [...this.selected.values()].map((item) => ({
      name: item.name,
      size: item.size,
      type: typeOf(item.name, item.type),
      source: this.provider,
      remote: { source: this.provider, account, id: item.id },
    }));
    this.selected.clear();
    for (const box of this.element.querySelectorAll<HTMLInputElement>('input[type=checkbox]')) box.checked = false;
    this.updatePickButton();
    void this.ctx.add(proposals);
  }

  private connect(): void {
    const { ep, t } = this.ctx;
    this.stopWatching?.();
    const popup = window.open(connectUrl(ep, this.provider, location.origin), `ferry-connect-${this.provider}`, 'popup=yes,width=520,height=680');
    if (!popup) {
      this.connectError = t.t('popup_blocked');
      return this.render();
    }
    this.popup = popup;
    this.connecting = true;
    this.connectError = undefined;
    const ferryOrigin = new URL(ep.base).origin;
    const onMessage = (e: MessageEvent) => {
      // Only Ferry's own callback page, in the window we opened, for this provider.
      if (e.origin !== ferryOrigin || e.source !== popup) return;
      const data = e.data as { type?: string; provider?: string; account?: unknown; error?: { code?: unknown } } | null;
      if (!data || data.type !== 'ferry:connect' || data.provider !== this.provider) return;
      stop();
      if (typeof data.account === 'string') {
        this.remember(data.account);
        this.crumbs = this.crumbs.slice(0, 1);
        this.focusRow = 0;
        void this.load(false);
        return;
      }
      this.connectError = sentenceFor(t, typeof data.error?.code === 'string' ? data.error.code : 'source_auth_denied');
      this.render();
    };
    const timer = setInterval(() => {
      if (!popup.closed) return;
      clearInterval(timer);
      // The callback posts its message just before closing: give it a moment to arrive.
      setTimeout(() => {
        if (!this.connecting || this.popup !== popup) return;
        stop();
        this.connectError = t.t('popup_closed');
        this.render();
      }, 600);
    }, 300);
    const stop = () => {
      window.removeEventListener('message', onMessage);
      clearInterval(timer);
      this.connecting = false;
      this.popup = null;
      this.stopWatching = undefined;
    };
    window.addEventListener('message', onMessage);
    this.stopWatching = stop;
    this.render();
  }

  private cancelConnect(): void {
    this.popup?.close();
    this.stopWatching?.();
    this.render();
  }

  private remember(account: string): void {
    this.account = account;
    storage().setItem(this.storeKey, account);
  }

  private forget(): void {
    this.account = null;
    storage().removeItem(this.storeKey);
    this.items = [];
    this.cursor = null;
    this.selected.clear();
    this.crumbs = this.crumbs.slice(0, 1);
  }

  private signOut(): void {
    this.generation++;
    this.loading = false;
    this.error = undefined;
    this.connectError = undefined;
    this.forget();
    this.render();
    this.element.querySelector<HTMLElement>('[data-default-focus]')?.focus();
  }
}

/** A row's name, cut in the middle when the row is too narrow (./names.ts). */
function itemName(name: string): HTMLElement[] {
  const { full, cut } = nameView(name);
  return [full, cut];
}
