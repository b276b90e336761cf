// ObjectStore on S3 (or anything that speaks its API). Web APIs only: the same file runs on Node
// and inside workerd, so no node:* imports and no Buffer; the S3Client is injected.
//
// put streams the body through @aws-sdk/lib-storage `Upload`: one PutObject when the body fits
// in a part, otherwise a multipart upload with at most `queueSize` parts of `partSize` bytes in
// memory. Plain metadata travels as S3 user metadata (`x-amz-meta-ferry-expires` = ISO time, plus
// the caller's map), never in the `Expires` header, which is only a cache hint.
//
// Failure is handled by erroring the stream that Upload reads, not by `upload.abort()`:
// `abort()` makes `done()` reject at once while AbortMultipartUpload is sent later in the
// background (and never, if the body is stalled in a read), so `put` would return before the
// clean-up. An errored feed makes Upload's own failure path run: it waits for parts in flight,
// sends AbortMultipartUpload (leavePartsOnError false), and only then rejects.
// (Upload does not pass an abort signal to part requests, so a part in flight finishes first;
// and when one part fails, the other queue slots keep reading the body until it ends, errors or
// the signal aborts, before done() rejects.)
// When S3 itself is what failed, Upload's AbortMultipartUpload fails too and the parts would stay
// until the sweeper's one-day cut-off. So a failed put also looks for uploads under its own key
// (keys of puts are never used for sessions or tus: each file has a fresh id) and aborts them,
// retried with backoff until S3 answers again (test/faults/s3-outage.test.ts).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { S3RequestPresigner, getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Upload } from '@aws-sdk/lib-storage';
import { FerryError } from '../errors.js';
import {
  InvalidParts,
  MAX_PARTS,
  NoSuchUpload,
  assertValidPart,
  assertValidPartList,
  assertValidPutOptions,
  type PartOptions,
  type PartRef,
  type PendingUpload,
  type StoredPart,
  assertValidKey,
  assertValidPrefix,
  assertRangeShape,
  openPutBody,
  EXPIRES_METADATA,
  isStoreKey,
  type ObjectBody,
  type ObjectStore,
  type PutOptions,
  type ReadRange,
  type StoredObject,
} from './object-store.js';

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key, e.g. `ferry/`. */
  prefix?: string;
  /** Bytes per multipart part; S3's minimum is 5 MiB. Default 8 MiB. */
  partSize?: number;
  /** Parts uploaded concurrently; memory per put ≈ partSize × queueSize. Default 2. */
  queueSize?: number;
  /** MaxKeys per ListObjectsV2 page. Default 1000 (tests use a small one to cover paging). */
  listPageSize?: number;
  /** HeadObject calls in flight while listing. Default 8. */
  listConcurrency?: number;
}

/** Retries of the clean-up after a failed put: 1 s doubling to 30 s, for about an hour. */
const CLEANUP_FIRST_DELAY_MS = 1000;
const CLEANUP_MAX_DELAY_MS = 30_000;
const CLEANUP_ATTEMPTS = 125;
/** Failed puts whose clean-up is still pending; beyond this the sweeper and lifecycle rule take over. */
const CLEANUP_MAX_PENDING = 1000;

/** The largest part putPart reads into memory (S3 allows 5 GiB; Ferry's sessions use far less). */
const MAX_BUFFERED_PART = 64 * 1024 * 1024;
/** S3's smallest multipart part (every part but the last). */
const MIN_PART_SIZE = 5 * 1024 * 1024;

export class S3Store implements ObjectStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #listPageSize: number;
  readonly #listConcurrency: number;
  readonly #partTemplates = new Map<string, PartTemplate>();
  readonly #presigners = new Map<string, S3RequestPresigner>();
  /** Object keys of failed puts whose multipart uploads may still be in S3. */
  readonly #abandoned = new Set<string>();

  constructor(options: S3StoreOptions) {
    const { partSize = 8 * 1024 * 1024, queueSize = 2, listPageSize = 1000, listConcurrency = 8, prefix = '' } = options;
    if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE) throw new RangeError('partSize must be at least 5 MiB');
    for (const [name, n] of [['queueSize', queueSize], ['listPageSize', listPageSize], ['listConcurrency', listConcurrency]] as const) {
      if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer`);
    }
    if (prefix !== '') assertValidPrefix(prefix);
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#prefix = prefix;
    this.#partSize = partSize;
    this.#queueSize = queueSize;
    this.#listPageSize = listPageSize;
    this.#listConcurrency = listConcurrency;
  }

  async put(key: string, body: ReadableStream<Uint8Array>, options: PutOptions): Promise<StoredObject> {
    const { expiresAt, metadata = {}, signal } = options;
    const reader = openPutBody(key, body, options);

    // The stream Upload reads. Pull-based with no read-ahead, so Upload's part buffers are
    // the only place bytes wait. `failure` remembers why we stopped feeding it, so that put
    // rejects with that reason rather than with whatever Upload reports afterwards.
    let size = 0;
    let sourceDone = false;
    let failure: { reason: unknown } | undefined;
    let feedController!: ReadableStreamDefaultController<Uint8Array>;
    const feed = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          feedController = controller;
        },
        async pull(controller) {
          let result: ReadableStreamReadResult<Uint8Array>;
          try {
            result = await reader.read();
          } catch (e) {
            sourceDone = true;
            failure ??= { reason: e };
            controller.error(e);
            return;
          }
          if (failure) return; // aborted while the read was pending: the feed is already errored
          if (result.done) {
            sourceDone = true;
            controller.close();
          } else {
            size += result.value.byteLength;
            controller.enqueue(result.value);
          }
        },
        cancel(reason) {
          return reader.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    const onAbort = () => {
      failure ??= { reason: signal!.reason };
      try {
        feedController.error(signal!.reason);
      } catch {
        // already closed: the whole body was read; handled after done()
      }
      reader.cancel(signal!.reason).catch(() => {});
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const objectKey = this.#prefix + key;
    try {
      const upload = new Upload({
        client: this.#client,
        params: {
          Bucket: this.#bucket,
          Key: objectKey,
          Body: feed,
          ContentType: 'application/octet-stream',
          Metadata: { ...metadata, [EXPIRES_METADATA]: expiresAt.toISOString() },
        },
        partSize: this.#partSize,
        queueSize: this.#queueSize,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (e) {
      const error = failure ? failure.reason : storageError('put', e);
      if (!sourceDone) reader.cancel(error).catch(() => {});
      this.#abandon(objectKey);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (signal?.aborted) {
      // Aborted after the last byte was read but before completion: honour the abort.
      await this.#deleteObject(objectKey).catch(() => {});
      throw signal.reason;
    }
    return { key, size, expiresAt: new Date(expiresAt.getTime()), metadata: { ...metadata } };
  }

  /**
   * Aborts every multipart upload of `objectKey`, in the background, until one attempt gets
   * through; returns at once. Timers are unref'd where the runtime has that (Node), so a pending
   * clean-up never keeps a process alive.
   */
  #abandon(objectKey: string): void {
    if (this.#abandoned.has(objectKey) || this.#abandoned.size >= CLEANUP_MAX_PENDING) return;
    this.#abandoned.add(objectKey);
    let attempt = 0;
    const run = async () => {
      try {
        await this.#abortUploadsOf(objectKey);
        this.#abandoned.delete(objectKey);
      } catch {
        if (++attempt >= CLEANUP_ATTEMPTS) return void this.#abandoned.delete(objectKey);
        const timer = setTimeout(() => void run(), Math.min(CLEANUP_MAX_DELAY_MS, CLEANUP_FIRST_DELAY_MS * 2 ** (attempt - 1)));
        (timer as { unref?: () => void }).unref?.();
      }
    };
    void run();
  }

  async #abortUploadsOf(objectKey: string): Promise<void> {
    const page = await this.#client.send(new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix: objectKey }));
    for (const u of page.Uploads ?? []) {
      if (u.Key !== objectKey || !u.UploadId) continue;
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: objectKey, UploadId: u.UploadId })).catch((e: unknown) => {
        if (!(multipartError('delete', e) instanceof NoSuchUpload)) throw e;
      });
    }
  }

  async get(key: string, range?: ReadRange): Promise<ObjectBody | null> {
    assertValidKey(key);
    if (range) assertRangeShape(range);
    let res;
    try {
      res = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + key,
          ...(range && { Range: `bytes=${range.start}-${range.end}` }),
        }),
      );
    } catch (e) {
      if (isAbsent(e)) return null;
      if (httpStatus(e) === 416) throw new RangeError('range lies outside the object', { cause: e });
      throw storageError('get', e);
    }
    let body = res.Body!.transformToWebStream() as ReadableStream<Uint8Array>;
    let size = res.ContentLength ?? 0;
    if (range) {
      // What the server sent: a Content-Range, or (if it ignored Range) the whole object.
      const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.ContentRange ?? '');
      const [first, last, total] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, size - 1, size];
      const end = range.clamp ? Math.min(range.end, total - 1) : range.end;
      if (range.end >= total && !range.clamp) {
        // S3 clamps an end past the object; the contract wants that treated as out of range.
        await body.cancel().catch(() => {});
        throw new RangeError('range lies outside the object');
      }
      if (first > range.start || last < end) {
        await body.cancel().catch(() => {});
        throw new FerryError('storage_unavailable', 'object storage answered a different range than asked');
      }
      // More than asked (s3rver reads `bytes=0-0` as `bytes=0-`): hand on only the range.
      if (first !== range.start || last !== end) body = sliceBytes(body, range.start - first, end - range.start + 1);
      size = total;
    }
    return { key, size, ...plainMetadata(res.Metadata), body };
  }

  async head(key: string): Promise<StoredObject | null> {
    assertValidKey(key);
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }));
      return { key, size: res.ContentLength ?? 0, ...plainMetadata(res.Metadata) };
    } catch (e) {
      if (isAbsent(e)) return null;
      throw storageError('head', e);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    await this.#deleteObject(this.#prefix + key);
  }

  async #deleteObject(objectKey: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: objectKey }));
    } catch (e) {
      if (isAbsent(e)) return;
      throw storageError('delete', e);
    }
  }

  // ---- multipart -------------------------------------------------------------------------
  // S3's own multipart upload: the parts live in the bucket (never on Ferry's disk), and
  // CompleteMultipartUpload is the atomic commit. A part is sent with its exact length, read
  // into one buffer first (a part is bounded: MAX_BUFFERED_PART), because the SDK's Node handler
  // cannot stream a Web stream of known length and workerd needs one too.

  async createMultipart(key: string, options: PutOptions): Promise<string> {
    assertValidKey(key);
    assertValidPutOptions(options);
    try {
      const res = await this.#client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + key,
          ContentType: 'application/octet-stream',
          Metadata: { ...(options.metadata ?? {}), [EXPIRES_METADATA]: options.expiresAt.toISOString() },
        }),
      );
      if (!res.UploadId) throw new Error('no UploadId in the answer');
      return res.UploadId;
    } catch (e) {
      throw storageError('put', e);
    }
  }

  async putPart(key: string, uploadId: string, n: number, body: ReadableStream<Uint8Array>, options: PartOptions): Promise<StoredPart> {
    let bytes: Uint8Array;
    try {
      assertValidKey(key);
      assertValidPart(n, options.size);
      if (options.size > MAX_BUFFERED_PART) throw new RangeError(`parts are at most ${MAX_BUFFERED_PART} bytes`);
      bytes = await readExact(body, options.size, options.signal);
    } catch (e) {
      await body.cancel(e).catch(() => {});
      throw e;
    }
    try {
      const res = await this.#client.send(
        new UploadPartCommand({ Bucket: this.#bucket, Key: this.#prefix + key, UploadId: uploadId, PartNumber: n, Body: bytes, ContentLength: bytes.byteLength }),
        { abortSignal: options.signal },
      );
      return { n, etag: unquote(res.ETag ?? ''), size: bytes.byteLength };
    } catch (e) {
      throw multipartError('put', e);
    }
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    assertValidKey(key);
    const out: StoredPart[] = [];
    let marker: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListPartsCommand({ Bucket: this.#bucket, Key: this.#prefix + key, UploadId: uploadId, PartNumberMarker: marker, MaxParts: 1000 }),
        );
      } catch (e) {
        throw multipartError('list', e);
      }
      for (const p of page.Parts ?? []) out.push({ n: p.PartNumber ?? 0, etag: unquote(p.ETag ?? ''), size: p.Size ?? 0 });
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker && out.length < MAX_PARTS);
    return out.sort((a, b) => a.n - b.n);
  }

  async completeMultipart(key: string, uploadId: string, parts: PartRef[]): Promise<StoredObject> {
    assertValidKey(key);
    assertValidPartList(parts);
    try {
      await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.n, ETag: `"${unquote(p.etag)}"` })) },
        }),
      );
    } catch (e) {
      throw multipartError('put', e);
    }
    const stored = await this.head(key);
    if (!stored) throw new FerryError('storage_unavailable', 'object storage completed an upload it then could not find');
    return stored;
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.#prefix + key, UploadId: uploadId }));
    } catch (e) {
      const err = multipartError('delete', e);
      if (err instanceof NoSuchUpload) return;
      throw err;
    }
  }

  async *listMultipart(prefix: string): AsyncIterable<PendingUpload> {
    if (prefix !== '') assertValidPrefix(prefix);
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix: this.#prefix + prefix, KeyMarker: keyMarker, UploadIdMarker: idMarker }),
        );
      } catch (e) {
        throw storageError('list', e);
      }
      for (const u of page.Uploads ?? []) {
        const key = (u.Key ?? '').slice(this.#prefix.length);
        if (!u.Key?.startsWith(this.#prefix) || !isStoreKey(key) || !u.UploadId) continue;
        yield { key, uploadId: u.UploadId, initiated: u.Initiated ?? new Date(0) };
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      idMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
  }

  /**
   * A URL for one UploadPart of part `n`, its Content-Length signed. The first URL of a key goes
   * through the SDK's getSignedUrl (endpoint rules, path or virtual-host style); the request it
   * signed is then kept as a template, and later parts of the same key are signed from it by the
   * same presigner without the command's middleware: about 2 ms a URL less, which is most of
   * what a session costs Ferry (test/api/uploads-cpu.test.ts). The query and headers signed are
   * the SDK's own, and test/api/uploads-presign.test.ts checks both kinds of URL.
   */
  async presignPart(key: string, uploadId: string, n: number, options: { expiresInSeconds: number; size: number }): Promise<string> {
    assertValidKey(key);
    assertValidPart(n, options.size);
    const signableHeaders = new Set(['content-length']);
    const template = this.#partTemplates.get(key);
    if (template) {
      const signed = await template.presigner.presign(
        {
          method: 'PUT',
          protocol: template.protocol,
          hostname: template.hostname,
          port: template.port,
          path: template.path,
          query: { 'x-id': 'UploadPart', partNumber: String(n), uploadId },
          headers: { host: template.host, 'content-length': String(options.size) },
        },
        { expiresIn: options.expiresInSeconds, signableHeaders },
      );
      return formatPresigned(template, signed.query ?? {});
    }
    // ContentLength is signed, so the URL takes exactly one part of exactly this size.
    const command = new UploadPartCommand({ Bucket: this.#bucket, Key: this.#prefix + key, UploadId: uploadId, PartNumber: n, ContentLength: options.size });
    const url = await getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds, signableHeaders });
    this.#rememberTemplate(key, url);
    return url;
  }

  #rememberTemplate(key: string, url: string): void {
    const u = new URL(url);
    const scope = /^[^/]+\/\d{8}\/([^/]+)\/s3\/aws4_request$/.exec(u.searchParams.get('X-Amz-Credential') ?? '');
    if (!scope || u.searchParams.get('X-Amz-SignedHeaders') !== 'content-length;host') return;
    // A few keys at a time are being uploaded; the oldest template goes first.
    if (this.#partTemplates.size >= 64) this.#partTemplates.delete(this.#partTemplates.keys().next().value!);
    this.#partTemplates.set(key, {
      presigner: this.#presignerFor(scope[1]!),
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port === '' ? undefined : Number(u.port),
      host: u.host,
      path: u.pathname,
    });
  }

  #presignerFor(region: string): S3RequestPresigner {
    let presigner = this.#presigners.get(region);
    if (!presigner) {
      presigner = new S3RequestPresigner({ ...this.#client.config, region });
      this.#presigners.set(region, presigner);
    }
    return presigner;
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    if (prefix !== '') assertValidPrefix(prefix);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix + prefix,
            MaxKeys: this.#listPageSize,
            ContinuationToken: token,
          }),
        );
      } catch (e) {
        throw storageError('list', e);
      }
      // Objects whose names are not Ferry keys (folder placeholders, foreign uploads) are skipped.
      const keys = (page.Contents ?? [])
        .map((o) => o.Key ?? '')
        .filter((k) => k.startsWith(this.#prefix))
        .map((k) => k.slice(this.#prefix.length))
        .filter(isStoreKey);
      // ListObjectsV2 carries no user metadata: one HeadObject per key, a few at a time.
      // An object deleted in between heads to null and is left out.
      for (const object of await mapBounded(keys, this.#listConcurrency, (k) => this.head(k))) {
        if (object) yield object;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}

/** Where the parts of one key are PUT, from the first URL the SDK signed for it. */
interface PartTemplate {
  presigner: S3RequestPresigner;
  protocol: string;
  hostname: string;
  port?: number;
  host: string;
  path: string;
}

function formatPresigned(t: PartTemplate, query: Record<string, string | string[] | null>): string {
  const pairs = Object.entries(query).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${rfc3986(k)}=${rfc3986(x ?? '')}`));
  return `${t.protocol}//${t.host}${t.path}?${pairs.join('&')}`;
}

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function plainMetadata(raw: Record<string, string> | undefined): Pick<StoredObject, 'expiresAt' | 'metadata'> {
  const { [EXPIRES_METADATA]: expires, ...metadata } = raw ?? {};
  // An object without a readable expiry was not written by put: treat it as long expired, so
  // that it is never served and the sweeper removes it.
  const time = expires === undefined ? NaN : Date.parse(expires);
  return { expiresAt: new Date(Number.isNaN(time) ? 0 : time), metadata };
}

/** `length` bytes of `body` after skipping `skip`; the rest is never read (upstream cancelled). */
function sliceBytes(body: ReadableStream<Uint8Array>, skip: number, length: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            controller.error(new FerryError('storage_unavailable', 'object storage ended the body early'));
            return;
          }
          let chunk = value;
          if (skip > 0) {
            const dropped = Math.min(skip, chunk.byteLength);
            skip -= dropped;
            chunk = chunk.subarray(dropped);
          }
          if (chunk.byteLength === 0) continue;
          if (chunk.byteLength >= length) {
            controller.enqueue(chunk.subarray(0, length));
            length = 0;
            controller.close();
            await reader.cancel().catch(() => {});
          } else {
            length -= chunk.byteLength;
            controller.enqueue(chunk);
          }
          return;
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Reads exactly `size` bytes of `body` into one buffer; RangeError for a body of another length. */
async function readExact(body: ReadableStream<Uint8Array>, size: number, signal?: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let got = 0;
  const reader = body.getReader();
  const onAbort = () => void reader.cancel(signal!.reason).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      if (got + value.byteLength > size) throw new RangeError(`part is longer than its ${size} bytes`);
      out.set(value, got);
      got += value.byteLength;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (got !== size) throw new RangeError(`part ended after ${got} of its ${size} bytes`);
  return out;
}

const unquote = (etag: string) => etag.replace(/^"|"$/g, '');

/** S3's answers for an upload that is gone, and for parts that are not as named. */
function multipartError(op: string, e: unknown): Error {
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'NoSuchUpload' || (httpStatus(e) === 404 && name !== 'NoSuchBucket')) return new NoSuchUpload();
  if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') return new InvalidParts(`object storage refused the parts (${String(name)})`);
  return storageError(op, e);
}

// ---- errors ----------------------------------------------------------------------------------

function httpStatus(e: unknown): number | undefined {
  const status = (e as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * 404 for the key itself. A missing bucket is a configuration fault, not an absent object (HEAD
 * answers carry no error code, so there the two cannot be told apart).
 */
function isAbsent(e: unknown): boolean {
  return httpStatus(e) === 404 && (e as { name?: unknown }).name !== 'NoSuchBucket';
}

/**
 * Everything else the SDK throws means the backend cannot serve us: no answer at all (refused,
 * reset, timed out: no HTTP status), 5xx, or a refusal such as 403 from a misconfiguration.
 */
function storageError(op: string, e: unknown): FerryError {
  const status = httpStatus(e);
  const name = e instanceof Error ? e.name : 'Error';
  const code = (e as { code?: unknown } | null)?.code;
  const detail = status === undefined ? (typeof code === 'string' ? code : name) : `${status} ${name}`;
  const err = new FerryError('storage_unavailable', `object storage ${op} failed (${detail})`);
  err.cause = e;
  return err;
}
