// A loopback Box API 2.0 and Box OAuth 2 server with the documented shapes: GET
// /folders/{id}/items with fields, limit and marker paging ({"entries", "limit",
// "next_marker"}), GET /files/{id}, GET /files/{id}/content answering 302 to a download URL
// (Range honoured there). Access tokens last an hour; refresh tokens are single-use and every
// refresh returns a new one. Errors: {"type": "error", "status", "code", "message",
// "request_id"}; an expired token is a 401 with an empty body and WWW-Authenticate
// error="invalid_token"; 429 rate_limit_exceeded with Retry-After.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FakeTree, json, providerFake, type FakeNode, type ProviderFake, type TreeOptions } from './fake-drive.js';

function boxError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  json(res, status, { type: 'error', status, code, help_url: 'http://developers.box.com/docs/#errors', message, request_id: randomBytes(6).toString('hex') }, headers);
}

export function boxFake(options: TreeOptions = {}): ProviderFake {
  const tree = new FakeTree('0', (n) => String(100_000_000 + n * 7)).populate(options);
  tree.add('0', 'Company site', 'file', 0, 'web_link');
  const downloads = new Map<string, string>();

  const entry = (n: FakeNode, fields: string | null) => {
    const full: Record<string, unknown> = {
      type: n.special === 'web_link' ? 'web_link' : n.kind,
      id: n.id,
      etag: '1',
      sequence_id: '1',
      name: n.name,
      ...(n.kind === 'file' ? { size: n.size, sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' } : {}),
      modified_at: n.modified.replace('Z', '-00:00'),
    };
    const keep = new Set(['type', 'id', 'etag', ...(fields ? fields.split(',') : ['sequence_id', 'name'])]);
    return Object.fromEntries(Object.entries(full).filter(([k]) => keep.has(k)));
  };

  return providerFake({
    name: 'box',
    title: 'Box',
    tree,
    oauth: {
      clientId: 'box-client',
      clientSecret: 'box-secret',
      accessTtl: 3600,
      refreshRotates: true,
      refreshSingleUse: true,
      refreshReturnsRefreshToken: true,
      offline: () => true,
      extra: () => ({ restricted_to: [], issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' }),
    },
    authorizePath: '/account/api/oauth2/authorize',
    tokenPath: '/api/oauth2/token',
    env: (base) => ({
      FERRY_BOX_CLIENT_ID: 'box-client',
      FERRY_BOX_CLIENT_SECRET: 'box-secret',
      FERRY_BOX_AUTH_URL: `${base}/box/account/api/oauth2/authorize`,
      FERRY_BOX_TOKEN_URL: `${base}/box/api/oauth2/token`,
      FERRY_BOX_API_URL: `${base}/box/api/2.0`,
    }),
    refuse: {
      rateLimited: (res, retryAfter) =>
        boxError(res, 429, 'rate_limit_exceeded', 'Request rate limit exceeded, please try again later', { 'retry-after': retryAfter }),
      failed: (res) => boxError(res, 500, 'internal_server_error', 'Internal Server Error'),
      unauthorized: (res) =>
        void res
          .writeHead(401, { 'www-authenticate': 'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."' })
          .end(),
    },
    api: ({ origin, authorized, sendFile }) => (req, res, path, url) => {
      const q = url.searchParams;
      const items = /^\/api\/2\.0\/folders\/(\d+)\/items$/.exec(path);
      if (items && req.method === 'GET') {
        if (!authorized(req, res)) return;
        const folder = tree.nodes.get(items[1]!);
        if (!folder || folder.kind !== 'folder') return boxError(res, 404, 'not_found', 'Not Found');
        const limit = Math.min(Number(q.get('limit') ?? 100), 1000);
        const all = tree.children(folder.id);
        if (q.get('usemarker') === 'true') {
          const start = q.get('marker') ? Number(Buffer.from(q.get('marker')!, 'base64url').toString()) : 0;
          const slice = all.slice(start, start + limit);
          const next = start + slice.length < all.length ? Buffer.from(String(start + slice.length)).toString('base64url') : null;
          return json(res, 200, { entries: slice.map((n) => entry(n, q.get('fields'))), limit, next_marker: next });
        }
        const offset = Number(q.get('offset') ?? 0);
        return json(res, 200, { total_count: all.length, entries: all.slice(offset, offset + limit).map((n) => entry(n, q.get('fields'))), offset, limit, order: [{ by: 'type', direction: 'ASC' }] });
      }
      const file = /^\/api\/2\.0\/files\/(\d+)(\/content)?$/.exec(path);
      if (file && req.method === 'GET') {
        if (!authorized(req, res)) return;
        const n = tree.nodes.get(file[1]!);
        if (!n || n.kind !== 'file' || n.special) return boxError(res, 404, 'not_found', 'Not Found');
        if (!file[2]) return json(res, 200, entry(n, q.get('fields')));
        const token = randomBytes(12).toString('base64url');
        downloads.set(token, n.id);
        res.writeHead(302, { location: `${origin(req)}/box/dl/d/1/${token}/download` }).end();
        return;
      }
      const dl = /^\/dl\/d\/1\/([^/]+)\/download$/.exec(path);
      if (dl && req.method === 'GET') {
        const n = tree.nodes.get(downloads.get(dl[1]!) ?? '');
        if (!n) return boxError(res, 404, 'not_found', 'Not Found');
        return sendFile(req, res, n, {
          'content-type': 'application/octet-stream',
          'accept-ranges': 'bytes',
          'content-disposition': `attachment;filename="${encodeURIComponent(n.name)}"`,
        });
      }
      boxError(res, 404, 'not_found', 'Not Found');
    },
  });
}
