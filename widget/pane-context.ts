// What a pane (My Device, Link, a cloud provider) may use of the picker, and what it proposes.
// Panes only propose files; the picker screens them and owns the queue. Kept apart from
// picker.ts so that the panes and the picker import it, and not each other.
import type { FerrySource } from './api.js';
import type { Endpoint, PickRequest } from './client.js';
import type { Translator } from './i18n.js';
import type { Restrictions } from './restrictions.js';

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
