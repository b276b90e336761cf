// The session uploader over real HTTP on loopback (the stand-in of Ferry's session routes):
// every part retried on its own and only as often as it failed, backoff on network errors and
// 5xx, no retry of a 4xx, cancel aborting the session, and resume sending only the parts the
// server does not hold. The joined object must equal what Ferry's encryptor writes.
import { afterEach, describe, expect, it } from 'vitest';
import { memoryResumeStore, upload, RequestError } from '../../src/client/index.js';
import { expectBytes } from '../helpers/byte-streams.js';
import { bytesOf } from './session-fixture.js';
import { startStandIn, type Fault, type StandIn } from './session-stand-in.js';

const PART = 64 * 1024;
const FAST = { baseDelayMs: 5, maxDelayMs: 20 };
let server: StandIn | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function expectStored(s: StandIn, handle: string, plaintext: Uint8Array) {
  const done = s.completed.get(handle);
  expect(done).toBeDefined();
  expectBytes(done!.object, await done!.prepared.object(plaintext));
}

const stored = (s: StandIn, n: number) => s.attempts.filter((a) => a.n === n && a.outcome === 'stored').length;

describe('session uploads', () => {
  it('sends every part once when nothing fails, progress only per acknowledged part', async () => {
    server = await startStandIn({ partSize: PART });
    const plaintext = bytesOf(500_000);
    const progress: number[] = [];
    const file = await upload({ endpoint: server.url, key: 'k', file: new Blob([plaintext]), filename: 'a.bin', concurrency: 3, onProgress: (l) => progress.push(l) });
    expect(file.size).toBe(500_000);
    await expectStored(server, file.handle, plaintext);
    const parts = Math.ceil(server.completed.get(file.handle)!.object.length / PART);
    expect(server.attempts).toHaveLength(parts);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(500_000);
    expect(progress).toHaveLength(parts + 1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('retries a part on 503 and on a connection cut mid-body, each only as often as it failed', async () => {
    const faults: Record<number, Fault[]> = { 2: [503, 503], 4: ['reset'], 5: ['reset', 503, 'reset'] };
    server = await startStandIn({ partSize: PART, fault: (n, attempt) => faults[n]?.[attempt - 1] });
    const plaintext = bytesOf(600_000, 5);
    const retries: { part: number; attempt: number; delayMs: number }[] = [];
    const file = await upload({ endpoint: server.url, key: 'k', file: new Blob([plaintext]), concurrency: 4, retry: FAST, onRetry: (r) => retries.push(r) });
    await expectStored(server, file.handle, plaintext);
    for (const n of [1, 2, 3, 4, 5, 6]) {
      expect(stored(server, n)).toBe(1);
      expect(server.attempts.filter((a) => a.n === n)).toHaveLength(1 + (faults[n]?.length ?? 0));
    }
    expect(retries.filter((r) => r.part === 5).map((r) => r.attempt)).toEqual([1, 2, 3]);
    // Backoff grows (jitter keeps each within [half, all] of base·2^attempt).
    const d5 = retries.filter((r) => r.part === 5).map((r) => r.delayMs);
    expect(d5[0]).toBeGreaterThanOrEqual(2.5);
    expect(d5[0]).toBeLessThanOrEqual(5);
    expect(d5[2]).toBeGreaterThanOrEqual(10);
  });

  it('gives up after its retries and does not retry a 4xx', async () => {
    server = await startStandIn({ partSize: PART, fault: (n) => (n === 2 ? 400 : undefined) });
    const err = await upload({ endpoint: server.url, key: 'k', file: new Blob([bytesOf(300_000)]), retry: FAST }).catch((e) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err.status).toBe(400);
    expect(server.attempts.filter((a) => a.n === 2)).toHaveLength(1);
    await server.close();
    server = await startStandIn({ partSize: PART, fault: (n) => (n === 1 ? 503 : undefined) });
    const err2 = await upload({ endpoint: server.url, key: 'k', file: new Blob([bytesOf(100_000)]), retry: { ...FAST, retries: 2 } }).catch((e) => e);
    expect(err2.status).toBe(503);
    expect(server.attempts.filter((a) => a.n === 1)).toHaveLength(3);
    expect(server.calls).not.toContain('POST /v1/uploads/:u/complete');
  });

  it('cancel aborts the session: in-flight requests stop, DELETE is sent, nothing completes', async () => {
    // Part 3 never answers in time: the upload is cancelled while it hangs.
    server = await startStandIn({ partSize: PART, fault: (n) => (n >= 3 ? 503 : undefined) });
    const ac = new AbortController();
    const store = memoryResumeStore();
    const p = upload({ endpoint: server.url, key: 'k', file: new Blob([bytesOf(400_000)]), signal: ac.signal, retry: { baseDelayMs: 10_000, maxDelayMs: 10_000 }, resume: { store, key: 'x' } });
    await new Promise<void>((r) => {
      const t = setInterval(() => {
        if (server!.attempts.some((a) => a.n === 3)) {
          clearInterval(t);
          r();
        }
      }, 5);
    });
    const t0 = Date.now();
    ac.abort();
    const err = await p.catch((e) => e);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(err.code).toBe('canceled');
    expect(server.calls).toContain('DELETE /v1/uploads/:u');
    expect([...server.sessions.values()].every((s) => s.aborted && s.parts.size === 0)).toBe(true);
    expect(server.completed.size).toBe(0);
    expect(await store.get('x')).toBeUndefined();
  });

  it('resumes a session: the stored parts are not sent again (Blob and stream)', async () => {
    for (const kind of ['blob', 'stream'] as const) {
      let broken = true;
      server = await startStandIn({ partSize: PART, fault: (n) => (broken && n === 4 ? 503 : undefined) });
      const plaintext = bytesOf(700_000, 9);
      const store = memoryResumeStore();
      const file = () =>
        kind === 'blob' ? new Blob([plaintext]) : { stream: new Blob([plaintext]).stream() as ReadableStream<Uint8Array>, size: plaintext.length };
      const first = await upload({ endpoint: server.url, key: 'k', file: file(), concurrency: 1, retry: { ...FAST, retries: 1 }, resume: { store, key: 'f' } }).catch((e) => e);
      expect(first.status).toBe(503);
      expect(await store.get('f')).toBeDefined();
      const before = server.attempts.length;
      broken = false;
      const done = await upload({ endpoint: server.url, key: 'k', file: file(), concurrency: 2, resume: { store, key: 'f' } });
      await expectStored(server, done.handle, plaintext);
      const count = Math.ceil(server.completed.get(done.handle)!.object.length / PART);
      const resent = server.attempts.slice(before).map((a) => a.n).sort((a, b) => a - b);
      expect(resent).toEqual(Array.from({ length: count - 3 }, (_, i) => i + 4));
      for (let n = 1; n <= count; n++) expect(stored(server, n)).toBe(1);
      expect(server.calls.filter((c) => c === 'POST /v1/uploads')).toHaveLength(1);
      expect(await store.get('f')).toBeUndefined();
      await server.close();
      server = undefined;
    }
  });

  it('starts afresh when the recorded session is gone', async () => {
    server = await startStandIn({ partSize: PART });
    const store = memoryResumeStore();
    const plaintext = bytesOf(200_000, 2);
    const first = await upload({ endpoint: server.url, key: 'k', file: new Blob([plaintext]), resume: { store, key: 'g' } });
    // A record of a session that no longer exists (say, aborted elsewhere).
    const stale = { session: { ...server.completed.get(first.handle)!.prepared.session, upload: 'gone', url: '' }, etags: {} };
    await store.set('g', stale);
    const again = await upload({ endpoint: server.url, key: 'k', file: new Blob([plaintext]), resume: { store, key: 'g' } });
    await expectStored(server, again.handle, plaintext);
    expect(server.calls.filter((c) => c === 'POST /v1/uploads')).toHaveLength(2);
  });
});
