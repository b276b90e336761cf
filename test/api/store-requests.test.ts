// How many store requests one file costs, counted on the wire: a loopback proxy in front of the
// real s3rver records every request Ferry's S3 store sends. Format v2 keeps a file in one
// object, so an upload is one PUT, a download one GET, and a range at most two GETs.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from '../../src/node.js';
import { TEST_APPS, newBucket, s3Vars, testKey } from '../helpers/targets.js';

interface Seen {
  method: string;
  path: string;
  range?: string;
}

/** A plain HTTP proxy to `target` that records each request before passing it on. */
async function countingProxy(target: string): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const upstream = new URL(target);
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method!, path: req.url!, range: req.headers.range });
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode!, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('store requests per file (node+s3, counted at the S3 endpoint)', () => {
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let ferry: RunningFerry;
  const key = 'test-key';

  beforeAll(async () => {
    const { bucket, endpoint } = await newBucket();
    proxy = await countingProxy(endpoint);
    ferry = await startFerry(
      { PORT: '0', HOST: '127.0.0.1', ...s3Vars(bucket, proxy.url), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS },
      { log: () => {}, requestLog: () => {} },
    );
    // The sweeper's first pass starts with the server and heads every object it lists: on a
    // loaded machine it could list the first test's file and be counted as its request. Wait
    // until that pass has listed the (still empty) bucket.
    const deadline = Date.now() + 30_000;
    while (!proxy.seen.some((s) => s.method === 'GET' && s.path.includes('list-type=2')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));
  });
  afterAll(async () => {
    await ferry?.close();
    await proxy?.close();
  });

  /** Requests that named this file's object (by its id), made while `act` ran. */
  async function requestsFor(id: string, act: () => Promise<void>): Promise<Seen[]> {
    const from = proxy.seen.length;
    await act();
    return proxy.seen.slice(from).filter((s) => s.path.includes(id));
  }

  const idOf = (handle: string) => Buffer.from(handle, 'base64url').subarray(0, 16).toString('hex');

  for (const size of [0, 1000, 1024 * 1024]) {
    it(`a ${size}-byte file: upload 1 PUT, download 1 GET, HEAD and /meta 1 GET each, a range at most 2 GETs`, async () => {
      const bytes = new Uint8Array(size).map((_, i) => i % 251);
      let handle = '';
      let url = '';
      const all = await (async () => {
        const from = proxy.seen.length;
        const res = await fetch(`${ferry.url}/v1/files?key=${key}&filename=f.bin`, { method: 'POST', body: bytes });
        expect(res.status).toBe(201);
        ({ handle, url } = (await res.json()) as { handle: string; url: string });
        return proxy.seen.slice(from);
      })();
      const id = idOf(handle);
      const upload = all.filter((s) => s.path.includes(id));
      expect(upload.map((s) => s.method)).toEqual(['PUT']);

      const download = await requestsFor(id, async () => {
        const res = await fetch(url);
        expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
      });
      expect(download.map((s) => s.method)).toEqual(['GET']);
      expect(download[0]!.range).toBeUndefined();

      for (const path of [url, `${ferry.url}/v1/files/${handle}/meta?key=${key}`]) {
        const seen = await requestsFor(id, async () => {
          const res = await fetch(path, { method: path === url ? 'HEAD' : 'GET' });
          expect(res.status).toBe(200);
          await res.arrayBuffer();
        });
        expect(seen.map((s) => s.method), path).toEqual(['GET']);
        expect(seen[0]!.range).toMatch(/^bytes=0-\d+$/);
      }

      if (size > 0) {
        const start = Math.floor(size / 2);
        const ranged = await requestsFor(id, async () => {
          const res = await fetch(url, { headers: { range: `bytes=${start}-${start + 99}` } });
          expect(res.status).toBe(206);
          expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes.subarray(start, start + 100)))).toBe(true);
        });
        expect(ranged.length).toBeGreaterThanOrEqual(1);
        expect(ranged.length).toBeLessThanOrEqual(2);
        expect(ranged.every((s) => s.method === 'GET' && s.range)).toBe(true);
      }
    });
  }
});
