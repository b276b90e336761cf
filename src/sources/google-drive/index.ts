// Google Drive (API v3). OAuth 2 for web server apps with PKCE, `access_type=offline` and
// `prompt=consent` so a refresh token comes back every time; scope drive.readonly. Listing is
// files.list with q="'<folder>' in parents and trashed = false" and pageToken; metadata is
// files.get with `fields`; bytes are files.get with alt=media and `Range` passed through.
import { FerryError } from '../../errors.js';
import { oauthMethods, type OAuthClient, type OAuthFlow } from '../oauth.js';
import { accountTokens, bearer, download, getJson, withQuery, type ProviderHttp } from '../provider-http.js';
import type { AccountSource, Fetch, RemoteFile } from '../types.js';
import { readError, toListItem, type DriveFile, type DriveFileList } from './adapter.js';

export interface GoogleDriveConfig extends OAuthClient {
  apiUrl: string;
}

export const GOOGLE_DRIVE_DEFAULTS = {
  authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  apiUrl: 'https://www.googleapis.com',
};

export const GOOGLE_DRIVE_SCOPES = 'https://www.googleapis.com/auth/drive.readonly';
const FIELDS = 'id,name,mimeType,size,modifiedTime';
const PAGE_SIZE = '200';

const OAUTH: OAuthFlow = {
  pkce: true,
  scope: GOOGLE_DRIVE_SCOPES,
  // Google sends a refresh token only for offline access, and again on later consents only
  // when asked to prompt.
  authorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
};

export function googleDriveSource(config: GoogleDriveConfig, fetch: Fetch, now: () => Date): AccountSource {
  const http: ProviderHttp = { title: 'Google Drive', fetch, now, readError };
  const files = `${config.apiUrl}/drive/v3/files`;

  return {
    name: 'google-drive',
    title: 'Google Drive',
    ...oauthMethods(http, config, OAUTH),

    async list(tokens, { folder, cursor, signal }) {
      const url = withQuery(files, {
        q: `'${driveId(folder || 'root')}' in parents and trashed = false`,
        fields: `nextPageToken,files(${FIELDS})`,
        pageSize: PAGE_SIZE,
        orderBy: 'folder,name_natural',
        pageToken: cursor || undefined,
        supportsAllDrives: 'true',
        includeItemsFromAllDrives: 'true',
      });
      const result = await getJson<DriveFileList>(http, tokens, url, signal);
      return {
        items: (Array.isArray(result.files) ? result.files : []).map(toListItem).filter((i) => i !== undefined),
        cursor: typeof result.nextPageToken === 'string' && result.nextPageToken ? result.nextPageToken : null,
      };
    },

    async metadata(tokens, id, signal): Promise<RemoteFile> {
      const url = withQuery(`${files}/${driveId(id)}`, { fields: FIELDS, supportsAllDrives: 'true' });
      const file = await getJson<DriveFile>(http, accountTokens(http, tokens), url, signal);
      const item = toListItem(file);
      if (!item) throw new FerryError('origin_rejected', 'Google Docs, Sheets and Slides cannot be picked as files (they have no bytes to download).');
      return item;
    },

    open(tokens, id, { range, signal }) {
      const url = withQuery(`${files}/${driveId(id)}`, { alt: 'media', supportsAllDrives: 'true' });
      return download(http, url, { headers: bearer(accountTokens(http, tokens)), range, signal });
    },
  };
}

/** Drive ids are URL-safe base64-ish; anything else could change the query's meaning. */
function driveId(id: string): string {
  if (/^[A-Za-z0-9_-]{1,200}$/.test(id)) return id;
  throw new FerryError('bad_request', 'Not a Google Drive file id.');
}
