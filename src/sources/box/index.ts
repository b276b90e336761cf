// Box (API 2.0). OAuth 2 authorization code flow (Box documents no PKCE, so none is sent; the
// client secret authenticates the exchange); scope root_readonly. Access tokens last an hour
// and refresh tokens are single-use: every refresh returns a new one. Listing is
// /folders/{id}/items with marker paging ("0" is the root); bytes come from
// /files/{id}/content, which answers 302 to a download URL fetched without the bearer token,
// `Range` passed through.
import { FerryError } from '../../errors.js';
import { bearer, call, callJson, downloadAnswer, followDownload, tokenRequest, withQuery, type ProviderHttp } from '../provider-http.js';
import type { AccountSource, Fetch, ProviderTokens, RemoteFile } from '../types.js';
import { readError, toListItem, type BoxItem, type BoxItems } from './adapter.js';

export interface BoxConfig {
  clientId: string;
  clientSecret: string;
  authUrl: string;
  tokenUrl: string;
  apiUrl: string;
}

export const BOX_DEFAULTS = {
  authUrl: 'https://account.box.com/api/oauth2/authorize',
  tokenUrl: 'https://api.box.com/oauth2/token',
  apiUrl: 'https://api.box.com/2.0',
};

export const BOX_SCOPES = 'root_readonly';
const FIELDS = 'id,type,name,size,modified_at';

export function boxSource(config: BoxConfig, fetch: Fetch, now: () => Date): AccountSource {
  const http: ProviderHttp = { title: 'Box', fetch, now, readError };

  return {
    name: 'box',
    title: 'Box',
    pkce: false,

    authorizationUrl({ redirectUri, state }) {
      return withQuery(config.authUrl, {
        response_type: 'code',
        client_id: config.clientId,
        redirect_uri: redirectUri,
        state,
        scope: BOX_SCOPES,
      });
    },

    exchangeCode({ code, redirectUri }) {
      return tokenRequest(http, config.tokenUrl, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: config.clientId,
        client_secret: config.clientSecret,
      });
    },

    refresh(tokens) {
      if (!tokens.refresh) throw new FerryError('source_auth_expired', 'The Box connection has expired; connect again.');
      return tokenRequest(
        http,
        config.tokenUrl,
        { grant_type: 'refresh_token', refresh_token: tokens.refresh, client_id: config.clientId, client_secret: config.clientSecret },
        tokens,
      );
    },

    async list(tokens, { folder, cursor, signal }) {
      const url = withQuery(`${config.apiUrl}/folders/${boxId(folder || '0')}/items`, {
        fields: FIELDS,
        limit: '200',
        usemarker: 'true',
        marker: cursor || undefined,
      });
      const page = await callJson<BoxItems>(http, url, { headers: bearer(tokens), signal });
      return {
        items: (Array.isArray(page.entries) ? page.entries : []).map(toListItem).filter((i) => i !== undefined),
        cursor: typeof page.next_marker === 'string' && page.next_marker ? page.next_marker : null,
      };
    },

    async metadata(tokens, id, signal): Promise<RemoteFile> {
      const url = withQuery(`${config.apiUrl}/files/${boxId(id)}`, { fields: FIELDS });
      const item = toListItem(await callJson<BoxItem>(http, url, { headers: bearer(need(tokens)), signal }));
      if (!item) throw new FerryError('origin_rejected', 'Box cannot download that item.');
      return item;
    },

    async open(tokens, id, { range, signal }) {
      const url = `${config.apiUrl}/files/${boxId(id)}/content`;
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
  if (!tokens) throw new FerryError('invalid_account', 'Box needs a connected account.');
  return tokens;
}

function boxId(id: string): string {
  if (/^\d{1,30}$/.test(id)) return id;
  throw new FerryError('bad_request', 'Not a Box id.');
}
