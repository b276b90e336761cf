// What a client sees when Ferry on Node answers before it has read the body: the answer, in
// every case. A declared length over the limit gets its 413 without `100 Continue`; clients that
// send the whole body before reading (Python's http.client and urllib, run here for real) read
// the 413 or 401 instead of a broken pipe; the body still coming is dropped within a bounded
// count and time, then the connection closes; and the request log counts what arrived.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from '../src/node.js';
import type { EarlyAnswerDrain } from '../src/node-http/early-answer.js';
import type { RequestLogEntry } from '../src/request-log.js';
import { TEST_APP, TEST_APPS, testKey } from './helpers/targets.js';

const MiB = 1024 * 1024;
const LIMIT = MiB;

interface Server {
  ferry: RunningFerry;
  port: number;
  log: RequestLogEntry[];
  close(): Promise<void>;
}

async function start(drain?: EarlyAnswerDrain): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-early-'));
  const log: RequestLogEntry[] = [];
  const ferry = await startFerry(
    { PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, FERRY_MAX_FILE_BYTES: String(LIMIT) },
    { log: () => {}, requestLog: (e) => log.push(e), earlyAnswerDrain: drain },
  );
  return {
    ferry,
    port: Number(new URL(ferry.url).port),
    log,
    close: async () => {
      await ferry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw connection that records what comes back and when it ends; half-open, like Python's. */
interface Raw {
  socket: Socket;
  /** Everything received so far, as latin1 text. */
  text(): string;
  /** Resolves once the connection is closed, with the error it died of if it was reset. */
  closed: Promise<{ at: number; error?: string }>;
  /** Resolves once `pattern` has been received. */
  received(pattern: RegExp): Promise<number>;
}

function raw(port: number): Raw {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let got = '';
  const waiters: { pattern: RegExp; resolve: (at: number) => void }[] = [];
  socket.on('data', (d: Buffer) => {
    got += d.toString('latin1');
    for (const w of waiters.splice(0)) {
      if (w.pattern.test(got)) w.resolve(Date.now());
      else waiters.push(w);
    }
  });
  const closed = new Promise<{ at: number; error?: string }>((resolve) => {
    let error: string | undefined;
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code));
    socket.on('close', () => resolve({ at: Date.now(), error }));
  });
  return {
    socket,
    text: () => got,
    closed,
    received: (pattern) =>
      new Promise((resolve) => (pattern.test(got) ? resolve(Date.now()) : waiters.push({ pattern, resolve }))),
  };
}

/** Writes `total` bytes as fast as the connection takes them; resolves with what was written when it stopped. */
function flood(socket: Socket, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  return new Promise((resolve) => {
    const stop = () => resolve(sent);
    socket.once('error', stop);
    socket.once('close', stop);
    const pump = () => {
      while (sent < total && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      if (sent >= total) resolve(sent);
    };
    pump();
  });
}

const uploadHead = (length: number, extra = '') =>
  `POST /v1/files?key=${TEST_APP.key}&filename=a.bin HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: ${length}\r\n${extra}\r\n`;

describe('early answers on Node', () => {
  let s: Server;
  beforeAll(async () => {
    s = await start();
  });
  afterAll(async () => s?.close());

  it('answers a declared length over the limit with 413 and no 100 Continue', async () => {
    const c = raw(s.port);
    c.socket.write(uploadHead(50 * MiB, 'expect: 100-continue\r\n'));
    await c.received(/\r\n\r\n[\s\S]*\}/);
    expect(c.text()).toMatch(/^HTTP\/1\.1 413 /);
    expect(c.text()).not.toContain('100 Continue');
    expect(c.text()).toMatch(/\r\nconnection: close\r\n/i);
    expect(c.text()).toContain('"code":"file_too_large"');
    c.socket.destroy();
  });

  it('still sends 100 Continue when the body is wanted, and stores it', async () => {
    const c = raw(s.port);
    c.socket.write(uploadHead(1000, 'expect: 100-continue\r\n'));
    await c.received(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    c.socket.write(Buffer.alloc(1000, 0x62));
    await c.received(/HTTP\/1\.1 201 [\s\S]*\r\n0\r\n\r\n$/);
    expect(c.text()).toContain('"size":1000');
    c.socket.destroy();
  });

  it('lets Python http.client and urllib read the answer while they are still sending (Connection: close)', { timeout: 60_000 }, async () => {
    // 20 MiB each, after an answer given on the headers: both libraries write the whole body
    // before they read a byte, and urllib always says Connection: close.
    const script = `
import http.client, json, sys, urllib.request, urllib.error
port, body = int(sys.argv[1]), b"x" * (20 * 1024 * 1024)
def client(path, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", path, body=body, headers={"Connection": "close", **headers})
    r = c.getresponse()
    return [r.status, json.loads(r.read())["error"]["code"]]
def urllib_(path, headers):
    try:
        urllib.request.urlopen(urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, headers=headers), timeout=30)
        return ["no error"]
    except urllib.error.HTTPError as e:
        return [e.code, json.loads(e.read())["error"]["code"]]
out = []
for f in (client, urllib_):
    for path, headers in (("/v1/files?key=${TEST_APP.key}&filename=a.bin", {}),
                          ("/v1/files?key=nobody&filename=a.bin", {}),
                          ("/v1/files?key=${TEST_APP.key}&filename=a.bin&ttl=abc", {}),
                          ("/v1/picks?key=nobody", {"Content-Type": "application/json"})):
        try:
            out.append(f(path, headers))
        except Exception as e:
            out.append([type(e).__name__, str(e)])
print(json.dumps(out))
`;
    const { stdout } = await promisify(execFile)('python3', ['-c', script, String(s.port)], { timeout: 55_000 });
    const answers = [
      [413, 'file_too_large'],
      [401, 'unknown_key'],
      [400, 'invalid_ttl'],
      [401, 'unknown_key'],
    ];
    expect(JSON.parse(stdout)).toEqual([...answers, ...answers]);
  });

  it('logs the bytes that arrived as bytesIn, not the declared length', async () => {
    const c = raw(s.port);
    c.socket.write(uploadHead(10 * 1024 * MiB));
    await c.received(/^HTTP\/1\.1 413 [\s\S]*\r\n0\r\n\r\n$/);
    c.socket.destroy();
    const upload = await fetch(`${s.ferry.url}/v1/files?key=${TEST_APP.key}&filename=b.bin`, { method: 'POST', body: new Uint8Array(123_457) });
    expect(upload.status).toBe(201);
    await upload.arrayBuffer();
    const chunked = await fetch(`${s.ferry.url}/v1/files?key=${TEST_APP.key}&filename=c.bin`, {
      method: 'POST',
      body: new Blob([new Uint8Array(32 * LIMIT)]).stream(),
      duplex: 'half',
      headers: { connection: 'close' },
    } as RequestInit);
    expect(chunked.status).toBe(413);
    await chunked.arrayBuffer();
    const posts = s.log.filter((e) => e.method === 'POST').slice(-3);
    expect(posts.map((e) => [e.status, e.bytesIn])).toEqual([
      [413, 0],
      [201, 123_457],
      [413, posts[2]!.bytesIn],
    ]);
    // Refused mid-stream: what the upload read up to the limit and its own bounded drain
    // (src/files.ts) read on, not the 32 MiB sent; the rest went to the connection's drain.
    expect(posts[2]!.bytesIn).toBeGreaterThan(LIMIT);
    expect(posts[2]!.bytesIn).toBeLessThan(16 * LIMIT);
  });
});

describe('the drain after an early answer is bounded', () => {
  let s: Server;
  const drain = { maxBytes: 2 * MiB, maxMs: 1500 };
  beforeAll(async () => {
    s = await start(drain);
  });
  afterAll(async () => s?.close());

  it('closes cleanly once the whole body is in', async () => {
    const c = raw(s.port);
    c.socket.write(uploadHead(MiB + MiB / 2, 'x-test: small-overshoot\r\n'));
    const sent = await flood(c.socket, MiB + MiB / 2);
    c.socket.end();
    expect(sent).toBe(MiB + MiB / 2);
    // Closed by both sides' FIN, no reset: nothing was left unread.
    const end = await c.closed;
    expect(end.error).toBeUndefined();
    expect(c.text()).toMatch(/^HTTP\/1\.1 413 [\s\S]*"code":"file_too_large"[\s\S]*\r\n0\r\n\r\n$/);
  });

  it('cuts the connection after maxBytes more', async () => {
    const c = raw(s.port);
    c.socket.write(uploadHead(256 * MiB));
    const sent = await flood(c.socket, 256 * MiB);
    // The server read and dropped 2 MiB and closed; what else was written sat in socket buffers.
    expect(sent).toBeLessThan(64 * MiB);
    expect(c.text()).toMatch(/^HTTP\/1\.1 413 /);
    c.socket.destroy();
  });

  it('cuts the connection maxMs after the answer when the body trickles', { timeout: 20_000 }, async () => {
    const c = raw(s.port);
    c.socket.write(uploadHead(10 * MiB));
    const answered = await c.received(/^HTTP\/1\.1 413 [\s\S]*\r\n0\r\n\r\n$/);
    const trickle = setInterval(() => c.socket.writable && c.socket.write(Buffer.alloc(1024)), 50);
    const end = await c.closed;
    clearInterval(trickle);
    c.socket.destroy();
    // Reset (the bound, not the body's end), not at once (that was the broken pipe), and not
    // much later than the bound.
    expect(end.error).toMatch(/^(ECONNRESET|EPIPE)$/);
    expect(end.at - answered).toBeGreaterThanOrEqual(drain.maxMs - 100);
    expect(end.at - answered).toBeLessThan(drain.maxMs + 5_000);
  });
});
