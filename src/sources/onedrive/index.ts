// OneDrive through Microsoft Graph v1.0. OAuth 2 on the Microsoft identity platform (v2.0
// endpoints, the "common" authority by default) with PKCE; scopes Files.Read (read-only, the
// user's own files) and offline_access for a refresh token; refresh tokens rotate. Listing is
// /me/drive/root/children or /me/drive/items/{id}/children, paged by @odata.nextLink; bytes come
// from /me/drive/items/{id}/content, which answers 302 to a short-lived pre-authenticated URL
// that is fetched without the bearer token, `Range` passed through.
import { FerryError } from '../../errors.js';
import { oauthMethods, type OAuthClient, type OAuthFlow } from '../oauth.js';
import { accountTokens, bearer, download, getJson, withQuery, type ProviderHttp } from '../provider-http.js';
import type { AccountSource, Fetch, RemoteFile } from '../types.js';
import { readError, toListItem, type DriveItem, type DriveItemPage } from './adapter.js';

export interface OneDriveConfig extends OAuthClient {
  apiUrl: string;
}

export const ONEDRIVE_DEFAULTS = {
  authUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
  tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
  apiUrl: 'https://graph.microsoft.com/v1.0',
};

export const ONEDRIVE_SCOPES = 'offline_access Files.Read';
const SELECT = 'id,name,size,file,folder,lastModifiedDateTime';

const OAUTH: OAuthFlow = {
  pkce: true,
  scope: ONEDRIVE_SCOPES,
  authorizeParams: { response_mode: 'query' },
  // The v2.0 token endpoint takes the scope again, on the code exchange and on every refresh.
  tokenParams: { scope: ONEDRIVE_SCOPES },
};

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
    ...oauthMethods(http, config, OAUTH),

    async list(tokens, { folder, cursor, signal }) {
      const url = cursor
        ? nextPage(cursor)
        : withQuery(folder ? `${config.apiUrl}/me/drive/items/${itemId(folder)}/children` : `${config.apiUrl}/me/drive/root/children`, {
            $top: '200',
            $select: SELECT,
          });
      const page = await getJson<DriveItemPage>(http, tokens, url, signal);
      const next = page['@odata.nextLink'];
      return {
        items: (Array.isArray(page.value) ? page.value : []).map(toListItem).filter((i) => i !== undefined),
        cursor: typeof next === 'string' && next ? next : null,
      };
    },

    async metadata(tokens, id, signal): Promise<RemoteFile> {
      const url = withQuery(`${config.apiUrl}/me/drive/items/${itemId(id)}`, { $select: SELECT });
      const item = toListItem(await getJson<DriveItem>(http, accountTokens(http, tokens), url, signal));
      if (!item) throw new FerryError('origin_rejected', 'OneDrive cannot download that item.');
      return item;
    },

    open(tokens, id, { range, signal }) {
      const url = `${config.apiUrl}/me/drive/items/${itemId(id)}/content`;
      return download(http, url, { headers: bearer(accountTokens(http, tokens)), range, signal, redirects: true });
    },
  };
}

function itemId(id: string): string {
  if (/^[A-Za-z0-9!._-]{1,200}$/.test(id)) return encodeURIComponent(id);
  throw new FerryError('bad_request', 'Not a OneDrive item id.');
}
