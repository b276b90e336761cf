// Microsoft Graph driveItem JSON to Ferry's shapes. Children come as {"value": [...],
// "@odata.nextLink": "<absolute URL of the next page>"}; an item has a `folder` facet or a
// `file` facet ({mimeType}); other kinds (OneNote packages, bundles) have neither and are left
// out. Errors are {"error": {"code", "message", "innerError"}}: 401 InvalidAuthenticationToken
// for an expired token, 404 itemNotFound, 429 activityLimitReached with Retry-After.
import { mediaType } from '../../file-names.js';
import type { ErrorReading } from '../provider-http.js';
import type { ListItem } from '../types.js';

export interface DriveItem {
  id?: string;
  name?: string;
  size?: number;
  lastModifiedDateTime?: string;
  file?: { mimeType?: string };
  folder?: { childCount?: number };
}

export interface DriveItemPage {
  value?: DriveItem[];
  '@odata.nextLink'?: string;
}

export function toListItem(item: DriveItem): ListItem | undefined {
  if (!item || typeof item.id !== 'string' || typeof item.name !== 'string') return undefined;
  const modifiedAt = item.lastModifiedDateTime ?? null;
  if (item.folder) return { id: item.id, name: item.name, kind: 'folder', size: null, type: null, modifiedAt };
  if (!item.file) return undefined;
  return {
    id: item.id,
    name: item.name,
    kind: 'file',
    size: typeof item.size === 'number' ? item.size : null,
    type: mediaType(item.file.mimeType, item.name),
    modifiedAt,
  };
}

export function readError(status: number, body: { json?: unknown }): ErrorReading {
  const code = (body.json as { error?: { code?: unknown } } | undefined)?.error?.code;
  const detail = typeof code === 'string' ? code : undefined;
  if (status === 401) return { kind: 'auth_expired', detail };
  if (status === 429 || detail === 'activityLimitReached') return { kind: 'rate_limited', detail };
  if (status === 404 || detail === 'itemNotFound') return { kind: 'not_found', detail };
  return { detail };
}
