// Dropbox (API v2). OAuth 2 code flow with PKCE and `token_access_type=offline` for a refresh
// token; scopes files.metadata.read and files.content.read (read-only). Listing is
// /2/files/list_folder then /2/files/list_folder/continue with the cursor; bytes come from
// content.dropboxapi.com /2/files/download with the path (here, the file id) in the
// Dropbox-API-Arg header and `Range` passed through.
import { FerryError } from '../../errors.js';
import { mediaType } from '../../file-names.js';
import { bearer, call, callJson, downloadAnswer, tokenRequest, withQuery, type ProviderHttp } from '../provider-http.js';
import type { AccountSource, Fetch, ProviderTokens, RemoteFile } from '../types.js';
import { headerSafeJson, readError, toListItem, type DropboxEntry, type DropboxListFolderResult } from './adapter.js';

export interface DropboxConfig {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
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
    pkce: true,

    authorizationUrl({ redirectUri, state, codeChallenge }) {
      return withQuery(config.authUrl, {
        client_id: config.clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        state,
        token_access_type: 'offline',
        scope: DROPBOX_SCOPES,
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
      if (!tokens.refresh) throw new FerryError('source_auth_expired', 'The Dropbox connection has expired; connect again.');
      return tokenRequest(
        http,
        config.tokenUrl,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh, client_id: config.clientId, client_secret: config.clientSecret },
        tokens,
      );
    },

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
      const entry = await rpc<DropboxEntry>(need(tokens), '/2/files/get_metadata', { path: filePath(id) }, signal);
      const item = toListItem(entry);
      if (!item) throw new FerryError('origin_rejected', 'Dropbox cannot download that item.');
      return { ...item, type: item.kind === 'file' ? mediaType(null, item.name) : null };
    },

    async open(tokens, id, { range, signal }) {
      const res = await call(
        http,
        `${config.contentUrl}/2/files/download`,
        {
          method: 'POST',
          headers: { ...bearer(need(tokens)), 'dropbox-api-arg': headerSafeJson({ path: filePath(id) }), ...(range ? { range } : {}) },
          signal,
        },
        (s) => s === 200 || s === 206 || s === 416,
      );
      return downloadAnswer(http, res, range);
    },
  };
}

function need(tokens: ProviderTokens | undefined): ProviderTokens {
  if (!tokens) throw new FerryError('invalid_account', 'Dropbox needs a connected account.');
  return tokens;
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
