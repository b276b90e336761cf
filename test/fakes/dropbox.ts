// A loopback Dropbox (API v2) with the documented shapes: RPC endpoints on the API host take
// JSON bodies (POST /2/files/list_folder, /list_folder/continue, /get_metadata); the content
// host's /2/files/download takes its argument as JSON in the Dropbox-API-Arg header, answers the
// file's metadata in Dropbox-API-Result, and honours Range. Errors as Dropbox sends them: 401
// {"error_summary": "expired_access_token/..", …}, 409 path/not_found, 429 too_many_requests
// with Retry-After, and 400 plain text for malformed input.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeTree, json, providerFake, type FakeNode, type ProviderFake, type TreeOptions } from './fake-drive.js';

export function dropboxFake(options: TreeOptions = {}): ProviderFake {
  const tree = new FakeTree('', () => `id:${randomBytes(9).toString('base64url')}`).populate(options);
  tree.add('', 'Meeting notes.paper', 'file', 10, 'not-downloadable');

  const entry = (n: FakeNode) => {
    const path = pathOf(n);
    if (n.kind === 'folder') return { '.tag': 'folder', name: n.name, id: n.id, path_lower: path.toLowerCase(), path_display: path };
    return {
      '.tag': 'file',
      name: n.name,
      id: n.id,
      client_modified: n.modified,
      server_modified: n.modified,
      rev: 'a1c10ce0dd78',
      size: n.size,
      path_lower: path.toLowerCase(),
      path_display: path,
      is_downloadable: n.special !== 'not-downloadable',
      content_hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    };
  };
  const pathOf = (n: FakeNode): string => (n.parent === null ? '' : `${pathOf(tree.nodes.get(n.parent)!)}/${n.name}`);
  const find = (path: string): FakeNode | undefined => {
    if (path === '') return tree.nodes.get('');
    if (path.startsWith('id:')) return tree.nodes.get(path);
    return [...tree.nodes.values()].find((n) => pathOf(n).toLowerCase() === path.toLowerCase());
  };
  const notFound = (res: ServerResponse, tag = 'path') =>
    json(res, 409, { error_summary: `${tag}/not_found/..`, error: { '.tag': tag, [tag]: { '.tag': 'not_found' } } });

  function page(res: ServerResponse, folder: FakeNode, offset: number, limit: number, downloadableOnly: boolean) {
    const all = tree.children(folder.id).filter((n) => !downloadableOnly || n.special !== 'not-downloadable');
    const entries = all.slice(offset, offset + limit).map(entry);
    const next = offset + entries.length;
    const cursor = Buffer.from(JSON.stringify({ f: folder.id, o: next, l: limit, d: downloadableOnly })).toString('base64url');
    json(res, 200, { entries, cursor, has_more: next < all.length });
  }

  function rpcArg(req: IncomingMessage, res: ServerResponse, body: string): Record<string, unknown> | undefined {
    if (!/^application\/json/.test(req.headers['content-type'] ?? '')) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Error in call to API function "files/list_folder": Bad HTTP "Content-Type" header');
      return undefined;
    }
    try {
      return JSON.parse(body);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Error in call to API function: request body: could not decode input as JSON');
      return undefined;
    }
  }

  return providerFake({
    name: 'dropbox',
    title: 'Dropbox',
    tree,
    oauth: {
      clientId: 'dropbox-client',
      clientSecret: 'dropbox-secret',
      accessTtl: 14_400,
      refreshRotates: false,
      refreshSingleUse: false,
      refreshReturnsRefreshToken: false,
      offline: (q) => q.get('token_access_type') === 'offline',
      extra: (kind) => (kind === 'code' ? { scope: 'files.content.read files.metadata.read', account_id: 'dbid:fake', uid: '12345' } : {}),
    },
    authorizePath: '/oauth2/authorize',
    tokenPath: '/api/oauth2/token',
    env: (base) => ({
      FERRY_DROPBOX_CLIENT_ID: 'dropbox-client',
      FERRY_DROPBOX_CLIENT_SECRET: 'dropbox-secret',
      FERRY_DROPBOX_AUTH_URL: `${base}/dropbox/oauth2/authorize`,
      FERRY_DROPBOX_TOKEN_URL: `${base}/dropbox/api/oauth2/token`,
      FERRY_DROPBOX_API_URL: `${base}/dropbox/api`,
      FERRY_DROPBOX_CONTENT_URL: `${base}/dropbox/content`,
    }),
    refuse: {
      rateLimited: (res, retryAfter) =>
        json(
          res,
          429,
          { error_summary: 'too_many_requests/..', error: { reason: { '.tag': 'too_many_requests' }, retry_after: Number(retryAfter) } },
          { 'retry-after': retryAfter },
        ),
      failed: (res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal Server Error'),
      unauthorized: (res, token) => {
        const tag = token === 'expired' ? 'expired_access_token' : 'invalid_access_token';
        json(res, 401, { error_summary: `${tag}/..`, error: { '.tag': tag } });
      },
    },
    api: ({ authorized, sendFile }) => (req, res, path, _url, body) => {
      if (path === '/api/2/files/list_folder' && req.method === 'POST') {
        if (!authorized(req, res)) return;
        const arg = rpcArg(req, res, body);
        if (!arg) return;
        const folder = find(String(arg.path ?? ''));
        if (!folder) return notFound(res);
        if (folder.kind !== 'folder') return json(res, 409, { error_summary: 'path/not_folder/..', error: { '.tag': 'path', path: { '.tag': 'not_folder' } } });
        const limit = Math.min(Number(arg.limit ?? 2000), 2000);
        return page(res, folder, 0, limit, arg.include_non_downloadable_files === false);
      }
      if (path === '/api/2/files/list_folder/continue' && req.method === 'POST') {
        if (!authorized(req, res)) return;
        const arg = rpcArg(req, res, body);
        if (!arg) return;
        let c: { f: string; o: number; l: number; d: boolean };
        try {
          c = JSON.parse(Buffer.from(String(arg.cursor), 'base64url').toString());
        } catch {
          return json(res, 409, { error_summary: 'reset/..', error: { '.tag': 'reset' } });
        }
        const folder = tree.nodes.get(c.f);
        if (!folder) return notFound(res);
        return page(res, folder, c.o, c.l, c.d);
      }
      if (path === '/api/2/files/get_metadata' && req.method === 'POST') {
        if (!authorized(req, res)) return;
        const arg = rpcArg(req, res, body);
        if (!arg) return;
        const n = find(String(arg.path ?? ''));
        if (!n || n.parent === null) return notFound(res);
        return json(res, 200, entry(n));
      }
      if (path === '/content/2/files/download' && (req.method === 'POST' || req.method === 'GET')) {
        if (!authorized(req, res)) return;
        const raw = req.headers['dropbox-api-arg'];
        if (typeof raw !== 'string' || /[^\x20-\x7e]/.test(raw)) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('Error in call to API function "files/download": Bad HTTP "Dropbox-API-Arg" header');
          return;
        }
        let arg: { path?: string };
        try {
          arg = JSON.parse(raw);
        } catch {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('Error in call to API function "files/download": could not decode Dropbox-API-Arg');
          return;
        }
        const n = find(String(arg.path ?? ''));
        if (!n || n.kind !== 'file') return notFound(res);
        if (n.special === 'not-downloadable') {
          return json(res, 409, { error_summary: 'unsupported_file/..', error: { '.tag': 'unsupported_file' } });
        }
        return sendFile(req, res, n, {
          'content-type': 'application/octet-stream',
          'accept-ranges': 'bytes',
          etag: 'W/"a1c10ce0dd78"',
          'dropbox-api-result': JSON.stringify(entry(n)).replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')),
          'set-cookie': 'locale=en; Path=/; Secure',
        });
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Unknown API function');
    },
  });
}
