// The one storage contract. Ferry keeps opaque, already-encrypted objects here; everything a
// store sees in plain form (key, size, expiry, `metadata`) is non-personal by construction.
// Every store passes the same conformance suite (test/store/conformance.ts).

/** Inclusive byte range, like HTTP's `bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  /** When the object stops being served. Stored in plain object metadata. */
  expiresAt: Date;
  /** Non-personal plain metadata (kid, format version). Keys match /^[a-z0-9-]{1,32}$/, values ASCII ≤ 256 chars. */
  metadata?: Record<string, string>;
  /** Aborting rejects `put` and leaves nothing behind. */
  signal?: AbortSignal;
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
  /** `null` when absent. With a range, only those bytes are read; the range lies within the object. */
  get(key: string, range?: ByteRange): Promise<ObjectBody | null>;
  head(key: string): Promise<StoredObject | null>;
  /** Idempotent: deleting an absent key succeeds. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<StoredObject>;
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
