// The one storage contract. Ferry keeps opaque, already-encrypted objects here; everything a
// store sees in plain form (key, size, expiry, `metadata`) is non-personal by construction.
// Every store passes the same conformance suite (test/store/conformance.ts).

/** Inclusive byte range, like HTTP's `bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * A range to read. With `clamp`, an `end` past the object's last byte reads to the end, as HTTP
 * does (a reader that does not know an object's length yet, reading its bounded prefix); `start`
 * must still lie within the object (0 is always allowed).
 */
export interface ReadRange extends ByteRange {
  clamp?: boolean;
}

export interface PutOptions {
  /** When the object stops being served. Stored in plain object metadata. */
  expiresAt: Date;
  /** Non-personal plain metadata (kid, format version). Keys match /^[a-z0-9-]{1,32}$/, values ASCII ≤ 256 chars. */
  metadata?: Record<string, string>;
  /** Aborting rejects `put` and leaves nothing behind. */
  signal?: AbortSignal;
  /**
   * The body's exact length in bytes, when it is known before the body is read (a declared
   * Content-Length). A store may then send it in one streamed request instead of gathering parts
   * (R2Store does; the others ignore it); one that does fails the put on a body of another
   * length and stores nothing.
   */
  size?: number;
}

export interface StoredObject {
  key: string;
  size: number;
  expiresAt: Date;
  metadata: Record<string, string>;
}

export interface ObjectBody extends StoredObject {
  /** The whole object, or only the requested range. */
  body: ReadableStream<Uint8Array>;
}

export interface ObjectStore {
  /**
   * Streams `body` into the store under `key`. The object becomes visible only once the whole
   * body has been written: if the body errors or the signal aborts, `put` rejects and neither a
   * partial object nor any temporary data (temp file, multipart upload) is left behind.
   * Memory use is bounded by a constant, whatever the body's length.
   */
  put(key: string, body: ReadableStream<Uint8Array>, options: PutOptions): Promise<StoredObject>;
  /**
   * `null` when absent. With a range, only those bytes are read; the range lies within the object
   * (RangeError otherwise), unless `clamp` lets its end run past the last byte.
   */
  get(key: string, range?: ReadRange): Promise<ObjectBody | null>;
  head(key: string): Promise<StoredObject | null>;
  /** Idempotent: deleting an absent key succeeds. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<StoredObject>;

  // ---- objects written in parts (upload sessions, tus) --------------------------------------
  // An object written in numbered parts, each stored on its own, in any order, retried at will;
  // nothing is visible under `key` until `completeMultipart` joins the parts, atomically. An
  // upload that is never completed is removed by `abortMultipart`, by the sweeper once it has
  // expired (`listMultipart`), and on S3 by the bucket's lifecycle rule as a last resort.

  /** Starts a multipart object; returns its upload id. `expiresAt` and `metadata` are the object's. */
  createMultipart(key: string, options: PutOptions): Promise<string>;
  /**
   * Stores part `n` (1 to 10,000) of exactly `size` bytes, replacing any earlier part `n`. A
   * body that ends early, runs long or errors stores nothing for `n` (an earlier part `n`
   * stays). Rejects with NoSuchUpload once the upload is completed or aborted.
   */
  putPart(key: string, uploadId: string, n: number, body: ReadableStream<Uint8Array>, options: PartOptions): Promise<StoredPart>;
  /** The parts stored so far, in part order; NoSuchUpload when there is no such upload. */
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
  /**
   * Joins the named parts, in this (ascending) order, into the object under `key`, which then
   * becomes visible at once; the upload is gone. Rejects with InvalidParts when a part is missing
   * or its etag differs (the upload stays, to be completed correctly or aborted), NoSuchUpload
   * when there is no such upload.
   */
  completeMultipart(key: string, uploadId: string, parts: PartRef[]): Promise<StoredObject>;
  /** Removes the upload and its parts. Idempotent: an unknown or finished upload succeeds. */
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /** Uploads in progress under `prefix`, for the sweeper (which aborts the expired ones). */
  listMultipart(prefix: string): AsyncIterable<PendingUpload>;
  /**
   * Where a store's backend can take a part straight from a client (S3, R2 through its S3 API):
   * a URL that allows exactly one `PUT` of part `n` of this upload, valid `expiresInSeconds`.
   * Absent where it cannot (the filesystem): the client then sends parts through Ferry.
   */
  presignPart?(key: string, uploadId: string, n: number, options: { expiresInSeconds: number; size: number }): Promise<string>;
  /**
   * Where a store keeps scratch data of its own outside objects and uploads (the filesystem's
   * temp files): removes what a crashed process left, as of `now`; returns how many. The
   * sweeper calls it on every sweep, so a crash's leftovers do not wait for a restart.
   */
  sweepLeftovers?(now: Date): Promise<number>;
}

export interface PartOptions {
  /** The part's exact length: more or fewer bytes fail the put. */
  size: number;
  signal?: AbortSignal;
}

export interface PartRef {
  n: number;
  etag: string;
}

export interface StoredPart extends PartRef {
  size: number;
}

export interface PendingUpload {
  key: string;
  uploadId: string;
  /** When the upload was started (S3 says when; stores that keep an expiry report it here too). */
  initiated: Date;
  /** The object's expiry where the store knows it. */
  expiresAt?: Date;
}

/** The highest part number S3 allows. */
export const MAX_PARTS = 10_000;

/** The upload was completed, aborted, or never existed. */
export class NoSuchUpload extends Error {
  constructor(message = 'no such multipart upload') {
    super(message);
    this.name = 'NoSuchUpload';
  }
}

/** `completeMultipart` was named a part that is not stored as named. */
export class InvalidParts extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidParts';
  }
}

/** Checks a part number and a part list the same way in every store. */
export function assertValidPart(n: number, size?: number): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PARTS) throw new RangeError(`part number out of range: ${n}`);
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw new RangeError(`invalid part size: ${size}`);
}

export function assertValidPartList(parts: PartRef[]): void {
  if (!Array.isArray(parts) || parts.length === 0) throw new InvalidParts('no parts named');
  let last = 0;
  for (const p of parts) {
    assertValidPart(p.n);
    if (p.n <= last) throw new InvalidParts('parts must be named in ascending order, each once');
    if (typeof p.etag !== 'string' || p.etag.length === 0) throw new InvalidParts(`part ${p.n} has no etag`);
    last = p.n;
  }
}

/**
 * Keys are `[A-Za-z0-9/._-]`, no leading slash, no `..` segment, at most 512 characters.
 * Stores call this so that a bug upstream can never become a path traversal.
 */
export function assertValidKey(key: string): void {
  if (
    key.length === 0 ||
    key.length > 512 ||
    !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) ||
    key.split('/').some((s) => s === '.' || s === '..')
  ) {
    throw new TypeError(`invalid object key: ${JSON.stringify(key)}`);
  }
}

/** A prefix is any leading part of a valid key. */
export function assertValidPrefix(prefix: string): void {
  if (!isStoreKey(prefix + 'x') && !isStoreKey(prefix.replace(/\/$/, ''))) {
    throw new TypeError(`invalid key prefix: ${JSON.stringify(prefix)}`);
  }
}

/** True for a string that is a valid key (see assertValidKey). */
export function isStoreKey(key: string): boolean {
  try {
    assertValidKey(key);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a `get` range the same way in every store: whole numbers, start ≤ end. A range past
 * the object's end is the store's to refuse (RangeError), once it knows the size.
 */
export function assertRangeShape(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError('invalid byte range');
  }
}

/** Reserved plain metadata name that stores use for the expiry time. */
export const EXPIRES_METADATA = 'ferry-expires';

/**
 * Checks `put` options the same way in every store: a valid expiry, and metadata that follows
 * the contract (keys /^[a-z0-9-]{1,32}$/, printable ASCII values with no surrounding blanks, so
 * they survive an HTTP header round trip), at most 1 KiB in all (S3 allows 2 KiB of user
 * metadata), never the reserved expiry name.
 */
export function assertValidPutOptions(options: PutOptions): void {
  if (!(options.expiresAt instanceof Date) || Number.isNaN(options.expiresAt.getTime())) {
    throw new TypeError('expiresAt must be a valid Date');
  }
  let total = 0;
  for (const [k, v] of Object.entries(options.metadata ?? {})) {
    if (!/^[a-z0-9-]{1,32}$/.test(k) || k === EXPIRES_METADATA) throw new TypeError(`invalid metadata key: ${JSON.stringify(k)}`);
    if (typeof v !== 'string' || !/^(?:[\x21-\x7e](?:[\x20-\x7e]{0,254}[\x21-\x7e])?)?$/.test(v)) {
      throw new TypeError(`invalid metadata value for ${k}`);
    }
    total += k.length + v.length;
  }
  if (total > 1024) throw new TypeError('metadata larger than 1 KiB');
  if (options.size !== undefined && !(Number.isSafeInteger(options.size) && options.size >= 0)) {
    throw new TypeError('size must be a non-negative safe integer');
  }
}

/**
 * The opening every `put` shares: takes the body's reader and checks key and options. On a
 * bad input (or an already aborted signal) the body is cancelled and the error thrown, so a
 * refused put never leaves the caller's stream hanging.
 */
export function openPutBody(key: string, body: ReadableStream<Uint8Array>, options: PutOptions): ReadableStreamDefaultReader<Uint8Array> {
  const reader = body.getReader();
  try {
    assertValidKey(key);
    assertValidPutOptions(options);
    options.signal?.throwIfAborted();
  } catch (e) {
    reader.cancel(e).catch(() => {});
    throw e;
  }
  return reader;
}
