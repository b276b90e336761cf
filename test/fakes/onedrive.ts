// A loopback Microsoft Graph (v1.0, /me/drive) and Microsoft identity platform v2.0 token
// endpoint with the documented shapes: children as {"@odata.context", "value": [...],
// "@odata.nextLink": absolute URL with $skiptoken}; /content answers 302 Found to a short-lived
// pre-authenticated download URL that refuses requests carrying an Authorization header; refresh
// tokens rotate. Errors: {"error": {"code", "message", "innerError"}}: 401
// InvalidAuthenticationToken, 404 itemNotFound, 429 activityLimitReached with Retry-After.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FakeTree, json, providerFake, type FakeNode, type ProviderFake, type TreeOptions } from './fake-drive.js';

function graphError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  json(res, status, { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomBytes(8).toString('hex') } } }, headers);
}

export function oneDriveFake(options: TreeOptions = {}): ProviderFake {
  const tree = new FakeTree('01ROOTFAKEROOTFAKEROOTFAKEROOT', (n) => `01FAKE${String(n).padStart(6, '0')}${randomBytes(6).toString('hex').toUpperCase()}`).populate(options);
  tree.add(tree.rootId, 'Notebook', 'file', 0, 'package');
  const downloads = new Map<string, string>();

  const item = (n: FakeNode) => ({
    id: n.id,
    name: n.name,
    lastModifiedDateTime: n.modified,
    size: n.size,
    ...(n.kind === 'folder' ? { folder: { childCount: tree.children(n.id).length } } : n.special ? { package: { type: 'oneNote' } } : { file: { mimeType: n.mimeType, hashes: {} } }),
  });
  const select = (o: Record<string, unknown>, fields: string | null) =>
    fields ? Object.fromEntries(Object.entries(o).filter(([k]) => fields.split(',').includes(k))) : o;

  return providerFake({
    name: 'onedrive',
    title: 'Microsoft',
    tree,
    oauth: {
      clientId: '00000000-0000-0000-0000-0000000fa4e0',
      clientSecret: 'onedrive-secret',
      accessTtl: 3599,
      refreshRotates: true,
      refreshSingleUse: false,
      refreshReturnsRefreshToken: true,
      offline: (q) => (q.get('scope') ?? '').split(' ').includes('offline_access'),
      extra: () => ({ token_type: 'Bearer', scope: 'Files.Read', ext_expires_in: 3599 }),
    },
    authorizePath: '/common/oauth2/v2.0/authorize',
    tokenPath: '/common/oauth2/v2.0/token',
    env: (base) => ({
      FERRY_ONEDRIVE_CLIENT_ID: '00000000-0000-0000-0000-0000000fa4e0',
      FERRY_ONEDRIVE_CLIENT_SECRET: 'onedrive-secret',
      FERRY_ONEDRIVE_AUTH_URL: `${base}/microsoft/common/oauth2/v2.0/authorize`,
      FERRY_ONEDRIVE_TOKEN_URL: `${base}/microsoft/common/oauth2/v2.0/token`,
      FERRY_ONEDRIVE_API_URL: `${base}/microsoft/graph/v1.0`,
    }),
    refuse: {
      rateLimited: (res, retryAfter) => graphError(res, 429, 'activityLimitReached', 'The request has been throttled', { 'retry-after': retryAfter }),
      failed: (res) => graphError(res, 500, 'generalException', 'An unspecified error has occurred.'),
      unauthorized: (res, token) =>
        graphError(res, 401, 'InvalidAuthenticationToken', token === 'expired' ? 'Access token has expired or is not yet valid.' : 'IDX14100: JWT is not well formed.'),
    },
    api: ({ origin: originOf, authorized, sendFile }) => (req, res, path, url) => {
      const origin = originOf(req);
      const q = url.searchParams;
      const children = /^\/graph\/v1\.0\/me\/drive\/(?:root|items\/([^/]+))\/children$/.exec(path);
      if (children && req.method === 'GET') {
        if (!authorized(req, res)) return;
        const folder = tree.nodes.get(children[1] ? decodeURIComponent(children[1]) : tree.rootId);
        if (!folder || folder.kind !== 'folder') return graphError(res, 404, 'itemNotFound', 'The resource could not be found.');
        const top = Math.min(Number(q.get('$top') ?? 200), 1000);
        const skip = q.get('$skiptoken') ? Number(Buffer.from(q.get('$skiptoken')!, 'base64url').toString()) : 0;
        const all = tree.children(folder.id);
        const value = all.slice(skip, skip + top).map((n) => select(item(n), q.get('$select')));
        // Graph writes its query options with a literal "$".
        const next =
          `${origin}/microsoft${path}?$top=${top}` +
          (q.get('$select') ? `&$select=${encodeURIComponent(q.get('$select')!)}` : '') +
          `&$skiptoken=${Buffer.from(String(skip + value.length)).toString('base64url')}`;
        return json(res, 200, {
          '@odata.context': `${origin}/microsoft/graph/v1.0/$metadata#users('fake')/drive/items`,
          value,
          ...(skip + value.length < all.length ? { '@odata.nextLink': next } : {}),
        });
      }
      const one = /^\/graph\/v1\.0\/me\/drive\/items\/([^/]+)(\/content)?$/.exec(path);
      if (one && req.method === 'GET') {
        if (!authorized(req, res)) return;
        const n = tree.nodes.get(decodeURIComponent(one[1]!));
        if (!n || n.parent === null) return graphError(res, 404, 'itemNotFound', 'The resource could not be found.');
        if (!one[2]) return json(res, 200, select(item(n), q.get('$select')));
        if (n.kind !== 'file' || n.special) return graphError(res, 400, 'invalidRequest', 'Only files can be downloaded.');
        const token = randomBytes(12).toString('base64url');
        downloads.set(token, n.id);
        res.writeHead(302, { location: `${origin}/microsoft/download/${token}/${encodeURIComponent(n.name)}` }).end();
        return;
      }
      const dl = /^\/download\/([^/]+)\/[^/]+$/.exec(path);
      if (dl && req.method === 'GET') {
        // Pre-authenticated: a bearer token here is an error, as on the real download hosts.
        if (req.headers.authorization) return graphError(res, 401, 'unauthenticated', 'Authorization header is not allowed on a pre-authenticated URL.');
        const n = tree.nodes.get(downloads.get(dl[1]!) ?? '');
        if (!n) return graphError(res, 404, 'itemNotFound', 'The download link has expired.');
        return sendFile(req, res, n, {
          'content-type': n.mimeType,
          'accept-ranges': 'bytes',
          etag: `"{${n.id}},1"`,
          'set-cookie': 'FedAuth=fake; path=/; HttpOnly',
        });
      }
      graphError(res, 400, 'BadRequest', 'Unsupported segment type.');
    },
  });
}
