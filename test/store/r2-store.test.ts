// R2Store: the shared conformance suite against R2Store code running inside workerd, on
// Miniflare's local R2 (the binding's own implementation of multipart, ranges and listing). A
// small test Worker (r2-ops-worker.ts) exposes each store operation over HTTP on loopback;
// `RemoteStore` below is the ObjectStore the suite drives, relaying each call. Bodies are pulled
// from here one chunk per read, so backpressure, body errors, stalls and cancellation reach the
// store as the suite made them, and errors come back as the same classes (the body's and the
// signal's own error objects, by identity).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FerryError, type ErrorCode } from '../../src/errors.js';
import {
  InvalidParts,
  NoSuchUpload,
  type ObjectBody,
  type ObjectStore,
  type PartOptions,
  type PartRef,
  type PendingUpload,
  type PutOptions,
  type ReadRange,
  type StoredObject,
  type StoredPart,
} from '../../src/store/object-store.js';
import { buildModule, removeBundle, startWorkerd, type RunningWorker, type WorkerBundle } from '../edge/workerd.js';
import { describeObjectStore, expectBytes, pattern, readAll, source } from './conformance.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;


/** Where the Worker pulls bodies from: each registered body answers one chunk per GET. */
class BodyServer {
  readonly #bodies = new Map<string, { reader: ReadableStreamDefaultReader<Uint8Array>; error?: unknown; reasons: Map<string, unknown> }>();
  readonly #signals = new Map<string, Promise<string>>();
  #next = 0;
  server: Server;
  url = '';
  constructor() {
    this.server = createServer((req, res) => {
      const s = /^\/signal\/(.+)$/.exec(req.url ?? '');
      if (s) {
        const waiting = this.#signals.get(decodeURIComponent(s[1]!));
        if (!waiting) return void res.writeHead(404).end();
        void waiting.then((id) => res.writeHead(200).end(id));
        return;
      }
      const m = /^\/body\/(\d+)(\/cancel)?$/.exec(req.url ?? '');
      const entry = m && this.#bodies.get(m[1]!);
      if (!entry) return void res.writeHead(404).end();
      if (m[2]) {
        let text = '';
        req.on('data', (d: Buffer) => (text += d.toString()));
        req.on('end', () => {
          entry.reader.cancel(entry.reasons.get(text) ?? new Error(text)).catch(() => {});
          res.writeHead(204).end();
        });
        return;
      }
      entry.reader.read().then(
        ({ done, value }) => (done ? res.writeHead(204).end() : res.writeHead(200).end(value)),
        (e: unknown) => {
          entry.error = e;
          res.writeHead(500).end();
        },
      );
    });
  }
  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  /** Registers a signal: GET /signal/<id> answers once it aborts. */
  addSignal(id: string, signal: AbortSignal): void {
    this.#signals.set(
      id,
      new Promise((resolve) => (signal.aborted ? resolve(id) : signal.addEventListener('abort', () => resolve(id), { once: true }))),
    );
  }
  /** Registers a body; `reasons` maps the tags the Worker sends back to the objects they stand for. */
  add(body: ReadableStream<Uint8Array>): { id: string; error(): unknown; reasons: Map<string, unknown> } {
    const id = String(this.#next++);
    const entry = { reader: body.getReader(), reasons: new Map<string, unknown>() };
    this.#bodies.set(id, entry);
    return { id, error: () => (entry as { error?: unknown }).error, reasons: entry.reasons };
  }
}

const ERRORS: Record<string, new (message: string) => Error> = { RangeError, TypeError, NoSuchUpload, InvalidParts };

/** An ObjectStore whose every call runs in the Worker, on R2Store under `prefix`. */
class RemoteStore implements ObjectStore {
  #signals = 0;
  constructor(
    private readonly worker: string,
    private readonly bodies: BodyServer,
    private readonly prefix: string,
  ) {}

  async #call<T>(op: string, args: Record<string, unknown>, tags: Map<string, unknown> = new Map()): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.worker}/op/${op}`, {
        method: 'POST',
        body: JSON.stringify({ prefix: this.prefix, back: this.bodies.url, ...args }),
      });
    } catch (e) {
      throw new Error(`${op} failed: ${String((e as Error).cause ?? e)}`, { cause: e });
    }
    const json = (await res.json()) as { ok?: T; error?: { name: string; message: string; code?: string } };
    if (json.error) throw this.#error(json.error, tags);
    return json.ok as T;
  }

  #error(e: { name: string; message: string; code?: string }, tags: Map<string, unknown>): unknown {
    if (tags.has(e.message)) return tags.get(e.message);
    if (e.name === 'FerryError') return new FerryError(e.code as ErrorCode, e.message);
    const Class = ERRORS[e.name] ?? Error;
    return new Class(e.message);
  }

  /** Relays a body and a signal: tags the Worker may answer with, mapped to the real objects. */
  #relay(body: ReadableStream<Uint8Array>, signal?: AbortSignal) {
    const b = this.bodies.add(body);
    const tags = new Map<string, unknown>();
    let signalId: string | undefined;
    if (signal) {
      signalId = `${this.prefix}${this.#signals++}`;
      const tag = `signal:${signalId}`;
      const onAbort = () => {
        tags.set(tag, signal.reason);
        b.reasons.set(tag, signal.reason);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      this.bodies.addSignal(signalId, signal);
    }
    const bodyTag = `body:${b.id}`;
    const mapped = new Proxy(tags, {
      get: (t, p) => (p === 'has' ? (k: string) => k === bodyTag || t.has(k) : p === 'get' ? (k: string) => (k === bodyTag ? b.error() : t.get(k)) : Reflect.get(t, p)),
    });
    return { body: b.id, signal: signalId, aborted: signal?.aborted ?? false, tags: mapped };
  }

  async put(key: string, body: ReadableStream<Uint8Array>, options: PutOptions): Promise<StoredObject> {
    const r = this.#relay(body, options.signal);
    const o = await this.#call<StoredObject>(
      'put',
      { key, body: r.body, signal: r.signal, aborted: r.aborted, expiresAt: String(options.expiresAt.getTime()), metadata: options.metadata, size: options.size },
      r.tags,
    );
    return revive(o);
  }

  async get(key: string, range?: ReadRange): Promise<ObjectBody | null> {
    const res = await fetch(`${this.worker}/op/get`, { method: 'POST', body: JSON.stringify({ prefix: this.prefix, key, range }) });
    if (res.status === 404) return null;
    if (res.headers.get('x-object') === null) {
      const json = (await res.json()) as { error: { name: string; message: string; code?: string } };
      throw this.#error(json.error, new Map());
    }
    return { ...revive(JSON.parse(res.headers.get('x-object')!) as StoredObject), body: res.body! };
  }

  async head(key: string): Promise<StoredObject | null> {
    const o = await this.#call<StoredObject | null>('head', { key });
    return o && revive(o);
  }
  delete(key: string): Promise<void> {
    return this.#call('delete', { key });
  }
  async *list(prefix: string): AsyncIterable<StoredObject> {
    for (const o of await this.#call<StoredObject[]>('list', { key: prefix })) yield revive(o);
  }
  createMultipart(key: string, options: PutOptions): Promise<string> {
    return this.#call('createMultipart', { key, expiresAt: String(options.expiresAt.getTime()), metadata: options.metadata });
  }
  putPart(key: string, uploadId: string, n: number, body: ReadableStream<Uint8Array>, options: PartOptions): Promise<StoredPart> {
    const r = this.#relay(body, options.signal);
    return this.#call('putPart', { key, uploadId, n, size: options.size, body: r.body, signal: r.signal, aborted: r.aborted }, r.tags);
  }
  listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    return this.#call('listParts', { key, uploadId });
  }
  async completeMultipart(key: string, uploadId: string, parts: PartRef[]): Promise<StoredObject> {
    return revive(await this.#call<StoredObject>('completeMultipart', { key, uploadId, parts }));
  }
  abortMultipart(key: string, uploadId: string): Promise<void> {
    return this.#call('abortMultipart', { key, uploadId });
  }
  async *listMultipart(prefix: string): AsyncIterable<PendingUpload> {
    for (const u of await this.#call<PendingUpload[]>('listMultipart', { key: prefix })) {
      yield { ...u, initiated: new Date(u.initiated), ...(u.expiresAt ? { expiresAt: new Date(u.expiresAt) } : {}) };
    }
  }
  etag(key: string): Promise<string | null> {
    return this.#call('etag', { key });
  }
  chunkSizes(key: string): Promise<number[]> {
    return this.#call('chunkSizes', { key });
  }
  accepted(): Promise<number> {
    return this.#call('accepted', { key: 'x' });
  }
  async residue(): Promise<string[]> {
    return (await this.#call<string[]>('residue', { key: 'x' })).map((k) => k.slice(this.prefix.length));
  }
}

function revive(o: StoredObject): StoredObject {
  return { ...o, expiresAt: new Date(o.expiresAt) };
}

let worker: RunningWorker;
let bundle: WorkerBundle;
const bodies = new BodyServer();
let stores = 0;

beforeAll(async () => {
  bundle = await buildModule(join(import.meta.dirname, 'r2-ops-worker.ts'));
  await bodies.listen();
  worker = await startWorkerd({}, { r2: true, bundle: Promise.resolve(bundle) });
}, 60_000);
afterAll(async () => {
  await worker?.dispose();
  bodies.server.close();
  if (bundle) removeBundle(bundle);
});

describeObjectStore('R2Store in workerd (local R2)', async () => {
  const store = new RemoteStore(worker.url, bodies, `t${stores++}/`);
  // Before each test the counter moves on; acceptedBytes is measured from here.
  const base = await store.accepted();
  return {
    store,
    cleanup: async () => {},
    residue: () => store.residue(),
    acceptedBytes: async () => (await store.accepted()) - base,
    // One part uploading, one filling, and the chunk that overflowed into the next.
    maxBufferedBytes: 2 * PART + 2 * 65_537,
    largeSize: 2 * PART + 1234,
  };
});

describe('R2Store in workerd: what the binding adds', () => {
  it('refuses parts of unequal size at complete with InvalidParts (R2 joins only equal parts), and keeps the upload', async () => {
    const store = new RemoteStore(worker.url, bodies, `x${stores++}/`);
    const opts = { expiresAt: new Date('2030-01-01T00:00:00Z') };
    const id = await store.createMultipart('uneven', opts);
    const parts = [];
    for (const [n, size] of [[1, PART], [2, PART + 1], [3, 10]] as const) {
      parts.push(await store.putPart('uneven', id, n, source(pattern(size, n)).stream, { size }));
    }
    await expect(store.completeMultipart('uneven', id, parts)).rejects.toThrow(InvalidParts);
    expect((await store.listParts('uneven', id)).map((p) => p.size)).toEqual([PART, PART + 1, 10]);
    const even = await store.putPart('uneven', id, 2, source(pattern(PART, 9)).stream, { size: PART });
    await store.completeMultipart('uneven', id, [parts[0]!, even, parts[2]!]);
    const got = await store.get('uneven');
    expectBytes(await readAll(got!.body), new Uint8Array([...pattern(PART, 1), ...pattern(PART, 9), ...pattern(10, 3)]));
    expect(await store.residue()).toEqual(['uneven']);
  });

  it('hands a body over in 256 KiB pieces, not the binding’s 4 KiB ones (each piece costs a trip through every stream after it)', async () => {
    const store = new RemoteStore(worker.url, bodies, `z${stores++}/`);
    const size = 2 * MiB + 100;
    await store.put('pieces', source(pattern(size)).stream, { expiresAt: new Date('2030-01-01T00:00:00Z') });
    const sizes = await store.chunkSizes('pieces');
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(size);
    expect(sizes.slice(0, -1).every((s) => s === 256 * 1024), JSON.stringify(sizes.slice(0, 12))).toBe(true);
  });

  it('streams a body of declared size in one put (one blob, whatever its length), and stores nothing when the body is another length', async () => {
    const store = new RemoteStore(worker.url, bodies, `w${stores++}/`);
    const expiresAt = new Date('2030-01-01T00:00:00Z');
    const size = 2 * PART + 123; // more than one part: without its size, a multipart upload
    const data = pattern(size, 5);
    expect(await store.put('known', source(data).stream, { expiresAt, size })).toEqual({ key: 'known', size, expiresAt, metadata: {} });
    expectBytes(await readAll((await store.get('known'))!.body), data);
    expect(await store.etag('known')).not.toMatch(/-\d+$/);
    await store.put('unknown', source(data).stream, { expiresAt });
    expect(await store.etag('unknown')).toMatch(/-3$/);
    await expect(store.put('short', source(pattern(size - 1)).stream, { expiresAt, size })).rejects.toThrow(RangeError);
    await expect(store.put('long', source(pattern(size + 1)).stream, { expiresAt, size })).rejects.toThrow(RangeError);
    expect(await store.residue()).toEqual(['known', 'unknown']);
  });

  it('rejects a put of declared size with the abort reason when the signal aborts mid-body, and cancels the body', async () => {
    const store = new RemoteStore(worker.url, bodies, `v${stores++}/`);
    const reason = new Error('aborted by the client');
    const size = 2 * PART;
    // The body stalls after half its declared length; abort once the store has read that half.
    const body = source(pattern(size / 2), { end: 'stall' });
    const controller = new AbortController();
    const settled = store.put('aborted', body.stream, { expiresAt: new Date('2030-01-01T00:00:00Z'), size, signal: controller.signal }).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const started = Date.now();
    while (body.pulled() < size / 2) {
      if (Date.now() - started > 30_000) throw new Error('the store did not read half the body');
      await new Promise((r) => setTimeout(r, 10));
    }
    controller.abort(reason);
    expect(await settled).toBe(reason);
    expect(body.cancelled()).toEqual({ reason });
    expect(await store.residue()).toEqual([]);
    expect(await store.get('aborted')).toBeNull();
  });

  it('keeps its ledger out of every listing', async () => {
    const store = new RemoteStore(worker.url, bodies, `y${stores++}/`);
    const id = await store.createMultipart('a/pending', { expiresAt: new Date('2030-01-01T00:00:00Z') });
    await store.putPart('a/pending', id, 1, source(pattern(10)).stream, { size: 10 });
    expect(await collectKeys(store.list(''))).toEqual([]);
    expect((await store.residue()).every((k) => k.startsWith('~'))).toBe(true);
    await store.abortMultipart('a/pending', id);
    expect(await store.residue()).toEqual([]);
  });
});

async function collectKeys(objects: AsyncIterable<StoredObject>): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of objects) keys.push(o.key);
  return keys;
}
