// A loopback HTTP proxy that records every tus request passing through it and, once, cuts the
// connection in the middle of a PATCH body: after `cutAfter` body bytes of the `cutPatch`-th
// PATCH it destroys both the client's socket and the upstream request, as a dropped network
// would. The record says how many body bytes each request carried, so a test can tell exactly
// which bytes a client sent again.
//
// After the cut, the client's next request (a HEAD, or a PATCH: Chromium resends a request
// cut on a reused keep-alive connection by itself, at the old offset) is held until the
// server's own HEAD answer has settled (past the cut PATCH's offset, and the same for a second;
// at most 20 s, after which it goes on and the test's own checks decide). A server finishes
// storing the parts it had in flight when the connection dropped, and a request that arrives
// sooner rightly sees less: under load on CI, Chromium's resent PATCH found nothing stored yet
// and was taken from 0. Correct tus, but not the resume these tests are about.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Passed {
  method: string;
  offset: number | null;
  bytes: number;
  status: number | null;
  answeredOffset: number | null;
  cut: boolean;
}

export interface CuttingProxy {
  url: string;
  passed: Passed[];
  close(): Promise<void>;
}

export async function cuttingProxy(upstream: string, cutPatch: number, cutAfter: number): Promise<CuttingProxy> {
  const target = new URL(upstream);
  const passed: Passed[] = [];
  let patches = 0;
  /** Set by the cut: the Upload-Offset the cut PATCH started from. */
  let holdNext: number | undefined;

  /** The server's Upload-Offset for a HEAD of `path`, asked directly with the client's tus headers. */
  const offsetOf = (path: string, client: IncomingMessage['headers']) =>
    new Promise<string | undefined>((resolve) => {
      const headers: Record<string, string> = { host: target.host, 'tus-resumable': String(client['tus-resumable'] ?? '1.0.0') };
      for (const name of ['origin', 'x-ferry-key', 'authorization']) if (typeof client[name] === 'string') headers[name] = client[name];
      const ask = request({ host: target.hostname, port: target.port, method: 'HEAD', path, headers }, (r) => {
        r.resume();
        resolve(r.headers['upload-offset'] as string | undefined);
      });
      ask.on('error', () => resolve(undefined));
      ask.end();
    });
  const settled = async (path: string, headers: IncomingMessage['headers'], from: number) => {
    const until = Date.now() + 20_000;
    let last = await offsetOf(path, headers);
    let since = Date.now();
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      const now = await offsetOf(path, headers);
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Number(now) > from && Date.now() - since >= 1000) return;
    }
  };

  const server: Server = createServer((req: IncomingMessage, res) => {
    if (holdNext !== undefined && (req.method === 'HEAD' || req.method === 'PATCH' || req.headers['x-http-method-override'] !== undefined)) {
      const from = holdNext;
      holdNext = undefined;
      void settled(req.url!, req.headers, from).then(() => forward(req, res));
      return;
    }
    forward(req, res);
  });
  function forward(req: IncomingMessage, res: ServerResponse) {
    const method = (req.headers['x-http-method-override'] as string | undefined) ?? req.method!;
    const entry: Passed = {
      method,
      offset: req.headers['upload-offset'] === undefined ? null : Number(req.headers['upload-offset']),
      bytes: 0,
      status: null,
      answeredOffset: null,
      cut: false,
    };
    passed.push(entry);
    const cutThis = method === 'PATCH' && ++patches === cutPatch;
    const up = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (upRes) => {
        entry.status = upRes.statusCode ?? null;
        const o = upRes.headers['upload-offset'];
        entry.answeredOffset = o === undefined ? null : Number(o);
        const headers = { ...upRes.headers };
        // Location must point back through the proxy.
        if (typeof headers.location === 'string') headers.location = headers.location.replace(target.origin, proxyUrl);
        res.writeHead(upRes.statusCode ?? 502, headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => {
      if (entry.cut) return;
      if (cutThis && entry.bytes + chunk.length > cutAfter) {
        const keep = cutAfter - entry.bytes;
        entry.bytes += keep;
        entry.cut = true;
        holdNext = entry.offset ?? 0;
        up.write(chunk.subarray(0, keep), () => {
          up.destroy();
          req.socket.destroy();
        });
        return;
      }
      entry.bytes += chunk.length;
      if (!up.write(chunk)) {
        req.pause();
        up.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      if (!entry.cut) up.end();
    });
    req.on('error', () => up.destroy());
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const proxyUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: proxyUrl,
    passed,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
