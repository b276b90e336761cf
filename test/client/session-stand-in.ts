// A loopback stand-in for Ferry's session routes, for the client's own tests in Node while the
// real routes are built (they run the same client in test/widget/sessions.test.ts). It speaks
// the contract's JSON, keys each session with Ferry's own format code (session-fixture.ts), serves
// part PUTs itself (as Ferry does where the store cannot presign), and on complete checks the
// joined object against what prepareObjectV2 + encrypt() write. Faults are per part and attempt:
// a 503 answer, or the connection destroyed halfway through the body.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prepareSession, type Prepared } from './session-fixture.js';

export type Fault = 'reset' | 503 | 400 | undefined;

interface Session {
  prepared: Prepared;
  filename: string;
  parts: Map<number, { bytes: Buffer; etag: string }>;
  aborted: boolean;
}

export interface StandIn {
  url: string;
  /** Every PUT attempt: part number, bytes received, and how it ended. */
  attempts: { n: number; received: number; outcome: 'stored' | 'reset' | number }[];
  /** Calls by route, e.g. "POST /v1/uploads". */
  calls: string[];
  sessions: Map<string, Session>;
  /** A completed session's joined object and its keys (by handle). */
  completed: Map<string, { object: Buffer; prepared: Prepared }>;
  close(): Promise<void>;
}

export async function startStandIn(o: { partSize: number; fault?: (n: number, attempt: number) => Fault; expected?: (size: number) => Uint8Array }): Promise<StandIn> {
  const sessions = new Map<string, Session>();
  const completed: StandIn['completed'] = new Map();
  const attempts: StandIn['attempts'] = [];
  const calls: string[] = [];
  const tries = new Map<string, number>();
  let url = '';
  let nextId = 1;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'etag' });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, status: number, code: string) => json(res, status, { error: { code, message: code } });
  const body = async (req: IncomingMessage) => {
    const pieces: Buffer[] = [];
    for await (const p of req) pieces.push(p as Buffer);
    return Buffer.concat(pieces);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const m = /^\/v1\/uploads(?:\/([^/]+)(?:\/(parts|complete)(?:\/(\d+))?)?)?$/.exec(path);
    calls.push(`${req.method} ${m ? path.replace(/\/v1\/uploads\/[^/]+/, '/v1/uploads/:u').replace(/\/\d+$/, '/:n') : path}`);
    if (!m) return fail(res, 404, 'not_found');
    const [, id, sub, part] = m;
    if (!id) {
      if (req.method !== 'POST') return fail(res, 405, 'method_not_allowed');
      const { filename, size } = JSON.parse((await body(req)).toString());
      const prepared = await prepareSession(size, o.partSize, filename);
      const upload = `u${nextId++}`;
      sessions.set(upload, { prepared, filename, parts: new Map(), aborted: false });
      return json(res, 201, { ...prepared.session, upload, url: `${url}/v1/files/${prepared.session.handle}` });
    }
    const s = sessions.get(id);
    if (!s || s.aborted) {
      await body(req);
      return fail(res, 404, 'not_found');
    }
    if (!sub && req.method === 'GET') return json(res, 200, [...s.parts.entries()].map(([n, p]) => ({ n, size: p.bytes.length })));
    if (!sub && req.method === 'DELETE') {
      s.aborted = true;
      s.parts.clear();
      res.writeHead(204).end();
      return;
    }
    if (sub === 'parts' && !part && req.method === 'POST') {
      const { parts } = JSON.parse((await body(req)).toString()) as { parts: number[] };
      return json(res, 200, { urls: Object.fromEntries(parts.map((n) => [String(n), `${url}/v1/uploads/${id}/parts/${n}`])), expiresAt: new Date(Date.now() + 600_000).toISOString() });
    }
    if (sub === 'parts' && part && req.method === 'PUT') {
      const n = Number(part);
      const key = `${id}:${n}`;
      const attempt = (tries.get(key) ?? 0) + 1;
      tries.set(key, attempt);
      const fault = o.fault?.(n, attempt);
      if (fault === 'reset') {
        // Take half the part, then cut the connection mid-body.
        let received = 0;
        const want = Number(req.headers['content-length'] ?? 0) / 2;
        req.on('data', (d: Buffer) => {
          received += d.length;
          if (received >= want) {
            attempts.push({ n, received, outcome: 'reset' });
            req.socket.destroy();
          }
        });
        return;
      }
      const bytes = await body(req);
      if (typeof fault === 'number') {
        attempts.push({ n, received: bytes.length, outcome: fault });
        return fail(res, fault, fault >= 500 ? 'storage_unavailable' : 'bad_request');
      }
      const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
      s.parts.set(n, { bytes, etag });
      attempts.push({ n, received: bytes.length, outcome: 'stored' });
      res.writeHead(200, { etag, 'access-control-allow-origin': '*', 'access-control-expose-headers': 'etag' });
      res.end();
      return;
    }
    if (sub === 'complete' && req.method === 'POST') {
      // Without a record, the stand-in lists its own parts (as Ferry does where the store can).
      const sent = JSON.parse((await body(req)).toString()) as { parts?: { n: number; etag: string }[] };
      const parts = sent.parts ?? [...s.parts.keys()].map((n) => ({ n, etag: s.parts.get(n)!.etag }));
      const joined = Buffer.concat([...s.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p.bytes));
      const named = parts.map((p) => p.n).join(',') === [...s.parts.keys()].sort((a, b) => a - b).join(',');
      const etagsMatch = parts.every((p) => !p.etag || p.etag === s.parts.get(p.n)?.etag);
      if (!named || !etagsMatch || joined.length !== s.prepared.session.objectSize) return fail(res, 422, 'invalid_upload');
      completed.set(s.prepared.session.handle, { object: joined, prepared: s.prepared });
      sessions.delete(id);
      const { handle, size, expiresAt } = s.prepared.session;
      return json(res, 201, { handle, url: `${url}/v1/files/${handle}`, filename: s.filename, size, type: 'application/octet-stream', createdAt: s.prepared.meta.createdAt, expiresAt });
    }
    return fail(res, 405, 'method_not_allowed');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    attempts,
    calls,
    sessions,
    completed,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
