// Box (API 2.0). OAuth 2 authorization code flow (Box documents no PKCE, so none is sent; the
// client secret authenticates the exchange); scope root_readonly. Access tokens last an hour
// and refresh tokens are single-use: every refresh returns a new one. Listing is
// /folders/{id}/items with marker paging ("0" is the root); bytes come from
// /files/{id}/content, which answers 302 to a download URL fetched without the bearer token,
// `Range` passed through.
import { FerryError } from '../../errors.js';
import { oauthMethods, type OAuthClient, type OAuthFlow } from '../oauth.js';
import { accountTokens, bearer, download, getJson, withQuery, type ProviderHttp } from '../provider-http.js';
import type { AccountSource, Fetch, RemoteFile } from '../types.js';
import { readError, toListItem, type BoxItem, type BoxItems } from './adapter.js';

export interface BoxConfig extends OAuthClient {
  apiUrl: string;
}

export const BOX_DEFAULTS = {
  authUrl: 'https://account.box.com/api/oauth2/authorize',
  tokenUrl: 'https://api.box.com/oauth2/token',
  apiUrl: 'https://api.box.com/2.0',
};

export const BOX_SCOPES = 'root_readonly';
const FIELDS = 'id,type,name,size,modified_at';

const OAUTH: OAuthFlow = {
  // Box documents no PKCE: no challenge goes out, and the client secret alone authenticates
  // the exchange.
  pkce: false,
  scope: BOX_SCOPES,
  // Refresh tokens are single-use: every refresh answers a new one, which replaces the spent
  // one in the tokens handed back, so the next account token carries it (session.ts).
};

export function boxSource(config: BoxConfig, fetch: Fetch, now: () => Date): AccountSource {
  const http: ProviderHttp = { title: 'Box', fetch, now, readError };

  return {
    name: 'box',
    title: 'Box',
    ...oauthMethods(http, config, OAUTH),

    async list(tokens, { folder, cursor, signal }) {
      const url = withQuery(`${config.apiUrl}/folders/${boxId(folder || '0')}/items`, {
        fields: FIELDS,
        limit: '200',
        usemarker: 'true',
        marker: cursor || undefined,
      });
      const page = await getJson<BoxItems>(http, tokens, url, signal);
      return {
        items: (Array.isArray(page.entries) ? page.entries : []).map(toListItem).filter((i) => i !== undefined),
        cursor: typeof page.next_marker === 'string' && page.next_marker ? page.next_marker : null,
      };
    },

    async metadata(tokens, id, signal): Promise<RemoteFile> {
      const url = withQuery(`${config.apiUrl}/files/${boxId(id)}`, { fields: FIELDS });
      const item = toListItem(await getJson<BoxItem>(http, accountTokens(http, tokens), url, signal));
      if (!item) throw new FerryError('origin_rejected', 'Box cannot download that item.');
      return item;
    },

    open(tokens, id, { range, signal }) {
      const url = `${config.apiUrl}/files/${boxId(id)}/content`;
      return download(http, url, { headers: bearer(accountTokens(http, tokens)), range, signal, redirects: true });
    },
  };
}

function boxId(id: string): string {
  if (/^\d{1,30}$/.test(id)) return id;
  throw new FerryError('bad_request', 'Not a Box id.');
}
