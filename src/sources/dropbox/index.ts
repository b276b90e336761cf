// Dropbox (API v2). OAuth 2 code flow with PKCE and `token_access_type=offline` for a refresh
// token; scopes files.metadata.read and files.content.read (read-only). Listing is
// /2/files/list_folder then /2/files/list_folder/continue with the cursor; bytes come from
// content.dropboxapi.com /2/files/download with the path (here, the file id) in the
// Dropbox-API-Arg header and `Range` passed through.
import { FerryError } from '../../errors.js';
import { mediaType } from '../../file-names.js';
import { oauthMethods, type OAuthClient, type OAuthFlow } from '../oauth.js';
import { accountTokens, bearer, callJson, download, type ProviderHttp } from '../provider-http.js';
import type { AccountSource, Fetch, ProviderTokens, RemoteFile } from '../types.js';
import { headerSafeJson, readError, toListItem, type DropboxEntry, type DropboxListFolderResult } from './adapter.js';

export interface DropboxConfig extends OAuthClient {
  apiUrl: string;
  contentUrl: string;
}

export const DROPBOX_DEFAULTS = {
  authUrl: 'https://www.dropbox.com/oauth2/authorize',
  tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
  apiUrl: 'https://api.dropboxapi.com',
  contentUrl: 'https://content.dropboxapi.com',
};

export const DROPBOX_SCOPES = 'files.metadata.read files.content.read';
const PAGE_SIZE = 200;

const OAUTH: OAuthFlow = {
  pkce: true,
  scope: DROPBOX_SCOPES,
  // Without it Dropbox issues only a short-lived access token and no refresh token.
  authorizeParams: { token_access_type: 'offline' },
};

export function dropboxSource(config: DropboxConfig, fetch: Fetch, now: () => Date): AccountSource {
  const http: ProviderHttp = { title: 'Dropbox', fetch, now, readError };

  const rpc = <T>(tokens: ProviderTokens, path: string, arg: unknown, signal?: AbortSignal) =>
    callJson<T>(http, `${config.apiUrl}${path}`, {
      method: 'POST',
      headers: { ...bearer(tokens), 'content-type': 'application/json' },
      body: JSON.stringify(arg),
      signal,
    });

  return {
    name: 'dropbox',
    title: 'Dropbox',
    ...oauthMethods(http, config, OAUTH),

    async list(tokens, { folder, cursor, signal }) {
      const result = cursor
        ? await rpc<DropboxListFolderResult>(tokens, '/2/files/list_folder/continue', { cursor }, signal)
        : await rpc<DropboxListFolderResult>(
            tokens,
            '/2/files/list_folder',
            { path: folderPath(folder), limit: PAGE_SIZE, include_non_downloadable_files: false },
            signal,
          );
      const entries = Array.isArray(result.entries) ? result.entries : [];
      return {
        items: entries.map(toListItem).filter((i) => i !== undefined),
        cursor: result.has_more && typeof result.cursor === 'string' ? result.cursor : null,
      };
    },

    async metadata(tokens, id, signal): Promise<RemoteFile> {
      const entry = await rpc<DropboxEntry>(accountTokens(http, tokens), '/2/files/get_metadata', { path: filePath(id) }, signal);
      const item = toListItem(entry);
      if (!item) throw new FerryError('origin_rejected', 'Dropbox cannot download that item.');
      return { ...item, type: item.kind === 'file' ? mediaType(null, item.name) : null };
    },

    open(tokens, id, { range, signal }) {
      return download(http, `${config.contentUrl}/2/files/download`, {
        method: 'POST',
        headers: { ...bearer(accountTokens(http, tokens)), 'dropbox-api-arg': headerSafeJson({ path: filePath(id) }) },
        range,
        signal,
      });
    },
  };
}

/** "" is the root; otherwise an id ("id:…") or a path ("/…"), as Dropbox accepts both. */
function folderPath(folder: string | undefined): string {
  if (!folder || folder === '/') return '';
  return filePath(folder);
}

function filePath(id: string): string {
  if (/^(id:[A-Za-z0-9_-]+|\/.*|rev:[0-9a-f]+|ns:\d+(\/.*)?)$/.test(id) && id.length <= 4096) return id;
  throw new FerryError('bad_request', 'Not a Dropbox file id.');
}
