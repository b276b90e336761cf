// Finding 1 of issue 17: sixteen connections that each send a few bytes of an upload and then
// trickle one byte at a time held the app's sixteen upload slots for ever (the idle timer
// restarts on every byte). With a floor under the upload's speed they are cut with 408
// `request_timeout`, keep nothing, and the next client gets its slot within bounded time.
// The window is configured to 1 s here so the test runs in seconds; the default is 30 s.
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from '../../src/node.js';
import { TEST_APP, TEST_APPS, testKey } from '../helpers/targets.js';

const running: RunningFerry[] = [];
const dirs: string[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(running.splice(0).map((f) => f.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-trickle-'));
  dirs.push(dir);
  const ferry = await startFerry(
    { PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, ...env },
    { log: () => {}, requestLog: () => {} },
  );
  running.push(ferry);
  return ferry;
}

/** An upload that sends `first` bytes, then one byte every `everyMs`; resolves with what came back. */
function trickle(url: string, name: string, first: number, everyMs: number, multipart = false) {
  const boundary = 'trickle-boundary';
  const head = multipart
    ? `POST /v1/files?key=${TEST_APP.key} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n`
    : `POST /v1/files?key=${TEST_APP.key}&filename=${name} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n`;
  return trickleRaw(url, head, first, everyMs);
}

/** Any request head, then `first` bytes of body, then one byte every `everyMs`. */
function trickleRaw(url: string, head: string, first: number, everyMs: number) {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  sockets.push(socket);
  socket.write(head + 'x'.repeat(first));
  const timer = setInterval(() => socket.writable && socket.write('x'), everyMs);
  return new Promise<{ reply: string; afterMs: number }>((resolve) => {
    const started = Date.now();
    let reply = '';
    const done = () => {
      clearInterval(timer);
      resolve({ reply, afterMs: Date.now() - started });
      socket.destroy();
    };
    socket.on('data', (d) => {
      reply += d;
      // The whole JSON answer is in once its closing brace is.
      if (/\r\n\r\n[\s\S]*\}\}$/.test(reply)) done();
    });
    socket.on('close', done);
    socket.on('error', () => {});
  });
}

async function storedCount(ferry: RunningFerry): Promise<number> {
  let n = 0;
  for await (const _ of ferry.store.list('')) n++;
  return n;
}

describe('trickling uploads (minimum transfer rate)', () => {
  it('cuts 16 tricklers with 408 and a 17th client gets its slot within bounded time', async () => {
    const ferry = await start({ FERRY_MIN_UPLOAD_BYTES_PER_SECOND: '200', FERRY_MIN_UPLOAD_WINDOW_SECONDS: '1' });
    const tricklers = Array.from({ length: 16 }, (_, i) => trickle(ferry.url, `t${i}.bin`, 20, 250, i % 2 === 1));
    const post = () => fetch(`${ferry.url}/v1/files?key=${TEST_APP.key}&filename=ok.txt`, { method: 'POST', body: 'hello' });

    // The slots fill: the 17th client is refused while the tricklers hold them...
    let first: Response | undefined;
    const fillDeadline = Date.now() + 10_000;
    while (Date.now() < fillDeadline) {
      first = await post();
      if (first.status === 429) break;
      await first.arrayBuffer();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(first!.status).toBe(429);
    await first!.arrayBuffer();
    const refusedAt = Date.now();

    // ...and is served once they are cut, well within a few windows.
    let status = 429;
    let stored = 0;
    while (Date.now() - refusedAt < 15_000) {
      const res = await post();
      status = res.status;
      await res.arrayBuffer();
      if (status === 201) {
        stored++;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(201);
    const waitedMs = Date.now() - refusedAt;
    expect(waitedMs).toBeLessThan(10_000);

    const results = await Promise.all(tricklers);
    for (const { reply, afterMs } of results) {
      expect(reply).toMatch(/^HTTP\/1\.1 408 /);
      expect(reply).toContain('"code":"request_timeout"');
      expect(afterMs).toBeLessThan(10_000);
    }
    // Nothing of the tricklers was kept; the 17th client's file was.
    expect(await storedCount(ferry)).toBe(stored);
  });

  it('does not cut an upload that keeps the pace, however long it takes', async () => {
    const ferry = await start({ FERRY_MIN_UPLOAD_BYTES_PER_SECOND: '200', FERRY_MIN_UPLOAD_WINDOW_SECONDS: '1' });
    const u = new URL(ferry.url);
    const socket = connect(Number(u.port), u.hostname);
    sockets.push(socket);
    // 3000 bytes at about 1000 bytes/s: five times the floor, for about three windows.
    socket.write(`POST /v1/files?key=${TEST_APP.key}&filename=steady.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\nConnection: close\r\n\r\n`);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < 3000) {
        socket.write('y'.repeat(100));
        sent += 100;
      }
    }, 100);
    const reply = await new Promise<string>((resolve) => {
      let out = '';
      socket.on('data', (d) => (out += d));
      socket.on('close', () => resolve(out));
      socket.on('error', () => {});
    });
    clearInterval(timer);
    expect(reply).toMatch(/^HTTP\/1\.1 201 /);
    expect(reply).toContain('"size":3000');
  });

  it('cuts a trickling tus PATCH and a trickling session part the same way, keeping what was stored', async () => {
    const ferry = await start({ FERRY_MIN_UPLOAD_BYTES_PER_SECOND: '200', FERRY_MIN_UPLOAD_WINDOW_SECONDS: '1' });
    const created = await fetch(`${ferry.url}/v1/tus?key=${TEST_APP.key}`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', 'upload-length': '100000' },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get('location')!);
    const tus = trickleRaw(
      ferry.url,
      `PATCH ${location.pathname}${location.search} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n` +
        `Content-Type: application/offset+octet-stream\r\nContent-Length: 100000\r\n\r\n`,
      20,
      250,
    );

    const session = (await (
      await fetch(`${ferry.url}/v1/uploads?key=${TEST_APP.key}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filename: 'slow.bin', size: 100000 }),
      })
    ).json()) as { upload: string; objectSize: number };
    const urls = (await (
      await fetch(`${ferry.url}/v1/uploads/${session.upload}/parts?key=${TEST_APP.key}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ parts: [1] }),
      })
    ).json()) as { urls: Record<string, string> };
    const partUrl = new URL(urls.urls['1']!);
    // Ferry's own part URL (the embedded store cannot presign): the part passes through Ferry.
    expect(partUrl.origin).toBe(ferry.url.replace('localhost', '127.0.0.1'));
    const part = trickleRaw(
      ferry.url,
      `PUT ${partUrl.pathname}${partUrl.search} HTTP/1.1\r\nHost: x\r\nContent-Length: ${session.objectSize}\r\n\r\n`,
      20,
      250,
    );

    for (const { reply, afterMs } of await Promise.all([tus, part])) {
      expect(reply).toMatch(/^HTTP\/1\.1 408 /);
      expect(reply).toContain('"code":"request_timeout"');
      expect(afterMs).toBeLessThan(10_000);
    }
    // Nothing moved: the tus upload still stands at 0, and the session has no part.
    const head = await fetch(location, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
    expect(head.headers.get('upload-offset')).toBe('0');
    const listed = await fetch(`${ferry.url}/v1/uploads/${session.upload}?key=${TEST_APP.key}`);
    expect(await listed.json()).toEqual([]);
  });
});
