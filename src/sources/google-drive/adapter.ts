// Google Drive API v3 JSON to Ferry's shapes. files.list answers {"files": [...],
// "nextPageToken"}; a file resource carries id, name, mimeType, size (an int64 as a string)
// and modifiedTime. Folders have mimeType application/vnd.google-apps.folder; Google Docs,
// Sheets and the like (other application/vnd.google-apps.* types) have no bytes to download
// (they would need files.export) and are left out. Errors are
// {"error": {"code", "message", "errors": [{"domain", "reason"}], "status"}}: 401 authError for
// an expired token, 403 with reason userRateLimitExceeded / rateLimitExceeded for rate limits,
// 404 notFound.
import type { ErrorReading } from '../provider-http.js';
import type { ListItem } from '../types.js';

export const FOLDER_TYPE = 'application/vnd.google-apps.folder';

export interface DriveFile {
  id?: string;
  name?: string;
  mimeType?: string;
  size?: string;
  modifiedTime?: string;
}

export interface DriveFileList {
  files?: DriveFile[];
  nextPageToken?: string;
}

export function toListItem(f: DriveFile): ListItem | undefined {
  if (!f || typeof f.id !== 'string' || typeof f.name !== 'string' || typeof f.mimeType !== 'string') return undefined;
  if (f.mimeType === FOLDER_TYPE) {
    return { id: f.id, name: f.name, kind: 'folder', size: null, type: null, modifiedAt: f.modifiedTime ?? null };
  }
  if (f.mimeType.startsWith('application/vnd.google-apps.')) return undefined;
  const size = f.size !== undefined && /^\d{1,15}$/.test(f.size) ? Number(f.size) : null;
  return { id: f.id, name: f.name, kind: 'file', size, type: f.mimeType, modifiedAt: f.modifiedTime ?? null };
}

const RATE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'sharingRateLimitExceeded', 'dailyLimitExceeded']);

export function readError(status: number, body: { json?: unknown }): ErrorReading {
  const error = (body.json as { error?: { errors?: { reason?: unknown }[]; status?: unknown } } | undefined)?.error;
  const reason = error?.errors?.find((e) => typeof e?.reason === 'string')?.reason as string | undefined;
  const detail = reason ?? (typeof error?.status === 'string' ? error.status : undefined);
  if (status === 401) return { kind: 'auth_expired', detail };
  if (status === 429 || (status === 403 && reason && RATE_REASONS.has(reason))) return { kind: 'rate_limited', detail };
  if (status === 404) return { kind: 'not_found', detail };
  return { detail };
}
