// A loopback web server for link picks: plain files with the headers real servers send
// (Content-Length, Content-Type, Content-Disposition, ETag, Last-Modified, Accept-Ranges, and
// cookies Ferry must not pass on), redirect chains, servers that refuse HEAD, that fail
// mid-body, or that answer an error status.
//
//   /origin/files/<seed>/<size>/<name>        the file (Range honoured); ?cd=1 adds Content-Disposition
//   /origin/redirect/<n>/<seed>/<size>/<name> n redirects, then the file
//   /origin/redirect-to?location=<url>        one redirect, anywhere
//   /origin/no-head/<seed>/<size>/<name>      405 to HEAD, the file to GET
//   /origin/fail/<seed>/<size>/<after>/<name> headers for the whole file, then the connection breaks
//   /origin/stall/<seed>/<size>/<after>/<name> headers for the whole file, `after` bytes, then silence
//   /origin/status/<code>                     that status (429 with Retry-After: 9)
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveBytes, type SendOptions } from './content.js';
import type { LoggedRequest } from './fake-drive.js';

const TYPES: Record<string, string> = { pdf: 'application/pdf', txt: 'text/plain; charset=utf-8', bin: 'application/octet-stream', jpg: 'image/jpeg' };

export interface OriginFake {
  requests: LoggedRequest[];
  /** Called for every chunk written by file bodies, to watch the pace. */
  onWrite?: (bytes: number) => void;
  handle(req: IncomingMessage, res: ServerResponse, path: string, url: URL): void;
}

export function originFake(): OriginFake {
  const requests: LoggedRequest[] = [];
  const fake: OriginFake = {
    requests,
    handle(req, res, path, url) {
      requests.push({ method: req.method!, path: path + url.search, headers: req.headers });
      const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
      const serveFile = (seed: number, size: number, name: string, options: SendOptions = {}) => {
        const ext = /\.([a-z]+)$/.exec(name)?.[1] ?? 'bin';
        const headers = {
          'content-type': TYPES[ext] ?? 'application/octet-stream',
          'accept-ranges': 'bytes',
          etag: `"${seed}-${size}"`,
          'last-modified': 'Wed, 21 Oct 2026 07:28:00 GMT',
          ...(url.searchParams.get('cd') ? { 'content-disposition': `attachment; filename="fallback.bin"; filename*=UTF-8''${encodeURIComponent(name)}` } : {}),
          'set-cookie': 'session=origin-secret; Path=/; HttpOnly',
          'www-authenticate': 'Basic realm="origin"',
          'x-origin-internal': 'do-not-forward',
        };
        serveBytes(req, res, { seed, size }, headers, { onWrite: fake.onWrite, ...options });
      };
      const [kind, ...rest] = parts;
      if (kind === 'files' && rest.length === 3) return serveFile(Number(rest[0]), Number(rest[1]), rest[2]!);
      if (kind === 'no-head' && rest.length === 3) {
        if (req.method === 'HEAD') return void res.writeHead(405, { allow: 'GET' }).end();
        return serveFile(Number(rest[0]), Number(rest[1]), rest[2]!);
      }
      if (kind === 'fail' && rest.length === 4) return serveFile(Number(rest[0]), Number(rest[1]), rest[3]!, { failAfter: Number(rest[2]) });
      if (kind === 'stall' && rest.length === 4) return serveFile(Number(rest[0]), Number(rest[1]), rest[3]!, { stallAfter: Number(rest[2]) });
      if (kind === 'redirect' && rest.length === 4) {
        const n = Number(rest[0]);
        const next = n > 1 ? `/origin/redirect/${n - 1}/${rest.slice(1).map(encodeURIComponent).join('/')}` : `/origin/files/${rest.slice(1).map(encodeURIComponent).join('/')}`;
        return void res.writeHead(302, { location: next }).end();
      }
      if (kind === 'redirect-to') return void res.writeHead(302, { location: url.searchParams.get('location') ?? '/' }).end();
      if (kind === 'status' && rest.length === 1) {
        const code = Number(rest[0]);
        return void res.writeHead(code, { 'content-type': 'text/plain', ...(code === 429 ? { 'retry-after': '9' } : {}) }).end(`status ${code}`);
      }
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    },
  };
  return fake;
}
