// OneDrive through Microsoft Graph v1.0. OAuth 2 on the Microsoft identity platform (v2.0
// endpoints, the "common" authority by default) with PKCE; scopes Files.Read (read-only, the
// user's own files) and offline_access for a refresh token; refresh tokens rotate. Listing is
// /me/drive/root/children or /me/drive/items/{id}/children, paged by @odata.nextLink; bytes come
// from /me/drive/items/{id}/content, which answers 302 to a short-lived pre-authenticated URL
// that is fetched without the bearer token, `Range` passed through.
import { FerryError } from '../../errors.js';
import { bearer, call, callJson, downloadAnswer, followDownload, tokenRequest, withQuery, type ProviderHttp } from '../provider-http.js';
import type { AccountSource, Fetch, ProviderTokens, RemoteFile } from '../types.js';
import { readError, toListItem, type DriveItem, type DriveItemPage } from './adapter.js';

export interface OneDriveConfig {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  apiUrl: string;
}

export const ONEDRIVE_DEFAULTS = {
  authUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
  tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  apiUrl: 'https://graph.microsoft.com/v1.0',
};

export const ONEDRIVE_SCOPES = 'offline_access Files.Read';
const SELECT = 'id,name,size,file,folder,lastModifiedDateTime';

export function oneDriveSource(config: OneDriveConfig, fetch: Fetch, now: () => Date): AccountSource {
  const http: ProviderHttp = { title: 'OneDrive', fetch, now, readError };
  const api = new URL(config.apiUrl);

  /** The bearer token goes to Graph only: a next-page link must point back at the API. */
  function nextPage(cursor: string): string {
    let url: URL;
    try {
      url = new URL(cursor);
    } catch {
      throw new FerryError('bad_request', 'Not a OneDrive page cursor.');
    }
    if (url.origin !== api.origin || !url.pathname.startsWith(`${api.pathname.replace(/\/$/, '')}/`)) {
      throw new FerryError('bad_request', 'Not a OneDrive page cursor.');
    }
    return url.href;
  }

  return {
    name: 'onedrive',
    title: 'OneDrive',
    pkce: true,

    authorizationUrl({ redirectUri, state, codeChallenge }) {
      return withQuery(config.authUrl, {
        client_id: config.clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        response_mode: 'query',
        scope: ONEDRIVE_SCOPES,
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
        scope: ONEDRIVE_SCOPES,
        code_verifier: codeVerifier,
      });
    },

    refresh(tokens) {
      if (!tokens.refresh) throw new FerryError('source_auth_expired', 'The OneDrive connection has expired; connect again.');
      return tokenRequest(
        http,
        config.tokenUrl,
        {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh,
          client_id: config.clientId,
          client_secret: config.clientSecret,
          scope: ONEDRIVE_SCOPES,
        },
        tokens,
      );
    },

    async list(tokens, { folder, cursor, signal }) {
      const url = cursor
        ? nextPage(cursor)
        : withQuery(folder ? `${config.apiUrl}/me/drive/items/${itemId(folder)}/children` : `${config.apiUrl}/me/drive/root/children`, {
            $top: '200',
            $select: SELECT,
          });
      const page = await callJson<DriveItemPage>(http, url, { headers: bearer(tokens), signal });
      const next = page['@odata.nextLink'];
      return {
        items: (Array.isArray(page.value) ? page.value : []).map(toListItem).filter((i) => i !== undefined),
        cursor: typeof next === 'string' && next ? next : null,
      };
    },

    async metadata(tokens, id, signal): Promise<RemoteFile> {
      const url = withQuery(`${config.apiUrl}/me/drive/items/${itemId(id)}`, { $select: SELECT });
      const item = toListItem(await callJson<DriveItem>(http, url, { headers: bearer(need(tokens)), signal }));
      if (!item) throw new FerryError('origin_rejected', 'OneDrive cannot download that item.');
      return item;
    },

    async open(tokens, id, { range, signal }) {
      const url = `${config.apiUrl}/me/drive/items/${itemId(id)}/content`;
      const first = await call(
        http,
        url,
        { headers: { ...bearer(need(tokens)), ...(range ? { range } : {}) }, signal },
        (s) => s === 200 || s === 206 || s === 302 || s === 416,
      );
      return downloadAnswer(http, await followDownload(http, first, url, range, signal), range);
    },
  };
}

function need(tokens: ProviderTokens | undefined): ProviderTokens {
  if (!tokens) throw new FerryError('invalid_account', 'OneDrive needs a connected account.');
  return tokens;
}

function itemId(id: string): string {
  if (/^[A-Za-z0-9!._-]{1,200}$/.test(id)) return encodeURIComponent(id);
  throw new FerryError('bad_request', 'Not a OneDrive item id.');
}
