// Google Drive (API v3). OAuth 2 for web server apps with PKCE, `access_type=offline` and
// `prompt=consent` so a refresh token comes back every time; scope drive.readonly. Listing is
// files.list with q="'<folder>' in parents and trashed = false" and pageToken; metadata is
// files.get with `fields`; bytes are files.get with alt=media and `Range` passed through.
import { FerryError } from '../../errors.js';
import { bearer, call, callJson, downloadAnswer, tokenRequest, withQuery, type ProviderHttp } from '../provider-http.js';
import type { AccountSource, Fetch, ProviderTokens, RemoteFile } from '../types.js';
import { readError, toListItem, type DriveFile, type DriveFileList } from './adapter.js';

export interface GoogleDriveConfig {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
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

export function googleDriveSource(config: GoogleDriveConfig, fetch: Fetch, now: () => Date): AccountSource {
  const http: ProviderHttp = { title: 'Google Drive', fetch, now, readError };
  const files = `${config.apiUrl}/drive/v3/files`;

  return {
    name: 'google-drive',
    title: 'Google Drive',
    pkce: true,

    authorizationUrl({ redirectUri, state, codeChallenge }) {
      return withQuery(config.authUrl, {
        client_id: config.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: GOOGLE_DRIVE_SCOPES,
        access_type: 'offline',
        prompt: 'consent',
        include_granted_scopes: 'true',
        state,
        code_challenge: codeChallenge,
        code_challenge_method: codeChallenge ? 'S256' : undefined,
      });
    },

    exchangeCode({ code, redirectUri, codeVerifier }) {
      return tokenRequest(http, config.tokenUrl, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: config.clientId,
        client_secret: config.clientSecret,
        code_verifier: codeVerifier,
      });
    },

    refresh(tokens) {
      if (!tokens.refresh) throw new FerryError('source_auth_expired', 'The Google Drive connection has expired; connect again.');
      return tokenRequest(
        http,
        config.tokenUrl,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh, client_id: config.clientId, client_secret: config.clientSecret },
        tokens,
      );
    },

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
      const result = await callJson<DriveFileList>(http, url, { headers: bearer(tokens), signal });
      return {
        items: (Array.isArray(result.files) ? result.files : []).map(toListItem).filter((i) => i !== undefined),
        cursor: typeof result.nextPageToken === 'string' && result.nextPageToken ? result.nextPageToken : null,
      };
    },

    async metadata(tokens, id, signal): Promise<RemoteFile> {
      const url = withQuery(`${files}/${driveId(id)}`, { fields: FIELDS, supportsAllDrives: 'true' });
      const file = await callJson<DriveFile>(http, url, { headers: bearer(need(tokens)), signal });
      const item = toListItem(file);
      if (!item) throw new FerryError('origin_rejected', 'Google Docs, Sheets and Slides cannot be picked as files (they have no bytes to download).');
      return item;
    },

    async open(tokens, id, { range, signal }) {
      const url = withQuery(`${files}/${driveId(id)}`, { alt: 'media', supportsAllDrives: 'true' });
      const res = await call(
        http,
        url,
        { headers: { ...bearer(need(tokens)), ...(range ? { range } : {}) }, signal },
        (s) => s === 200 || s === 206 || s === 416,
      );
      return downloadAnswer(http, res, range);
    },
  };
}

function need(tokens: ProviderTokens | undefined): ProviderTokens {
  if (!tokens) throw new FerryError('invalid_account', 'Google Drive needs a connected account.');
  return tokens;
}

/** Drive ids are URL-safe base64-ish; anything else could change the query's meaning. */
function driveId(id: string): string {
  if (/^[A-Za-z0-9_-]{1,200}$/.test(id)) return id;
  throw new FerryError('bad_request', 'Not a Google Drive file id.');
}
