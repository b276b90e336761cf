// The source tabs down the side: one button per source, a roving tabindex (arrow keys move
// between tabs and select as they go), and the selected one marked for assistive technology.
import type { FerrySource } from './api.js';
import { clear, h, icon, rovingKeys } from './dom.js';

const ICONS: Record<string, string> = { local: 'local', url: 'url' };

export interface TabsActions {
  select(name: FerrySource, focus: boolean): void;
  title(name: string): string;
}

/** Arrow keys, Home and End move along the tabs and select the one they land on. */
export function tabKeys(tabs: HTMLElement, root: ShadowRoot, on: TabsActions): void {
  tabs.addEventListener('keydown', (e) => {
    const buttons = Array.from(tabs.querySelectorAll<HTMLElement>('[role=tab]'));
    if (rovingKeys(e, buttons, 'both')) on.select((root.activeElement as HTMLElement).dataset.source as FerrySource, false);
  });
}

export function renderTabs(tabs: HTMLElement, names: FerrySource[], current: FerrySource, on: TabsActions): void {
  clear(tabs);
  for (const name of names) {
    const selected = name === current;
    tabs.append(
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
          onClick: () => on.select(name, false),
        },
        icon(ICONS[name] ?? 'cloud'),
        h('span', { text: on.title(name) }),
      ),
    );
  }
}

export function markSelected(tabs: HTMLElement, name: FerrySource): void {
  for (const tab of tabs.querySelectorAll<HTMLElement>('[role=tab]')) {
    const on = tab.dataset.source === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
  }
}

export function selectedTab(tabs: HTMLElement | undefined): HTMLElement | null {
  return tabs?.querySelector<HTMLElement>('[aria-selected="true"]') ?? null;
}
