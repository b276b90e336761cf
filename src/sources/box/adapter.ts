// Box API 2.0 JSON to Ferry's shapes. Folder items come as {"entries": [...], "limit",
// "next_marker"} with marker-based paging; an entry has type file, folder or web_link (links
// are left out), and file entries carry size and modified_at when asked for with `fields`.
// Errors are {"type": "error", "status", "code", "message", "request_id"}; an expired token is
// a 401 whose WWW-Authenticate header says error="invalid_token"; 429 rate_limit_exceeded comes
// with Retry-After; 202 on a download means "not ready yet, retry after".
import { mediaType } from '../../file-names.js';
import type { ErrorReading } from '../provider-http.js';
import type { ListItem } from '../types.js';

export interface BoxItem {
  type?: string;
  id?: string;
  name?: string;
  size?: number;
  modified_at?: string;
}

export interface BoxItems {
  entries?: BoxItem[];
  next_marker?: string | null;
}

export function toListItem(e: BoxItem): ListItem | undefined {
  if (!e || typeof e.id !== 'string' || typeof e.name !== 'string') return undefined;
  const time = e.modified_at ? Date.parse(e.modified_at) : NaN;
  const modifiedAt = Number.isNaN(time) ? null : new Date(time).toISOString();
  if (e.type === 'folder') return { id: e.id, name: e.name, kind: 'folder', size: null, type: null, modifiedAt };
  if (e.type !== 'file') return undefined;
  return {
    id: e.id,
    name: e.name,
    kind: 'file',
    size: typeof e.size === 'number' ? e.size : null,
    type: mediaType(null, e.name),
    modifiedAt,
  };
}

export function readError(status: number, body: { json?: unknown }, headers: Headers): ErrorReading {
  const code = (body.json as { code?: unknown } | undefined)?.code;
  const detail = typeof code === 'string' ? code : undefined;
  const challenge = headers.get('www-authenticate') ?? '';
  if (status === 401 || /error="invalid_token"/.test(challenge)) return { kind: 'auth_expired', detail: detail ?? 'invalid_token' };
  if (status === 429 || status === 202) return { kind: 'rate_limited', detail: detail ?? (status === 202 ? 'not_ready' : undefined) };
  if (status === 404 || detail === 'not_found' || detail === 'trashed') return { kind: 'not_found', detail };
  return { detail };
}
