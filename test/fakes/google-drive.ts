// A loopback Google Drive API v3 and Google OAuth 2 server with the documented shapes:
// files.list with q="'<id>' in parents and trashed = false", pageSize and pageToken answering
// {"kind": "drive#fileList", "nextPageToken", "files"} (only the fields asked for), files.get with
// `fields`, alt=media with Range. Errors as Google sends them: {"error": {"code", "message",
// "errors": [{"domain", "reason"}], "status"}}: 401 authError, 403 userRateLimitExceeded,
// 404 notFound, 403 fileNotDownloadable for Google Docs.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FakeTree, json, providerFake, type FakeNode, type ProviderFake, type TreeOptions } from './fake-drive.js';

const FOLDER = 'application/vnd.google-apps.folder';

function googleError(res: ServerResponse, code: number, reason: string, message: string, status: string, headers: Record<string, string> = {}) {
  json(res, code, { error: { code, message, errors: [{ message, domain: code === 403 && reason.includes('Rate') ? 'usageLimits' : 'global', reason }], status } }, headers);
}

export function googleDriveFake(options: TreeOptions = {}): ProviderFake {
  const tree = new FakeTree('root-folder-id', () => randomBytes(21).toString('base64url').slice(0, 28)).populate(options);
  tree.add('root-folder-id', 'Budget 2026', 'file', 0, 'application/vnd.google-apps.spreadsheet');

  const resource = (n: FakeNode, fields: string | null) => {
    const full: Record<string, unknown> = {
      kind: 'drive#file',
      id: n.id,
      name: n.name,
      mimeType: n.kind === 'folder' ? FOLDER : (n.special ?? n.mimeType),
      modifiedTime: n.modified.replace('Z', '.000Z'),
      ...(n.kind === 'file' && !n.special ? { size: String(n.size) } : {}),
    };
    if (!fields) return { kind: full.kind, id: full.id, name: full.name, mimeType: full.mimeType };
    return Object.fromEntries(Object.entries(full).filter(([k]) => fields.split(',').includes(k)));
  };
  const lookup = (id: string) => (id === 'root' ? tree.nodes.get(tree.rootId) : tree.nodes.get(id));

  return providerFake({
    name: 'google-drive',
    title: 'Google',
    tree,
    oauth: {
      clientId: 'google-client.apps.googleusercontent.com',
      clientSecret: 'google-secret',
      accessTtl: 3599,
      refreshRotates: false,
      refreshSingleUse: false,
      refreshReturnsRefreshToken: false,
      offline: (q) => q.get('access_type') === 'offline',
      extra: () => ({ scope: 'https://www.googleapis.com/auth/drive.readonly', token_type: 'Bearer' }),
    },
    authorizePath: '/o/oauth2/v2/auth',
    tokenPath: '/token',
    env: (base) => ({
      FERRY_GOOGLE_DRIVE_CLIENT_ID: 'google-client.apps.googleusercontent.com',
      FERRY_GOOGLE_DRIVE_CLIENT_SECRET: 'google-secret',
      FERRY_GOOGLE_DRIVE_AUTH_URL: `${base}/google/o/oauth2/v2/auth`,
      FERRY_GOOGLE_DRIVE_TOKEN_URL: `${base}/google/token`,
      FERRY_GOOGLE_DRIVE_API_URL: `${base}/google/api`,
    }),
    refuse: {
      rateLimited: (res, retryAfter) =>
        googleError(res, 403, 'userRateLimitExceeded', 'User Rate Limit Exceeded', 'PERMISSION_DENIED', { 'retry-after': retryAfter }),
      failed: (res) => googleError(res, 500, 'backendError', 'Backend Error', 'INTERNAL'),
      unauthorized: (res) =>
        json(res, 401, {
          error: {
            code: 401,
            message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
            errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
            status: 'UNAUTHENTICATED',
          },
        }, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' }),
    },
    api: ({ authorized, sendFile }) => (req, res, path, url) => {
      const q = url.searchParams;
      if (path === '/api/drive/v3/files' && req.method === 'GET') {
        if (!authorized(req, res)) return;
        const m = /^'([^']+)' in parents and trashed = false$/.exec(q.get('q') ?? '');
        if (!m) return googleError(res, 400, 'invalidParameter', 'Invalid Value', 'INVALID_ARGUMENT');
        const folder = lookup(m[1]!);
        if (!folder) return googleError(res, 404, 'notFound', `File not found: ${m[1]}.`, 'NOT_FOUND');
        const size = Math.min(Number(q.get('pageSize') ?? 100), 1000);
        const offset = q.get('pageToken') ? Number(Buffer.from(q.get('pageToken')!, 'base64url').toString()) : 0;
        const children = tree.children(folder.id).sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'folder' ? -1 : 1));
        const pageItems = children.slice(offset, offset + size);
        const fieldList = /files\(([^)]*)\)/.exec(q.get('fields') ?? '')?.[1] ?? null;
        const next = offset + pageItems.length;
        return json(res, 200, {
          kind: 'drive#fileList',
          ...(next < children.length ? { nextPageToken: Buffer.from(String(next)).toString('base64url') } : {}),
          incompleteSearch: false,
          files: pageItems.map((n) => resource(n, fieldList)),
        });
      }
      const file = /^\/api\/drive\/v3\/files\/([^/]+)$/.exec(path);
      if (file && req.method === 'GET') {
        if (!authorized(req, res)) return;
        const n = lookup(decodeURIComponent(file[1]!));
        if (!n || n.parent === null) return googleError(res, 404, 'notFound', `File not found: ${file[1]}.`, 'NOT_FOUND');
        if (q.get('alt') !== 'media') return json(res, 200, resource(n, q.get('fields')));
        if (n.kind === 'folder' || n.special) {
          return googleError(res, 403, 'fileNotDownloadable', 'Only files with binary content can be downloaded. Use Export with Docs Editors files.', 'PERMISSION_DENIED');
        }
        return sendFile(req, res, n, { 'content-type': n.mimeType, 'x-goog-hash': 'crc32c=AAAAAA==', 'set-cookie': 'NID=fake; Path=/' });
      }
      googleError(res, 404, 'notFound', 'Not Found', 'NOT_FOUND');
    },
  });
}
