// The one suite every ObjectStore passes (after tus-node-server's DataStore suites): the same
// behaviour on local disk and on S3, asserted on bytes, errors and what is left in the backend.
// Each test gets a fresh store from the factory, so `residue()` must be exactly what that test
// left behind.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidParts, NoSuchUpload, type ObjectStore, type StoredObject } from '../../src/store/object-store.js';
import { sweepExpired } from '../../src/store/sweep.js';

export interface StoreHarness {
  store: ObjectStore;
  cleanup(): Promise<void>;
  /** Everything physically present in the backend, including temp files / in-progress multipart uploads. */
  residue(): Promise<string[]>;
  /** Body bytes the backend has taken so far: written to temp files or objects, parts uploaded. */
  acceptedBytes(): Promise<number>;
  /** The most bytes a put may have pulled from its body and not yet handed to the backend. */
  maxBufferedBytes: number;
  /** A body size the store must write in more than two pieces (S3: more than two parts). */
  largeSize: number;
}

const MiB = 1024 * 1024;
const EXPIRES = new Date('2030-01-02T03:04:05.678Z');
const META = { kid: 'k2026a', format: '1' };

// ---- helpers ---------------------------------------------------------------------------------

/** Deterministic, incompressible-looking bytes; `seed` makes different bodies differ. */
export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seed * 0x9e3779b1) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface Source {
  stream: ReadableStream<Uint8Array>;
  /** Bytes handed to the consumer so far. */
  pulled(): number;
  /** The reason the consumer cancelled the stream with, if it did. */
  cancelled(): { reason: unknown } | undefined;
}

/**
 * A pull-based body with no read-ahead of its own (highWaterMark 0): a chunk is produced only
 * when the consumer asks. Optionally stalls (never answers) or errors once `data` is used up,
 * and runs `beforePull` before producing each chunk.
 */
export function source(
  data: Uint8Array,
  options: { chunk?: number; end?: 'close' | 'stall' | { error: unknown }; beforePull?: (pulled: number) => Promise<void> } = {},
): Source {
  const { chunk = 65_537, end = 'close', beforePull } = options;
  let offset = 0;
  let cancelled: { reason: unknown } | undefined;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await beforePull?.(offset);
        if (offset < data.length) {
          const next = data.slice(offset, offset + chunk);
          offset += next.length;
          controller.enqueue(next);
        } else if (end === 'close') {
          controller.close();
        } else if (end === 'stall') {
          await new Promise(() => {});
        } else {
          controller.error(end.error);
        }
      },
      cancel(reason) {
        cancelled = { reason };
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => offset, cancelled: () => cancelled };
}

export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) {
    parts.push(part);
    length += part.byteLength;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** Equal bytes, with a message that says where they differ instead of dumping megabytes. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.byteLength, 'length').toBe(expected.byteLength);
  let i = 0;
  while (i < actual.length && actual[i] === expected[i]) i++;
  expect(i === actual.length ? 'equal' : `first difference at byte ${i}`).toBe('equal');
}

async function collect<T extends { key: string } = StoredObject>(objects: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const o of objects) out.push(o);
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ---- the suite -------------------------------------------------------------------------------

export function describeObjectStore(name: string, makeStore: () => Promise<StoreHarness>): void {
  describe(`${name} (ObjectStore conformance)`, () => {
    let h: StoreHarness;
    let store: ObjectStore;
    beforeEach(async () => {
      h = await makeStore();
      store = h.store;
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const put = (key: string, data: Uint8Array, options: { expiresAt?: Date; metadata?: Record<string, string> } = {}) =>
      store.put(key, source(data).stream, { expiresAt: options.expiresAt ?? EXPIRES, metadata: options.metadata ?? META });

    describe('put and get', () => {
      for (const [label, size] of [
        ['empty', () => 0],
        ['1 byte', () => 1],
        ['1 MiB', () => MiB],
        ['large (more than two parts)', () => h.largeSize],
      ] as const) {
        it(`round-trips ${label} bodies byte for byte`, async () => {
          const data = pattern(size(), size() + 7);
          const stored = await put('files/one', data);
          expect(stored).toEqual({ key: 'files/one', size: data.length, expiresAt: EXPIRES, metadata: META });

          const got = await store.get('files/one');
          expect(got).not.toBeNull();
          expect({ ...got!, body: undefined }).toEqual({ ...stored, body: undefined });
          expectBytes(await readAll(got!.body), data);
          // Success leaves the object and nothing else (no temp file, no open upload).
          expect(await h.residue()).toHaveLength(1);
        });
      }

      it('keeps expiresAt to the millisecond and the metadata map as given', async () => {
        const expiresAt = new Date('2031-05-06T07:08:09.012Z');
        await put('m', pattern(10), { expiresAt, metadata: { kid: 'a', format: '1', 'x-1': 'v a l' } });
        expect(await store.head('m')).toEqual({ key: 'm', size: 10, expiresAt, metadata: { kid: 'a', format: '1', 'x-1': 'v a l' } });
        await put('n', pattern(10), { expiresAt, metadata: {} });
        await put('e', pattern(1), { expiresAt, metadata: { kid: '' } });
        expect((await store.head('e'))!.metadata).toEqual({ kid: '' });
        expect((await store.head('n'))!.metadata).toEqual({});
      });

      it('returns null for an absent key', async () => {
        expect(await store.get('absent')).toBeNull();
        expect(await store.get('absent', { start: 0, end: 0 })).toBeNull();
        expect(await store.head('absent')).toBeNull();
      });

      it('lets a key be an object and the prefix of other keys at once', async () => {
        await put('a', pattern(3, 1));
        await put('a/b', pattern(4, 2));
        await put('a/b/c', pattern(5, 3));
        expectBytes(await readAll((await store.get('a'))!.body), pattern(3, 1));
        expectBytes(await readAll((await store.get('a/b'))!.body), pattern(4, 2));
        expectBytes(await readAll((await store.get('a/b/c'))!.body), pattern(5, 3));
        await store.delete('a/b');
        expect(await store.head('a/b')).toBeNull();
        expect((await store.head('a/b/c'))!.size).toBe(5);
      });

      it('runs concurrent puts of different keys without mixing them up', async () => {
        const bodies = Array.from({ length: 8 }, (_, i) => pattern(200_000 + i * 1001, i + 100));
        const results = await Promise.all(bodies.map((b, i) => put(`c/${i}`, b)));
        expect(results.map((r) => r.size)).toEqual(bodies.map((b) => b.length));
        for (const [i, b] of bodies.entries()) expectBytes(await readAll((await store.get(`c/${i}`))!.body), b);
        expect(await h.residue()).toHaveLength(8);
      });

      it('lets a reader cancel a body half way, and the object stays deletable', async () => {
        const data = pattern(MiB);
        await put('cancel-me', data);
        const got = await store.get('cancel-me');
        const reader = got!.body.getReader();
        const first = await reader.read();
        expect(first.done).toBe(false);
        await reader.cancel();
        await store.delete('cancel-me');
        expect(await store.get('cancel-me')).toBeNull();
        expect(await h.residue()).toEqual([]);
      });
    });

    describe('head', () => {
      it('reports size, expiry and metadata without the body', async () => {
        await put('h', pattern(12_345), { metadata: { kid: 'kid1', format: '1' } });
        expect(await store.head('h')).toEqual({ key: 'h', size: 12_345, expiresAt: EXPIRES, metadata: { kid: 'kid1', format: '1' } });
      });
    });

    describe('ranges', () => {
      const check = async (key: string, data: Uint8Array, start: number, end: number) => {
        const got = await store.get(key, { start, end });
        expect(got, `range ${start}-${end}`).not.toBeNull();
        expect(got!.size).toBe(data.length);
        expect(got!.expiresAt).toEqual(EXPIRES);
        expect(got!.metadata).toEqual(META);
        expectBytes(await readAll(got!.body), data.subarray(start, end + 1));
      };

      it('reads the first byte, the last byte, a middle span and the whole object', async () => {
        const data = pattern(300_001, 9);
        await put('r', data);
        await check('r', data, 0, 0);
        await check('r', data, data.length - 1, data.length - 1);
        await check('r', data, 1000, 123_456);
        await check('r', data, 0, data.length - 1);
      });

      it('reads spans of a large object, across its part boundaries', async () => {
        const data = pattern(h.largeSize, 10);
        await put('big', data);
        const mid = Math.floor(data.length / 2);
        await check('big', data, mid - 70_000, mid + 70_000);
        await check('big', data, data.length - 100, data.length - 1);
        await check('big', data, 0, data.length - 1);
      });

      it('rejects ranges that do not lie within the object with a RangeError', async () => {
        await put('r10', pattern(10));
        await put('r0', new Uint8Array(0));
        await expect(store.get('r10', { start: 5, end: 4 })).rejects.toThrow(RangeError);
        await expect(store.get('r10', { start: 0, end: 10 })).rejects.toThrow(RangeError);
        await expect(store.get('r10', { start: 10, end: 10 })).rejects.toThrow(RangeError);
        await expect(store.get('r10', { start: -1, end: 3 })).rejects.toThrow(RangeError);
        await expect(store.get('r0', { start: 0, end: 0 })).rejects.toThrow(RangeError);
      });

      it('with clamp, reads to the end when the end lies past it, and still refuses a start past it', async () => {
        const data = pattern(1000, 11);
        await put('c', data);
        for (const [start, end] of [[0, 4171], [0, 999], [990, 5000], [0, 0]] as const) {
          const got = await store.get('c', { start, end, clamp: true });
          expect(got!.size, `${start}-${end}`).toBe(1000);
          expectBytes(await readAll(got!.body), data.subarray(start, Math.min(end, 999) + 1));
        }
        await expect(store.get('c', { start: 1000, end: 2000, clamp: true })).rejects.toThrow(RangeError);
        expect(await store.get('c-absent', { start: 0, end: 10, clamp: true })).toBeNull();
      });
    });

    describe('multipart', () => {
      const opts = { expiresAt: EXPIRES, metadata: META };
      const part = (store: ObjectStore, key: string, id: string, n: number, data: Uint8Array) =>
        store.putPart(key, id, n, source(data, { chunk: 40_001 }).stream, { size: data.length });
      const MiB5 = 5 * MiB;

      it('stores parts in any order, lists them, and makes the object visible only on complete', async () => {
        const a = pattern(MiB5, 21);
        const b = pattern(MiB5, 22);
        const c = pattern(1234, 23);
        const id = await store.createMultipart('mp/one', opts);
        const pc = await part(store, 'mp/one', id, 3, c);
        const pa = await part(store, 'mp/one', id, 1, a);
        expect(await store.get('mp/one')).toBeNull();
        expect((await collect(store.list('mp/'))).map((o) => o.key)).toEqual([]);
        const pb = await part(store, 'mp/one', id, 2, b);
        expect(await store.listParts('mp/one', id)).toEqual([pa, pb, pc].map((p) => ({ ...p })));
        expect([pa.size, pb.size, pc.size]).toEqual([MiB5, MiB5, 1234]);
        expect((await collect(store.listMultipart('mp/'))).map((u) => [u.key, u.uploadId])).toEqual([['mp/one', id]]);

        const done = await store.completeMultipart('mp/one', id, [pa, pb, pc]);
        expect(done).toEqual({ key: 'mp/one', size: 2 * MiB5 + 1234, expiresAt: EXPIRES, metadata: META });
        const got = (await store.get('mp/one'))!;
        expect(got.metadata).toEqual(META);
        expectBytes(await readAll(got.body), new Uint8Array([...a, ...b, ...c]));
        const tail = (await store.get('mp/one', { start: MiB5 - 10, end: MiB5 + 9 }))!;
        expectBytes(await readAll(tail.body), new Uint8Array([...a.subarray(MiB5 - 10), ...b.subarray(0, 10)]));
        // The upload is gone: its parts, its listing, further parts.
        await expect(store.listParts('mp/one', id)).rejects.toThrow(NoSuchUpload);
        await expect(part(store, 'mp/one', id, 4, c)).rejects.toThrow(NoSuchUpload);
        expect(await collect(store.listMultipart(''))).toEqual([]);
        expect(await h.residue()).toHaveLength(1);
      });

      it('replaces a part written again; completing with a stale etag or a missing part is InvalidParts and keeps the upload', async () => {
        const id = await store.createMultipart('mp/two', opts);
        const first = await part(store, 'mp/two', id, 1, pattern(1000, 1));
        const again = await part(store, 'mp/two', id, 1, pattern(1000, 2));
        const listed = await store.listParts('mp/two', id);
        expect(listed).toEqual([again]);
        if (first.etag !== again.etag) {
          await expect(store.completeMultipart('mp/two', id, [first])).rejects.toThrow(InvalidParts);
        }
        await expect(store.completeMultipart('mp/two', id, [again, { n: 2, etag: again.etag }])).rejects.toThrow(InvalidParts);
        await expect(store.completeMultipart('mp/two', id, [])).rejects.toThrow(InvalidParts);
        expect(await store.get('mp/two')).toBeNull();
        await store.completeMultipart('mp/two', id, [again]);
        expectBytes(await readAll((await store.get('mp/two'))!.body), pattern(1000, 2));
      });

      it('stores nothing for a part whose body is short, long or fails, and cancels that body', async () => {
        const id = await store.createMultipart('mp/three', opts);
        await expect(store.putPart('mp/three', id, 1, source(pattern(999)).stream, { size: 1000 })).rejects.toThrow(RangeError);
        await expect(store.putPart('mp/three', id, 2, source(pattern(1001)).stream, { size: 1000 })).rejects.toThrow(RangeError);
        const failing = source(pattern(500), { end: { error: new Error('client went away') } });
        await expect(store.putPart('mp/three', id, 3, failing.stream, { size: 1000 })).rejects.toThrow('client went away');
        const stalled = source(pattern(500), { end: 'stall' });
        const ctl = new AbortController();
        const pending = store.putPart('mp/three', id, 4, stalled.stream, { size: 1000, signal: ctl.signal });
        ctl.abort(new Error('aborted by caller'));
        await expect(pending).rejects.toThrow();
        expect(stalled.cancelled()).toBeDefined();
        expect(await store.listParts('mp/three', id)).toEqual([]);
        await store.abortMultipart('mp/three', id);
      });

      it('aborts: parts gone, idempotent, no further parts, nothing left behind', async () => {
        const id = await store.createMultipart('mp/four', opts);
        await part(store, 'mp/four', id, 1, pattern(MiB, 4));
        await store.abortMultipart('mp/four', id);
        await store.abortMultipart('mp/four', id);
        await expect(store.listParts('mp/four', id)).rejects.toThrow(NoSuchUpload);
        await expect(part(store, 'mp/four', id, 2, pattern(10))).rejects.toThrow(NoSuchUpload);
        await expect(store.completeMultipart('mp/four', id, [{ n: 1, etag: 'x' }])).rejects.toThrow(NoSuchUpload);
        expect(await store.get('mp/four')).toBeNull();
        expect(await collect(store.listMultipart(''))).toEqual([]);
        expect(await h.residue()).toEqual([]);
      });

      it('refuses unknown upload ids, upload ids of another key, and bad part numbers', async () => {
        const id = await store.createMultipart('mp/five', opts);
        await expect(store.listParts('mp/other', id)).rejects.toThrow(NoSuchUpload);
        await expect(store.listParts('mp/five', 'not-an-upload')).rejects.toThrow(NoSuchUpload);
        for (const n of [0, 10_001, 1.5]) {
          await expect(store.putPart('mp/five', id, n, source(pattern(1)).stream, { size: 1 })).rejects.toThrow(RangeError);
        }
        await store.abortMultipart('mp/five', id);
        await store.abortMultipart('mp/five', 'never-started');
      });

      it('takes a part straight from a client through a presigned URL, where the store can presign', async () => {
        if (!store.presignPart) return;
        const id = await store.createMultipart('mp/six', opts);
        const data = pattern(MiB, 6);
        const url = await store.presignPart('mp/six', id, 1, { expiresInSeconds: 300, size: data.length });
        const res = await fetch(url, { method: 'PUT', body: data as Uint8Array<ArrayBuffer> });
        expect(res.status).toBe(200);
        const etag = res.headers.get('etag')!.replace(/"/g, '');
        expect(await store.listParts('mp/six', id)).toEqual([{ n: 1, etag, size: data.length }]);
        await store.completeMultipart('mp/six', id, [{ n: 1, etag }]);
        expectBytes(await readAll((await store.get('mp/six'))!.body), data);
      });
    });

    describe('delete', () => {
      it('is idempotent, and a deleted object is gone from get, head, list and the backend', async () => {
        await store.delete('never-there');
        await put('d/x', pattern(100));
        await store.delete('d/x');
        await store.delete('d/x');
        expect(await store.get('d/x')).toBeNull();
        expect(await store.head('d/x')).toBeNull();
        expect(await collect(store.list(''))).toEqual([]);
        expect(await h.residue()).toEqual([]);
      });
    });

    describe('list', () => {
      it('lists every object under a prefix, across pages, with its plain metadata', async () => {
        const keys = ['a/1', 'a/2', 'a/b/3', 'a/b/c/4', 'ab/5', 'b/6', 'top'];
        for (const [i, k] of keys.entries()) {
          await put(k, pattern(i + 1), { expiresAt: new Date(EXPIRES.getTime() + i), metadata: { kid: `k${i}` } });
        }
        const all = await collect(store.list(''));
        expect(all).toEqual(
          keys.map((k, i) => ({ key: k, size: i + 1, expiresAt: new Date(EXPIRES.getTime() + i), metadata: { kid: `k${i}` } })),
        );
        expect((await collect(store.list('a/'))).map((o) => o.key)).toEqual(['a/1', 'a/2', 'a/b/3', 'a/b/c/4']);
        expect((await collect(store.list('a'))).map((o) => o.key)).toEqual(['a/1', 'a/2', 'a/b/3', 'a/b/c/4', 'ab/5']);
        expect((await collect(store.list('a/b'))).map((o) => o.key)).toEqual(['a/b/3', 'a/b/c/4']);
        expect((await collect(store.list('a/b/c/4'))).map((o) => o.key)).toEqual(['a/b/c/4']);
        expect((await collect(store.list('t'))).map((o) => o.key)).toEqual(['top']);
        expect(await collect(store.list('zzz'))).toEqual([]);
        expect(await collect(store.list('nothing/here/'))).toEqual([]);
      });

      it('rejects prefixes that could escape the key space', async () => {
        for (const bad of ['../', '/a', 'a/../', 'a/./', 'a//', 'a b', '%2e%2e/']) {
          await expect(collect(store.list(bad)), bad).rejects.toThrow(TypeError);
        }
      });
    });

    describe('failed puts leave nothing behind', () => {
      it('rejects with the body error when the body fails midway, after several parts', async () => {
        const boom = new Error('client went away');
        const body = source(pattern(h.largeSize), { end: { error: boom } });
        await expect(store.put('fail/midway', body.stream, { expiresAt: EXPIRES, metadata: META })).rejects.toBe(boom);
        expect(body.pulled()).toBe(h.largeSize);
        expect(await h.residue()).toEqual([]);
        expect(await store.get('fail/midway')).toBeNull();
        expect(await store.head('fail/midway')).toBeNull();
      });

      it('rejects with the body error when the body fails before its first byte', async () => {
        const boom = new Error('nothing at all');
        const body = source(new Uint8Array(0), { end: { error: boom } });
        await expect(store.put('fail/early', body.stream, { expiresAt: EXPIRES })).rejects.toBe(boom);
        expect(await h.residue()).toEqual([]);
        expect(await store.get('fail/early')).toBeNull();
      });

      it('rejects with the abort reason when the signal aborts mid-body, and cancels the body', async () => {
        const reason = new Error('aborted by the client');
        const half = Math.floor(h.largeSize / 2);
        const body = source(pattern(h.largeSize), { end: 'stall' });
        const controller = new AbortController();
        // The body stalls after `largeSize` bytes; abort once the store has read half of it.
        const put = store.put('fail/aborted', body.stream, { expiresAt: EXPIRES, signal: controller.signal });
        const settled = put.then(
          () => 'resolved',
          (e: unknown) => e,
        );
        await until(() => body.pulled() >= half, 'the store to read half the body');
        controller.abort(reason);
        expect(await settled).toBe(reason);
        expect(body.cancelled()).toEqual({ reason });
        expect(await h.residue()).toEqual([]);
        expect(await store.get('fail/aborted')).toBeNull();
      });

      it('rejects with the abort reason when the body is stalled and the signal aborts', async () => {
        const reason = new Error('gone');
        const body = source(pattern(h.largeSize), { end: 'stall' });
        const controller = new AbortController();
        const put = store.put('fail/stalled', body.stream, { expiresAt: EXPIRES, signal: controller.signal });
        const settled = put.then(
          () => 'resolved',
          (e: unknown) => e,
        );
        await until(() => body.pulled() === h.largeSize, 'the store to read the whole body');
        await new Promise((r) => setTimeout(r, 50));
        controller.abort(reason);
        expect(await settled).toBe(reason);
        expect(body.cancelled()).toEqual({ reason });
        expect(await h.residue()).toEqual([]);
      });

      it('rejects at once when the signal is already aborted, and cancels the body', async () => {
        const controller = new AbortController();
        const reason = new Error('before it began');
        controller.abort(reason);
        const body = source(pattern(1000));
        await expect(store.put('fail/pre', body.stream, { expiresAt: EXPIRES, signal: controller.signal })).rejects.toBe(reason);
        expect(body.pulled()).toBe(0);
        expect(body.cancelled()).toEqual({ reason });
        expect(await h.residue()).toEqual([]);
      });
    });

    describe('overwrite', () => {
      it('replaces bytes, expiry and metadata as one', async () => {
        await put('o', pattern(5000, 1), { metadata: { kid: 'old' } });
        const later = new Date(EXPIRES.getTime() + 60_000);
        await put('o', pattern(300, 2), { expiresAt: later, metadata: { kid: 'new', format: '1' } });
        const got = await store.get('o');
        expect({ ...got!, body: undefined }).toEqual({ key: 'o', size: 300, expiresAt: later, metadata: { kid: 'new', format: '1' }, body: undefined });
        expectBytes(await readAll(got!.body), pattern(300, 2));
        expect(await h.residue()).toHaveLength(1);
      });

      it('keeps the previous object intact when an overwrite fails', async () => {
        const old = pattern(4000, 3);
        await put('o2', old, { metadata: { kid: 'old' } });
        const boom = new Error('broken overwrite');
        const body = source(pattern(h.largeSize, 4), { end: { error: boom } });
        await expect(store.put('o2', body.stream, { expiresAt: new Date(0), metadata: { kid: 'new' } })).rejects.toBe(boom);
        const got = await store.get('o2');
        expect({ ...got!, body: undefined }).toEqual({ key: 'o2', size: 4000, expiresAt: EXPIRES, metadata: { kid: 'old' }, body: undefined });
        expectBytes(await readAll(got!.body), old);
        expect(await h.residue()).toHaveLength(1);
      });
    });

    describe('backpressure', () => {
      it('pulls the body only as fast as the backend takes it', async () => {
        const total = 2 * h.maxBufferedBytes + 100_000;
        const data = pattern(total, 5);
        let worst = -Infinity;
        let pulls = 0;
        // Before each chunk is produced: how far ahead of the backend is the store reading?
        const body = source(data, {
          beforePull: async (pulled) => {
            pulls++;
            worst = Math.max(worst, pulled - (await h.acceptedBytes()));
          },
        });
        const stored = await store.put('bp', body.stream, { expiresAt: EXPIRES });
        expect(stored.size).toBe(total);
        expect(pulls).toBeGreaterThan(total / 65_537);
        expect(worst).toBeLessThanOrEqual(h.maxBufferedBytes);
        expectBytes(await readAll((await store.get('bp'))!.body), data);
      });
    });

    describe('input checks', () => {
      const badKeys = ['', '/a', 'a/', 'a//b', '..', 'a/../b', './a', 'a/.', 'a b', 'a\\b', 'ä', 'a?b', 'x'.repeat(513)];

      it('rejects invalid keys everywhere, before touching the backend or the body', async () => {
        for (const key of badKeys) {
          const body = source(pattern(10));
          await expect(store.put(key, body.stream, { expiresAt: EXPIRES }), key).rejects.toThrow(TypeError);
          expect(body.pulled()).toBe(0);
          await expect(store.get(key), key).rejects.toThrow(TypeError);
          await expect(store.head(key), key).rejects.toThrow(TypeError);
          await expect(store.delete(key), key).rejects.toThrow(TypeError);
        }
        expect(await h.residue()).toEqual([]);
        // The longest valid key works, and prefixes ending inside a segment.
        const longest = `${'k'.repeat(200)}/${'l'.repeat(200)}/${'m'.repeat(110)}`;
        await put(longest, pattern(3));
        await put('k/x', pattern(4));
        expect(longest).toHaveLength(512);
        expect((await store.head(longest))!.size).toBe(3);
        expectBytes(await readAll((await store.get(longest))!.body), pattern(3));
        expect((await collect(store.list('k'.repeat(150)))).map((o) => o.key)).toEqual([longest]);
        expect((await collect(store.list(`${'k'.repeat(200)}/l`))).map((o) => o.key)).toEqual([longest]);
        expect((await collect(store.list(longest))).map((o) => o.key)).toEqual([longest]);
        await store.delete(longest);
        expect(await h.residue()).toHaveLength(1);
      });

      it('rejects metadata outside the contract and an invalid expiry', async () => {
        const bad: Record<string, string>[] = [
          { Kid: 'x' },
          { 'kid_1': 'x' },
          { ['k'.repeat(33)]: 'x' },
          { kid: 'é' },
          { kid: 'a\nb' },
          { kid: 'x'.repeat(257) },
          { 'ferry-expires': '2099-01-01T00:00:00Z' },
        ];
        for (const metadata of bad) {
          await expect(store.put('meta', source(pattern(1)).stream, { expiresAt: EXPIRES, metadata }), JSON.stringify(metadata)).rejects.toThrow(TypeError);
        }
        await expect(store.put('meta', source(pattern(1)).stream, { expiresAt: new Date(NaN) })).rejects.toThrow(TypeError);
        expect(await h.residue()).toEqual([]);
      });
    });

    describe('sweepExpired', () => {
      it('deletes exactly the objects whose expiry is at or before now', async () => {
        const now = new Date('2030-06-01T12:00:00.000Z');
        await put('s/past', pattern(10), { expiresAt: new Date(now.getTime() - 1000) });
        await put('s/now', pattern(10), { expiresAt: now });
        await put('s/future', pattern(10), { expiresAt: new Date(now.getTime() + 1) });
        await put('t/past', pattern(10), { expiresAt: new Date(now.getTime() - 1) });

        expect(await sweepExpired(store, now, 's/')).toBe(2);
        expect((await collect(store.list(''))).map((o) => o.key)).toEqual(['s/future', 't/past']);
        expect(await sweepExpired(store, now)).toBe(1);
        expect((await collect(store.list(''))).map((o) => o.key)).toEqual(['s/future']);
        expect(await sweepExpired(store, now)).toBe(0);
        expect(await h.residue()).toHaveLength(1);
      });

      it('aborts uploads in parts that outlived their file, and keeps the others', async () => {
        const now = new Date('2030-06-01T12:00:00.000Z');
        const old = await store.createMultipart('u/old', { expiresAt: new Date(now.getTime() - 1), metadata: META });
        await store.putPart('u/old', old, 1, source(pattern(100)).stream, { size: 100 });
        const fresh = await store.createMultipart('u/fresh', { expiresAt: new Date(now.getTime() + 3600_000), metadata: META });
        // S3 reports only when an upload began: sweep as if a day and a minute had passed since.
        const pending = await collect(store.listMultipart('u/'));
        const known = pending.every((u) => u.expiresAt);
        const at = known ? now : new Date(Math.max(...pending.map((u) => u.initiated.getTime())) + 24 * 3600_000 + 60_000);
        const swept = await sweepExpired(store, at, 'u/');
        const left = (await collect(store.listMultipart('u/'))).map((u) => u.uploadId);
        if (known) {
          expect(swept).toBe(1);
          expect(left).toEqual([fresh]);
          await store.abortMultipart('u/fresh', fresh);
        } else {
          expect(swept).toBe(2);
          expect(left).toEqual([]);
        }
        await expect(store.listParts('u/old', old)).rejects.toThrow(NoSuchUpload);
        expect(await h.residue()).toEqual([]);
      });

      it('sweeps more objects than fit in one list page', async () => {
        const now = new Date('2030-06-01T12:00:00.000Z');
        for (let i = 0; i < 12; i++) await put(`many/${i}`, pattern(1), { expiresAt: new Date(now.getTime() - i) });
        expect(await sweepExpired(store, now)).toBe(12);
        expect(await h.residue()).toEqual([]);
      });
    });
  });
}
