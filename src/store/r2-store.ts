// The ObjectStore on a Workers R2 binding (`env.FERRY_BUCKET`): no credentials, no request
// signing, no AWS SDK. Objects carry their expiry and plain metadata as R2 custom metadata.
//
// The binding streams a body into R2 only when its length is known up front (a request body,
// or the readable half of a FixedLengthStream). A part has a known size, so it streams; a `put`
// does not know its length, so its bytes are gathered into parts of `partSize`: a body that ends
// within the first part becomes one put (atomic), a longer one a multipart upload of equal parts
// (R2 refuses unequal ones), completed only once the body has ended cleanly.
//
// The binding has no ListParts and no ListMultipartUploads. The closest real thing is a small
// ledger in the same bucket, beside the objects but outside Ferry's key space (its keys start
// with `~`, which no store key can): `~uploads/<id>` records each upload in progress (its key,
// expiry, start), `~parts/<id>/<n>` each stored part (etag, size). listParts and listMultipart
// read the ledger; the sweeper aborts expired uploads from it. Where parts reach R2 without the
// Worker (part URLs presigned through R2's S3 API), the part list comes from that API instead
// (`partsApi`). docs/deploy.md says what differs from S3.
import { FerryError } from '../errors.js';
import { largeChunks } from './large-chunks.js';
import {
  EXPIRES_METADATA,
  InvalidParts,
  NoSuchUpload,
  assertRangeShape,
  assertValidKey,
  assertValidPart,
  assertValidPartList,
  assertValidPrefix,
  assertValidPutOptions,
  openPutBody,
  type ObjectBody,
  type ObjectStore,
  type PartOptions,
  type PartRef,
  type PendingUpload,
  type PutOptions,
  type ReadRange,
  type StoredObject,
  type StoredPart,
} from './object-store.js';

// ---- the binding, typed by what this store uses (a subset of @cloudflare/workers-types) -------

export interface R2ObjectLike {
  key: string;
  size: number;
  etag: string;
  customMetadata?: Record<string, string>;
  range?: { offset?: number; length?: number };
}
export interface R2ObjectBodyLike extends R2ObjectLike {
  body: ReadableStream<Uint8Array>;
}
export interface R2UploadedPartLike {
  partNumber: number;
  etag: string;
}
export interface R2MultipartUploadLike {
  readonly key: string;
  readonly uploadId: string;
  uploadPart(partNumber: number, value: ReadableStream<Uint8Array> | ArrayBuffer | ArrayBufferView): Promise<R2UploadedPartLike>;
  abort(): Promise<void>;
  complete(parts: R2UploadedPartLike[]): Promise<R2ObjectLike>;
}
export interface R2BucketLike {
  head(key: string): Promise<R2ObjectLike | null>;
  get(key: string, options?: { range?: { offset: number; length?: number } }): Promise<R2ObjectBodyLike | null>;
  put(key: string, value: ReadableStream<Uint8Array> | ArrayBuffer | ArrayBufferView | string | null, options?: { customMetadata?: Record<string, string> }): Promise<R2ObjectLike | null>;
  delete(keys: string | string[]): Promise<void>;
  list(options?: { prefix?: string; cursor?: string; limit?: number; include?: ('customMetadata' | 'httpMetadata')[] }): Promise<{
    objects: R2ObjectLike[];
    truncated: boolean;
    cursor?: string;
  }>;
  createMultipartUpload(key: string, options?: { customMetadata?: Record<string, string> }): Promise<R2MultipartUploadLike>;
  resumeMultipartUpload(key: string, uploadId: string): R2MultipartUploadLike;
}

/** What R2's S3 API adds when an R2 token pair is configured: parts straight from clients, and their list. */
export interface PartsApi {
  presignPart(key: string, uploadId: string, n: number, options: { expiresInSeconds: number; size: number }): Promise<string>;
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
}

export interface R2StoreOptions {
  bucket: R2BucketLike;
  /** Prepended to every key (and to the ledger), e.g. `ferry/`. */
  prefix?: string;
  /** Bytes per part of a `put` longer than one part; R2's minimum is 5 MiB. Default 8 MiB. */
  partSize?: number;
  /** Objects per list page. Default 1000 (tests use a small one to cover paging). */
  listPageSize?: number;
  /** R2's S3 API for the same bucket, keyed by `prefix` too (see PartsApi). */
  partsApi?: PartsApi;
  /** Called with the byte count each time R2 has taken a put's part (tests measure backpressure with it). */
  onAccepted?: (bytes: number) => void;
}

/** R2's largest single put (5 GiB less 5 MiB, as R2's limits page gives it); longer bodies go in parts. */
const MAX_SINGLE_PUT = 5 * 1024 ** 3 - 5 * 1024 * 1024;
/** Bytes per write of a put of known length (see #putKnown). */
const KNOWN_PUT_PIECE = 256 * 1024;
/** R2's smallest multipart part (every part but the last). */
const MIN_PART_SIZE = 5 * 1024 * 1024;
/** Ledger keys begin here (after the prefix); `~` is outside the store's key alphabet and sorts after it. */
const LEDGER = '~';
const UPLOADS = `${LEDGER}uploads/`;
const PARTS = `${LEDGER}parts/`;

// The binding's error codes (developers.cloudflare.com/r2/api/error-codes/).
const NO_SUCH_UPLOAD = 10024;
const INVALID_PART = 10025;
const ENTITY_TOO_SMALL = 10011;
const BAD_UPLOAD = 10048;
const INVALID_RANGE = 10039;

// workerd's stream of declared length: what lets the binding take a streamed part.
declare const FixedLengthStream: { new (expectedLength: number | bigint): TransformStream<Uint8Array, Uint8Array> } | undefined;

export class R2Store implements ObjectStore {
  readonly #bucket: R2BucketLike;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #listPageSize: number;
  readonly #partsApi?: PartsApi;
  readonly #onAccepted?: (bytes: number) => void;
  readonly presignPart?: PartsApi['presignPart'];

  constructor(options: R2StoreOptions) {
    const { partSize = 8 * 1024 * 1024, listPageSize = 1000, prefix = '' } = options;
    if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE) throw new RangeError('partSize must be at least 5 MiB');
    if (!Number.isSafeInteger(listPageSize) || listPageSize < 1 || listPageSize > 1000) throw new RangeError('listPageSize must be 1 to 1000');
    if (prefix !== '') assertValidPrefix(prefix);
    this.#bucket = options.bucket;
    this.#prefix = prefix;
    this.#partSize = partSize;
    this.#listPageSize = listPageSize;
    this.#partsApi = options.partsApi;
    this.#onAccepted = options.onAccepted;
    const api = options.partsApi;
    if (api) this.presignPart = (key, uploadId, n, o) => (assertValidKey(key), assertValidPart(n, o.size), api.presignPart(key, uploadId, n, o));
  }

  async put(key: string, body: ReadableStream<Uint8Array>, options: PutOptions): Promise<StoredObject> {
    const reader = openPutBody(key, body, options);
    const customMetadata = metadataFor(options);
    const signal = options.signal;
    const known = options.size;
    if (known !== undefined && known > 0 && known <= MAX_SINGLE_PUT && typeof FixedLengthStream !== 'undefined') {
      return this.#putKnown(key, reader, known, customMetadata, options);
    }
    const fill = new PartFiller(reader, this.#partSize, signal);
    let upload: R2MultipartUploadLike | undefined;
    try {
      const first = await fill.next();
      if (!fill.more) {
        await r2('put', () => this.#bucket.put(this.#prefix + key, first, { customMetadata }));
        signal?.throwIfAborted();
        this.#onAccepted?.(first.byteLength);
        return { key, size: first.byteLength, expiresAt: options.expiresAt, metadata: options.metadata ?? {} };
      }
      upload = await r2('put', () => this.#bucket.createMultipartUpload(this.#prefix + key, { customMetadata }));
      // Recorded, so that the sweeper aborts it should this isolate die before the upload ends.
      await this.#record(key, upload.uploadId, options.expiresAt);
      const parts: R2UploadedPartLike[] = [];
      let size = 0;
      let chunk: Uint8Array | null = first;
      let spare: Uint8Array | undefined;
      // One part uploading while the next fills: at most two parts in memory.
      let inFlight: Promise<void> = Promise.resolve();
      while (chunk) {
        const n = parts.length + 1;
        const bytes: Uint8Array = chunk;
        parts.push({ partNumber: n, etag: '' });
        size += bytes.byteLength;
        const u = upload;
        const previous = inFlight;
        const sending = r2('put', () => u.uploadPart(n, bytes)).then((p) => {
          parts[n - 1] = p;
          this.#onAccepted?.(bytes.byteLength);
        });
        inFlight = Promise.all([previous, sending]).then(() => {});
        // Keep the rejection observed while the next part fills; it is awaited below.
        inFlight.catch(() => {});
        if (!fill.more) break;
        await previous;
        // Part n-1 is stored: its buffer takes part n+1.
        const next = await fill.next(spare);
        spare = bytes.byteLength === this.#partSize ? bytes : undefined;
        chunk = next.byteLength > 0 || fill.more ? next : null;
      }
      await inFlight;
      signal?.throwIfAborted();
      const u = upload;
      await r2('put', () => u.complete(parts));
      await this.#forget(upload.uploadId);
      return { key, size, expiresAt: options.expiresAt, metadata: options.metadata ?? {} };
    } catch (e) {
      fill.cancel(e);
      if (upload) {
        const u = upload;
        await u.abort().catch(() => {});
        await this.#forget(u.uploadId).catch(() => {});
      }
      throw signal?.aborted ? signal.reason : e;
    }
  }

  /**
   * A body of declared length in one streamed put: no part buffers, one request, atomic, and
   * one stored blob (which Miniflare's local R2 serves natively; its multipart objects it
   * reassembles in JavaScript, with no backpressure: docs/benchmarks.md).
   */
  async #putKnown(
    key: string,
    reader: ReadableStreamDefaultReader<Uint8Array>,
    size: number,
    customMetadata: Record<string, string>,
    options: PutOptions,
  ): Promise<StoredObject> {
    const signal = options.signal;
    const fixed = new FixedLengthStream!(size);
    const storing = r2('put', () => this.#bucket.put(this.#prefix + key, fixed.readable, { customMetadata }));
    storing.catch(() => {});
    // Written in whole 256 KiB pieces: the body arrives in sealed 16 KiB chunks, and each write
    // into a native stream costs workerd as much as a large one (upload CPU 33-43 -> 22 s/GiB).
    const fill = new PartFiller(reader, KNOWN_PUT_PIECE, signal);
    const writer = fixed.writable.getWriter();
    try {
      let seen = 0;
      while (fill.more) {
        const piece = await fill.next();
        seen += piece.byteLength;
        if (seen > size) throw new RangeError(`body is longer than its declared ${size} bytes`);
        if (piece.byteLength > 0) await writer.write(piece);
      }
      if (seen !== size) throw new RangeError(`body ended after ${seen} of its declared ${size} bytes`);
      await writer.close();
    } catch (e) {
      fill.cancel(e);
      await writer.abort(e).catch(() => {});
      throw signal?.aborted ? signal.reason : e;
    }
    try {
      await storing;
    } catch (e) {
      if (signal?.aborted) throw signal.reason as Error;
      throw e;
    }
    signal?.throwIfAborted();
    this.#onAccepted?.(size);
    return { key, size, expiresAt: options.expiresAt, metadata: options.metadata ?? {} };
  }

  async get(key: string, range?: ReadRange): Promise<ObjectBody | null> {
    assertValidKey(key);
    const k = this.#prefix + key;
    if (!range) {
      const o = await r2('get', () => this.#bucket.get(k));
      return o && { ...stored(key, o), body: largeChunks(o.body) };
    }
    assertRangeShape(range);
    let o: R2ObjectBodyLike | null;
    try {
      o = await this.#bucket.get(k, { range: { offset: range.start, length: range.end - range.start + 1 } });
    } catch (e) {
      // R2 refuses a start past the end (and any range of an empty object): null or RangeError
      // depends on whether the object is there.
      if (r2Code(e) !== INVALID_RANGE && r2Code(e) !== 0) throw storageError('get', e);
      const h = await r2('get', () => this.#bucket.head(k));
      if (!h) return null;
      if (h.size === 0 && range.clamp && range.start === 0) return { ...stored(key, h), body: emptyStream() };
      throw new RangeError(`range ${range.start}-${range.end} lies outside an object of ${h.size} bytes`, { cause: e });
    }
    if (!o) return null;
    if (range.end >= o.size && !range.clamp) {
      await o.body.cancel().catch(() => {});
      throw new RangeError(`range ${range.start}-${range.end} lies outside an object of ${o.size} bytes`);
    }
    return { ...stored(key, o), body: largeChunks(o.body) };
  }

  async head(key: string): Promise<StoredObject | null> {
    assertValidKey(key);
    const o = await r2('head', () => this.#bucket.head(this.#prefix + key));
    return o && stored(key, o);
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await r2('delete', () => this.#bucket.delete(this.#prefix + key));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    if (prefix !== '') assertValidPrefix(prefix);
    const ledger = this.#prefix + LEDGER;
    for await (const o of this.#listRaw(this.#prefix + prefix)) {
      // The ledger sorts after every store key: once it begins, the objects are done.
      if (o.key.startsWith(ledger)) return;
      yield stored(o.key.slice(this.#prefix.length), o);
    }
  }

  // ---- objects written in parts ----------------------------------------------------------------

  async createMultipart(key: string, options: PutOptions): Promise<string> {
    assertValidKey(key);
    assertValidPutOptions(options);
    const upload = await r2('createMultipart', () => this.#bucket.createMultipartUpload(this.#prefix + key, { customMetadata: metadataFor(options) }));
    try {
      await this.#record(key, upload.uploadId, options.expiresAt);
    } catch (e) {
      await upload.abort().catch(() => {});
      throw e;
    }
    return upload.uploadId;
  }

  async putPart(key: string, uploadId: string, n: number, body: ReadableStream<Uint8Array>, options: PartOptions): Promise<StoredPart> {
    try {
      assertValidKey(key);
      assertValidPart(n, options.size);
      await this.#openUpload(key, uploadId);
    } catch (e) {
      await body.cancel(e).catch(() => {});
      throw e;
    }
    const { size, signal } = options;
    const upload = this.#bucket.resumeMultipartUpload(this.#prefix + key, uploadId);
    // The body's own failure (short, long, errored, aborted) is the answer, not the binding's
    // complaint about a stream that ended early. (Thrown as given: the caller's own error object.)
    let bodyError: Error | undefined;
    const counted = exactLength(size, (e) => (bodyError ??= e as Error));
    let part: R2UploadedPartLike;
    try {
      if (size === 0 || typeof FixedLengthStream === 'undefined') {
        // Outside workerd (and for an empty part) the part is read into memory first.
        const chunks = await readAll(body.pipeThrough(counted, { signal }));
        part = await upload.uploadPart(n, chunks);
      } else {
        const fixed = new FixedLengthStream(size);
        const piping = body.pipeThrough(counted, { signal }).pipeTo(fixed.writable).catch((e: unknown) => {
          bodyError ??= (signal?.aborted ? signal.reason : e) as Error;
        });
        const sending = upload.uploadPart(n, fixed.readable);
        sending.catch(() => {});
        await piping;
        if (bodyError !== undefined) throw bodyError;
        part = await sending;
      }
    } catch (e) {
      if (bodyError !== undefined) throw bodyError;
      if (signal?.aborted) throw signal.reason as Error;
      throw multipartError('putPart', e);
    }
    await r2('putPart', () =>
      this.#bucket.put(partRecord(this.#prefix, uploadId, n), '', { customMetadata: { etag: part.etag, size: String(size) } }),
    );
    return { n, etag: part.etag, size };
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    assertValidKey(key);
    await this.#openUpload(key, uploadId);
    if (this.#partsApi) return this.#partsApi.listParts(key, uploadId);
    return this.#ledgerParts(uploadId);
  }

  async completeMultipart(key: string, uploadId: string, parts: PartRef[]): Promise<StoredObject> {
    assertValidKey(key);
    assertValidPartList(parts);
    await this.#openUpload(key, uploadId);
    const have = new Map((this.#partsApi ? await this.#partsApi.listParts(key, uploadId) : await this.#ledgerParts(uploadId)).map((p) => [p.n, p]));
    for (const p of parts) {
      if (have.get(p.n)?.etag !== p.etag) throw new InvalidParts(`part ${p.n} is not stored as named`);
    }
    const upload = this.#bucket.resumeMultipartUpload(this.#prefix + key, uploadId);
    let o: R2ObjectLike;
    try {
      o = await upload.complete(parts.map((p) => ({ partNumber: p.n, etag: p.etag })));
    } catch (e) {
      throw multipartError('completeMultipart', e);
    }
    await this.#forget(uploadId).catch(() => {});
    return stored(key, o);
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertValidKey(key);
    const marker = await this.#marker(uploadId);
    // Unknown, finished, or another key's upload: nothing of this key's to remove.
    if (!marker || marker.customMetadata?.key !== key) return;
    try {
      await this.#bucket.resumeMultipartUpload(this.#prefix + key, uploadId).abort();
    } catch (e) {
      if (r2Code(e) !== NO_SUCH_UPLOAD) throw storageError('abortMultipart', e);
    }
    await this.#forget(uploadId);
  }

  async *listMultipart(prefix: string): AsyncIterable<PendingUpload> {
    if (prefix !== '') assertValidPrefix(prefix);
    for await (const o of this.#listRaw(this.#prefix + UPLOADS)) {
      const m = o.customMetadata ?? {};
      if (m.key === undefined || !m.key.startsWith(prefix)) continue;
      const initiated = Date.parse(m.initiated ?? '');
      const expires = Date.parse(m[EXPIRES_METADATA] ?? '');
      yield {
        key: m.key,
        uploadId: o.key.slice(this.#prefix.length + UPLOADS.length),
        initiated: new Date(Number.isNaN(initiated) ? 0 : initiated),
        ...(Number.isNaN(expires) ? {} : { expiresAt: new Date(expires) }),
      };
    }
  }

  // ---- the ledger ------------------------------------------------------------------------------

  async #record(key: string, uploadId: string, expiresAt: Date): Promise<void> {
    await r2('createMultipart', () =>
      this.#bucket.put(this.#prefix + UPLOADS + uploadId, '', {
        customMetadata: { key, [EXPIRES_METADATA]: expiresAt.toISOString(), initiated: new Date().toISOString() },
      }),
    );
  }

  /** Drops the upload's records: its parts first, its marker last (so a crash leaves it findable). */
  async #forget(uploadId: string): Promise<void> {
    const keys: string[] = [];
    for await (const o of this.#listRaw(this.#prefix + PARTS + uploadId + '/')) keys.push(o.key);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      await r2('abortMultipart', () => this.#bucket.delete(batch));
    }
    await r2('abortMultipart', () => this.#bucket.delete(this.#prefix + UPLOADS + uploadId));
  }

  #marker(uploadId: string): Promise<R2ObjectLike | null> {
    // An upload id is R2's (base64url); anything else names no upload and must not reach a key.
    if (!/^[A-Za-z0-9_=-]{1,512}$/.test(uploadId)) return Promise.resolve(null);
    return r2('head', () => this.#bucket.head(this.#prefix + UPLOADS + uploadId));
  }

  async #openUpload(key: string, uploadId: string): Promise<void> {
    const marker = await this.#marker(uploadId);
    if (!marker || marker.customMetadata?.key !== key) throw new NoSuchUpload();
  }

  async #ledgerParts(uploadId: string): Promise<StoredPart[]> {
    const parts: StoredPart[] = [];
    const base = this.#prefix + PARTS + uploadId + '/';
    for await (const o of this.#listRaw(base)) {
      const n = Number(o.key.slice(base.length));
      const { etag, size } = o.customMetadata ?? {};
      if (Number.isSafeInteger(n) && etag) parts.push({ n, etag, size: Number(size) });
    }
    return parts.sort((a, b) => a.n - b.n);
  }

  async *#listRaw(prefix: string): AsyncIterable<R2ObjectLike> {
    let cursor: string | undefined;
    do {
      const c = cursor;
      const page = await r2('list', () =>
        this.#bucket.list({ prefix, limit: this.#listPageSize, include: ['customMetadata'], ...(c ? { cursor: c } : {}) }),
      );
      yield* page.objects;
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }
}

// ---- helpers ---------------------------------------------------------------------------------

function metadataFor(options: PutOptions): Record<string, string> {
  return { ...(options.metadata ?? {}), [EXPIRES_METADATA]: options.expiresAt.toISOString() };
}

function stored(key: string, o: R2ObjectLike): StoredObject {
  const { [EXPIRES_METADATA]: expires, ...metadata } = o.customMetadata ?? {};
  // No readable expiry: not written by put, so never served, and swept.
  const time = expires === undefined ? NaN : Date.parse(expires);
  return { key, size: o.size, expiresAt: new Date(Number.isNaN(time) ? 0 : time), metadata };
}

function partRecord(prefix: string, uploadId: string, n: number): string {
  return `${prefix}${PARTS}${uploadId}/${String(n).padStart(5, '0')}`;
}

function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream({ start: (c) => c.close() });
}

/**
 * Gathers a body into parts of exactly `size` bytes (the last may be shorter). `more` says
 * whether the body may still hold bytes after the part just returned. An abort cancels the
 * body at once, even while a read is stalled.
 */
class PartFiller {
  more = true;
  #carry: Uint8Array | null = null;
  #cancelled = false;
  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    private readonly size: number,
    private readonly signal?: AbortSignal,
  ) {}

  /**
   * The next part, in `into` when given (a buffer of `size` bytes the caller no longer needs):
   * a put reuses its two buffers instead of leaving 8 MiB of garbage per part to V8.
   */
  async next(into?: Uint8Array): Promise<Uint8Array> {
    const part = into ?? new Uint8Array(this.size);
    let got = 0;
    if (this.#carry) {
      const c = this.#carry;
      const take = Math.min(c.byteLength, this.size);
      part.set(c.subarray(0, take));
      got = take;
      this.#carry = take < c.byteLength ? c.subarray(take) : null;
    }
    while (got < this.size) {
      const { done, value } = await this.#read();
      if (done) {
        this.more = false;
        return part.subarray(0, got);
      }
      const take = Math.min(value.byteLength, this.size - got);
      part.set(value.subarray(0, take), got);
      got += take;
      if (take < value.byteLength) this.#carry = value.subarray(take);
    }
    return part;
  }

  cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.reader.cancel(this.signal?.aborted ? this.signal.reason : reason).catch(() => {});
  }

  #read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const signal = this.signal;
    if (!signal) return this.reader.read();
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.cancel(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.reader.read().then(
        (r) => (signal.removeEventListener('abort', onAbort), resolve(r)),
        (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
      );
    });
  }
}

/** Passes exactly `size` bytes; more or fewer is a RangeError (reported first to `onError`). */
function exactLength(size: number, onError: (e: unknown) => void): TransformStream<Uint8Array, Uint8Array> {
  let seen = 0;
  return new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (seen > size) {
        const e = new RangeError(`part is longer than its ${size} bytes`);
        onError(e);
        throw e;
      }
      controller.enqueue(chunk);
    },
    flush() {
      if (seen !== size) {
        const e = new RangeError(`part ended after ${seen} of its ${size} bytes`);
        onError(e);
        throw e;
      }
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** The binding's numeric error code, parsed from its message ("… (10024)"); undefined for others. */
function r2Code(e: unknown): number | undefined {
  const m = /\((\d+)\)\s*$/.exec(e instanceof Error ? e.message : '');
  return m ? Number(m[1]) : undefined;
}

function multipartError(op: string, e: unknown): Error {
  const code = r2Code(e);
  if (code === NO_SUCH_UPLOAD) return new NoSuchUpload();
  if (code === INVALID_PART || code === ENTITY_TOO_SMALL || code === BAD_UPLOAD) {
    return new InvalidParts(`R2 refused the parts (${code}: all parts but the last must be the same size, at least 5 MiB)`);
  }
  return storageError(op, e);
}

/** Runs one binding call; whatever it throws becomes storage_unavailable, naming the call. */
async function r2<T>(op: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw storageError(op, e);
  }
}

function storageError(op: string, e: unknown): FerryError {
  if (e instanceof FerryError) return e;
  const code = r2Code(e);
  const err = new FerryError('storage_unavailable', `object storage ${op} failed (R2${code === undefined ? '' : ` ${code}`})`);
  err.cause = e;
  return err;
}
