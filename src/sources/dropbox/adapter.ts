// Dropbox API v2 JSON to Ferry's shapes. Entries of /2/files/list_folder and
// /2/files/get_metadata are unions tagged by ".tag" (file, folder, deleted); errors are
// {"error_summary": "path/not_found/..", "error": {".tag": …}} with 409 for endpoint errors,
// 401 for auth errors ("expired_access_token", "invalid_access_token") and 429 for rate limits
// ({"error": {"reason": {".tag": "too_many_requests"}, "retry_after": 300}}).
import { mediaType } from '../../file-names.js';
import type { ErrorReading } from '../provider-http.js';
import type { ListItem } from '../types.js';

export interface DropboxEntry {
  '.tag': 'file' | 'folder' | 'deleted';
  id?: string;
  name: string;
  path_lower?: string;
  path_display?: string;
  size?: number;
  client_modified?: string;
  server_modified?: string;
  is_downloadable?: boolean;
}

export interface DropboxListFolderResult {
  entries: DropboxEntry[];
  cursor: string;
  has_more: boolean;
}

/** One list item, or undefined for entries Ferry cannot offer (deleted, not downloadable). */
export function toListItem(e: DropboxEntry): ListItem | undefined {
  if (!e || typeof e.name !== 'string' || typeof e.id !== 'string') return undefined;
  if (e['.tag'] === 'folder') {
    return { id: e.id, name: e.name, kind: 'folder', size: null, type: null, modifiedAt: null };
  }
  if (e['.tag'] !== 'file' || e.is_downloadable === false) return undefined;
  return {
    id: e.id,
    name: e.name,
    kind: 'file',
    size: typeof e.size === 'number' ? e.size : null,
    type: mediaType(null, e.name),
    modifiedAt: e.server_modified ?? e.client_modified ?? null,
  };
}

export function readError(status: number, body: { json?: unknown; text: string }): ErrorReading {
  const json = body.json as { error_summary?: unknown; error?: { retry_after?: unknown } } | undefined;
  const summary = typeof json?.error_summary === 'string' ? json.error_summary : undefined;
  const retry = json?.error?.retry_after;
  const retryAfter = typeof retry === 'number' ? String(retry) : undefined;
  // "path/not_found/.." → "path/not_found"
  const detail = summary?.replace(/\/\.*$/, '');
  if (status === 401) return { kind: 'auth_expired', detail };
  if (status === 429) return { kind: 'rate_limited', detail, retryAfter };
  if (status === 409 && summary && /(^|\/)not_found(\/|$)/.test(summary)) return { kind: 'not_found', detail };
  return { detail };
}

/**
 * Dropbox-API-Arg carries JSON in an HTTP header, so every character outside ASCII must be
 * escaped as \uXXXX ("HTTP header safe JSON" in Dropbox's JSON encoding notes).
 */
export function headerSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
