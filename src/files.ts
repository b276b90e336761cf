// Stored files: the one place that turns a stream of plaintext into a store object and back.
// Routes handle HTTP; stores handle bytes; this module holds the rules in between:
// - a file is ONE object (format v2: sealed metadata in front of the data), written by one store
//   put, so the store's own atomic commit is the file's: a failed upload leaves nothing;
// - v1 files (data and sealed metadata as two objects, written before the upgrade) still read
//   until they expire; nothing writes them any more;
// - nothing personal is stored in the clear (names and types live in the sealed metadata);
// - an unknown handle, a handle with a wrong secret and a malformed handle all look the same,
//   in time too: an unknown id reads and fails to open the decoy (below) as a wrong secret
//   reads and fails to open the real object;
// - an expired file answers 410 once, and is deleted on the spot.
import { FerryError } from './errors.js';
import type { CryptoProvider } from './crypto/aead.js';
import type { Keyring } from './crypto/keyring.js';
import {
  FormatError,
  OBJECT_PREFIX_SIZE,
  decodeHandle,
  encodeHandle,
  fileIdHex,
  newFileRef,
  objectRangeFor,
  objectSize,
  openMetadata,
  openObject,
  plaintextSizeOf,
  type FileRef,
  type FormatParams,
  type ObjectDecryptor,
} from './format.js';
import {
  FORMAT_V2,
  LEAD_SIZE,
  MAX_PREFIX_SIZE,
  decodeLead,
  objectRangeV2,
  objectSizeV2,
  openObjectV2,
  plaintextSizeV2,
  prefixSizeV2,
  prepareObjectV2,
} from './format-v2.js';
import type { ByteRange, ObjectBody, ObjectStore, ReadRange } from './store/object-store.js';
import { StreamHead, coalesce, countedBody, primeStream, readPrefix, readSmall } from './streams.js';

export interface FilesDeps {
  store: ObjectStore;
  keyring: Keyring;
  crypto: CryptoProvider;
  now: () => Date;
}

/** Where a tenant's objects live; the apps issue gives each app its own prefix. */
export interface Tenant {
  name: string;
  /** "" or ending in "/". */
  prefix: string;
}

export interface StoredFile {
  handle: string;
  /** Hex file id: safe to log, names the objects. */
  id: string;
  filename: string;
  type: string;
  size: number;
  createdAt: string;
  expiresAt: string;
}

export interface UploadInput {
  body: ReadableStream<Uint8Array>;
  filename: string;
  type: string;
  ttlSeconds: number;
  maxBytes: number;
  /** The app the file belongs to; sealed into its metadata. */
  app: string;
  signal?: AbortSignal;
  /** The plaintext's length when declared up front (Content-Length): the store learns the object's. */
  size?: number;
}

/** What a file's sealed metadata says, with the size its ciphertext authenticates. */
export interface FileInfo {
  filename: string;
  type: string;
  size: number;
  createdAt: string;
  expiresAt: string;
  app: string;
}

/** v1 sealed metadata objects: a few hundred bytes; anything larger is not one. */
const V1_META_MAX_BYTES = 64 * 1024;
/**
 * Encrypted bytes reach the store in pieces of up to this size, gathered while it is busy
 * writing the previous one: one file write (or S3 buffer append) per 256 KiB rather than one
 * per network read, which on Node costs a thread-pool round trip each.
 */
const STORE_PIECE_BYTES = 256 * 1024;
/** The format version in each object's plain metadata (a string, as store metadata values are). */
const PLAIN_FORMAT_VERSION = String(FORMAT_V2);

/**
 * The tenant of an app: its objects live under `apps/<name>/`. Requests that named no app get a
 * tenant whose prefix no app's can equal, so nothing they could reach belongs to anyone.
 */
export function tenantFor(appName: string | undefined): Tenant {
  return appName === undefined ? { name: '', prefix: 'none/' } : { name: appName, prefix: `apps/${appName}/` };
}

/** The prefix that lists a tenant's data objects (one per file, named by its id). */
export function dataPrefix(tenant: Tenant): string {
  return `${tenant.prefix}data/`;
}

/** The file's object: for v2 the whole file, for v1 its data. */
export function dataKey(tenant: Tenant, id: string): string {
  return `${dataPrefix(tenant)}${id}`;
}

/** A v1 file's sealed metadata object (v2 has none). */
export function metaKey(tenant: Tenant, id: string): string {
  return `${tenant.prefix}meta/${id}`;
}

/** ISO 8601 to the second, as in the file JSON and the format's test vectors. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function notFound(): FerryError {
  return new FerryError('not_found', 'No file has this handle.');
}

function corrupt(): FerryError {
  return new FerryError('corrupt_object', 'The stored file is damaged and cannot be decrypted.');
}

function params(deps: FilesDeps, ref: FileRef): FormatParams {
  return { keyring: deps.keyring, ref, crypto: deps.crypto };
}

/** Encrypts the body into one v2 object: one store write, the store's commit the file's. */
export async function storeFile(deps: FilesDeps, tenant: Tenant, input: UploadInput): Promise<StoredFile> {
  const ref = newFileRef();
  const id = fileIdHex(ref);
  const created = new Date(Math.floor(deps.now().getTime() / 1000) * 1000);
  const expires = new Date(created.getTime() + input.ttlSeconds * 1000);
  const meta = { filename: input.filename, type: input.type, createdAt: isoSeconds(created), expiresAt: isoSeconds(expires), app: input.app };
  const counter = countedBody(input.body, input.maxBytes);
  let prepared;
  try {
    prepared = await prepareObjectV2(params(deps, ref), meta);
  } catch (e) {
    await counter.body.cancel(e).catch(() => {});
    throw e;
  }
  // A declared length fixes the object's, so a store can stream it in one request (R2: one
  // put, not a multipart upload; see docs/benchmarks.md for what that does to downloads).
  const size = input.size !== undefined && input.size <= input.maxBytes ? objectSizeV2(prepared.prefix.byteLength, input.size) : undefined;
  const options = { expiresAt: expires, metadata: { kid: deps.keyring.current, format: PLAIN_FORMAT_VERSION }, signal: input.signal, ...(size === undefined ? {} : { size }) };
  try {
    await deps.store.put(dataKey(tenant, id), coalesce(counter.body.pipeThrough(prepared.encrypt()), STORE_PIECE_BYTES), options);
  } catch (e) {
    const failure = counter.failure();
    if (failure?.code === 'file_too_large') await counter.drain();
    throw failure ?? e;
  }
  return { handle: encodeHandle(ref), id, ...meta, size: counter.counted() };
}

/**
 * An authenticated file, opened from its handle. For v2 it holds what the prefix read left: the
 * decryptor and, when opened for a whole read, the rest of that one store read, positioned at
 * the data's first chunk. `close` releases that read when the caller sends no body.
 */
export interface OpenedFile {
  ref: FileRef;
  id: string;
  version: 1 | 2;
  meta: FileInfo;
  /** v2: bytes before the data's first chunk. */
  prefixSize: number;
  decryptor?: ObjectDecryptor;
  rest?: ReadableStream<Uint8Array>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Read the whole object now (a download from byte 0): the prefix and the data come in one
   * store read. Otherwise only the prefix is read (HEAD, /meta, ranges, deletes).
   */
  whole?: boolean;
}

/**
 * Finds and authenticates a file. 404 for anything but the right handle of a file of this app;
 * 410 once expired; 500 `corrupt_object` for an object that is damaged where no secret is
 * needed to tell (its header or length), or whose data fails after its metadata opened. A miss
 * is a 404 however the decoy read beside it fares (see withDecoy).
 */
export async function openFile(deps: FilesDeps, tenant: Tenant, handle: string, app: string, options: OpenOptions = {}): Promise<OpenedFile> {
  const ref = decodeHandle(handle);
  if (!ref) throw notFound();
  const started = performance.now();
  try {
    return await openKnownShape(deps, tenant, ref, app, options);
  } catch (e) {
    // The decoy makes a miss do a hit's work; what is left of a difference (a larger object's
    // read-ahead and its cancel, a fraction of a millisecond) is hidden under a floor: every
    // "no such file" for a well-formed handle answers no sooner than NOT_FOUND_FLOOR_MS after
    // its lookup began, whichever way it failed, plus up to a millisecond of random dither:
    // timers fire on a millisecond grid, so without it a deadline just short of a tick and one
    // just past would end a whole millisecond apart, making microseconds of work visible.
    if (e instanceof FerryError && e.code === 'not_found') await waitUntil(started + NOT_FOUND_FLOOR_MS + Math.random());
    throw e;
  }
}

/** Answers to a well-formed handle's "not found" take at least this long (see openFile). */
export const NOT_FOUND_FLOOR_MS = 10;

/**
 * Resolves once `performance.now()` has reached `deadline`, never before. One `setTimeout` is
 * not enough: Node measures a timer from the event loop's clock as it was when this turn of the
 * loop began, in whole milliseconds, so a timer set after some work fires up to that work (and
 * a millisecond) early — and earlier the longer the work, which is the very difference a floor
 * must hide (measured: a wrong secret on a 200 KB file answered 0.2 ms after an unknown id).
 * Waiting again for what is left makes the end depend on the deadline alone.
 */
export async function waitUntil(deadline: number): Promise<void> {
  for (let left = deadline - performance.now(); left > 0; left = deadline - performance.now()) {
    await new Promise((r) => setTimeout(r, left));
  }
}

async function openKnownShape(deps: FilesDeps, tenant: Tenant, ref: FileRef, app: string, options: OpenOptions): Promise<OpenedFile> {
  const id = fileIdHex(ref);
  const key = dataKey(tenant, id);
  const range: ReadRange | undefined = options.whole ? undefined : { start: 0, end: MAX_PREFIX_SIZE - 1, clamp: true };
  const found = await withDecoy(deps, deps.store.get(key, range), range);
  if (!found) throw notFound();
  const { stored, decoy } = found;
  let file: OpenedFile;
  // One stage for the lead, the prefix and then the data, however many steps read the head.
  const head = new StreamHead(stored.body);
  try {
    const lead = await head.read(LEAD_SIZE);
    const version = decodeLead(lead)?.version;
    if (version === FORMAT_V2) file = await openV2(deps, ref, id, lead, head, stored.size, options.whole === true);
    else if (version === 1) {
      await head.cancel().catch(() => {});
      file = await openV1(deps, tenant, ref, id);
    } else throw corrupt();
  } catch (e) {
    await head.cancel().catch(() => {});
    if (decoy && !(e instanceof FerryError && e.code === 'not_found')) {
      // A damaged decoy (altered in the bucket, or half-written by a store whose writes are
      // not atomic) must not turn "no such file" into a 500: the miss is still a miss, and the
      // decoy is written again before answering.
      await writeDecoy(deps).catch(() => {});
      throw notFound();
    }
    throw e;
  }
  // The prefix already separates apps; the sealed name makes it hold even if objects were moved.
  if (file.meta.app !== app) {
    await file.close();
    throw notFound();
  }
  if (Date.parse(file.meta.expiresAt) <= deps.now().getTime()) {
    await file.close();
    await removeFile(deps, tenant, id);
    throw new FerryError('file_expired', 'This file has expired and has been deleted.');
  }
  return file;
}

/**
 * The decoy: one v2 object, sealed under a handle nobody keeps, outside every tenant's prefix
 * (no app lists it). A lookup of an unknown id reads it in place of the missing object and
 * fails to open it exactly as a wrong secret fails on a real one (the same store read, key
 * derivation and commitment check), so the two 404s take the same time and nothing tells
 * "this id exists" from "it does not" (docs/security.md). It is renewed before it expires
 * (the sweeper and the bucket's lifecycle rule delete it like any object).
 */
export const DECOY_KEY = 'ferry-decoy';
const DECOY_LIFETIME_S = 86_400;
const DECOY_RENEW_BEFORE_MS = 60 * 60_000;
/** Per store, the decoy being written: concurrent misses wait for one put. */
const decoyWrites = new WeakMap<ObjectStore, Promise<void>>();

/**
 * The object, read beside the decoy (in parallel, so a hit and a miss both take one read's
 * time); the decoy stands in for a missing object. The unused read is released without
 * waiting, so neither path pays for it.
 */
async function withDecoy(
  deps: FilesDeps,
  read: Promise<ObjectBody | null>,
  range: ReadRange | undefined,
): Promise<{ stored: ObjectBody; decoy: boolean } | null> {
  const [real, twin] = await Promise.allSettled([read, deps.store.get(DECOY_KEY, range)]);
  let decoy = twin.status === 'fulfilled' ? twin.value : null;
  if (real.status === 'rejected') {
    void decoy?.body.cancel().catch(() => {});
    throw real.reason;
  }
  if (!decoy || decoy.expiresAt.getTime() - deps.now().getTime() < DECOY_RENEW_BEFORE_MS) {
    // Missing or about to expire: (re)write it, and wait for the write (about once a day per
    // process; concurrent lookups share one put). Never left running in the background: a
    // Worker's request ends with its response, and work still running is cancelled, which
    // can leave a store that is not atomic holding half a decoy.
    await writeDecoy(deps).catch(() => {});
    if (!decoy && !real.value) decoy = await deps.store.get(DECOY_KEY, range).catch(() => null);
  }
  if (real.value) {
    void decoy?.body.cancel().catch(() => {});
    return { stored: real.value, decoy: false };
  }
  return decoy && { stored: decoy, decoy: true };
}

function writeDecoy(deps: FilesDeps): Promise<void> {
  const pending = decoyWrites.get(deps.store);
  if (pending) return pending;
  const write = (async () => {
    const created = new Date(Math.floor(deps.now().getTime() / 1000) * 1000);
    const expires = new Date(created.getTime() + DECOY_LIFETIME_S * 1000);
    // Shaped like a real file's prefix; its app is a name no app can have.
    const meta = { filename: 'decoy.bin', type: 'application/octet-stream', createdAt: isoSeconds(created), expiresAt: isoSeconds(expires), app: '' };
    const prepared = await prepareObjectV2(params(deps, newFileRef()), meta);
    // No data: reading it beside every file access costs a few hundred bytes, not a chunk.
    const empty = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    await deps.store.put(DECOY_KEY, empty.pipeThrough(prepared.encrypt()), {
      expiresAt: expires,
      metadata: { kid: deps.keyring.current, format: PLAIN_FORMAT_VERSION },
    });
  })().finally(() => decoyWrites.delete(deps.store));
  decoyWrites.set(deps.store, write);
  return write;
}

async function openV2(
  deps: FilesDeps,
  ref: FileRef,
  id: string,
  lead: Uint8Array,
  head: StreamHead,
  objectBytes: number,
  whole: boolean,
): Promise<OpenedFile> {
  let prefixSize: number;
  try {
    prefixSize = prefixSizeV2(lead);
  } catch {
    throw corrupt();
  }
  if (objectBytes < prefixSize) throw corrupt();
  const more = await head.read(prefixSize - LEAD_SIZE);
  const prefix = new Uint8Array(prefixSize);
  prefix.set(lead, 0);
  prefix.set(more, LEAD_SIZE);
  let remaining: ReadableStream<Uint8Array> | undefined = head.rest();
  try {
    if (more.length !== prefixSize - LEAD_SIZE) throw corrupt();
    let opened;
    try {
      opened = await openObjectV2(params(deps, ref), prefix);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      // The metadata proves the handle: until it opens, damage and a wrong secret look alike
      // (404), and so does a kid whose key was destroyed. A header that is not Ferry's needs no
      // secret to tell: that is damage.
      throw e.reason === 'header' ? corrupt() : notFound();
    }
    let decryptor;
    try {
      decryptor = await opened.openData();
    } catch (e) {
      // The metadata opened, so the handle is right: a data prefix that fails is damage.
      if (e instanceof FormatError) throw corrupt();
      throw e;
    }
    const size = plaintextSizeV2(prefixSize, objectBytes);
    if (size === null) throw corrupt();
    if (!whole) {
      await remaining.cancel().catch(() => {});
      remaining = undefined;
    }
    const file: OpenedFile = {
      ref,
      id,
      version: 2,
      meta: { ...opened.meta, size },
      prefixSize,
      decryptor,
      rest: remaining,
      close: async () => {
        const unread = file.rest;
        file.rest = undefined;
        await unread?.cancel().catch(() => {});
      },
    };
    return file;
  } catch (e) {
    await remaining?.cancel().catch(() => {});
    throw e;
  }
}

async function openV1(deps: FilesDeps, tenant: Tenant, ref: FileRef, id: string): Promise<OpenedFile> {
  const stored = await deps.store.get(metaKey(tenant, id));
  if (!stored) throw notFound();
  let meta;
  try {
    meta = await openMetadata(params(deps, ref), await readSmall(stored.body, V1_META_MAX_BYTES));
  } catch (e) {
    // A wrong secret fails the commitment: indistinguishable, on purpose, from no file at all.
    if (e instanceof FormatError) throw notFound();
    throw e;
  }
  const info: FileInfo = {
    filename: meta.filename,
    type: meta.type,
    size: meta.size,
    createdAt: meta.createdAt,
    expiresAt: meta.expiresAt,
    app: typeof meta.app === 'string' ? meta.app : '',
  };
  return { ref, id, version: 1, meta: info, prefixSize: OBJECT_PREFIX_SIZE, close: async () => {} };
}

/**
 * The plaintext of an opened file (or of one inclusive range of it). The header and commitment
 * are checked, and the first chunk decrypted, before this returns: damage there is an error
 * status, not a broken download. Damage further on errors the stream, and no byte of a chunk
 * that failed authentication is ever released.
 */
export async function readFile(deps: FilesDeps, tenant: Tenant, file: OpenedFile, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
  const size = file.meta.size;
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  let plaintext: ReadableStream<Uint8Array>;
  if (file.version === 2) {
    const decrypt = file.decryptor!.decrypt({ plaintextSize: size, start, end });
    if (file.rest && start === 0 && end === size - 1) {
      plaintext = file.rest.pipeThrough(decrypt);
      file.rest = undefined;
    } else {
      await file.close();
      const body = await getRange(deps.store, dataKey(tenant, file.id), objectRangeV2(file.prefixSize, size, start, end));
      plaintext = body.pipeThrough(decrypt);
    }
  } else {
    plaintext = await readV1(deps, tenant, file, start, end);
  }
  try {
    return await primeStream(plaintext);
  } catch (e) {
    if (e instanceof FormatError) throw corrupt();
    throw e;
  }
}

async function readV1(deps: FilesDeps, tenant: Tenant, file: OpenedFile, start: number, end: number): Promise<ReadableStream<Uint8Array>> {
  const size = file.meta.size;
  const key = dataKey(tenant, file.id);
  const span = objectRangeFor(size, start, end);
  // Reads that begin at the first chunk fetch the prefix and the chunks in one store read;
  // other ranges fetch the 72-byte prefix alone first, then only their own chunks.
  const together = span.start === OBJECT_PREFIX_SIZE;
  const head = await deps.store.get(key, { start: 0, end: together ? span.end : OBJECT_PREFIX_SIZE - 1, clamp: true });
  if (!head) throw notFound();
  if (head.size !== objectSize(size)) {
    await head.body.cancel();
    throw corrupt();
  }
  const { prefix, rest } = await readPrefix(head.body, OBJECT_PREFIX_SIZE);
  let decryptor;
  try {
    decryptor = await openObject(params(deps, file.ref), prefix);
  } catch (e) {
    await rest.cancel().catch(() => {});
    if (e instanceof FormatError) throw corrupt();
    throw e;
  }
  let chunks = rest;
  if (!together) {
    await readSmall(rest, 0);
    chunks = await getRange(deps.store, key, span);
  }
  return chunks.pipeThrough(decryptor.decrypt({ plaintextSize: size, start, end }));
}

/** Stores throw RangeError for a range past the object's end: a truncated object. */
async function getRange(store: ObjectStore, key: string, range: ByteRange): Promise<ReadableStream<Uint8Array>> {
  let got;
  try {
    got = await store.get(key, range);
  } catch (e) {
    if (e instanceof RangeError) throw corrupt();
    throw e;
  }
  if (!got) throw notFound();
  return got.body;
}

export async function deleteFile(deps: FilesDeps, tenant: Tenant, file: { id: string }): Promise<void> {
  await removeFile(deps, tenant, file.id);
}

/**
 * The file's object first: once it is gone the file is gone (a v1 file cannot open without its
 * data either), even if removing a v1 metadata object then fails.
 */
export async function removeFile(deps: FilesDeps, tenant: Tenant, id: string): Promise<void> {
  await deps.store.delete(dataKey(tenant, id));
  await deps.store.delete(metaKey(tenant, id));
}

/**
 * The plaintext size of a stored file object without its handle (for the app's own listing):
 * v1 from the length alone, v2 from the length and its 20-byte lead (one small read).
 */
export async function storedFileSize(store: ObjectStore, key: string, object: { size: number; metadata: Record<string, string> }): Promise<number | null> {
  if (object.metadata.format !== PLAIN_FORMAT_VERSION) {
    return plaintextSizeOf(object.size);
  }
  const got = await store.get(key, { start: 0, end: LEAD_SIZE - 1, clamp: true });
  if (!got) return null;
  const lead = await readSmall(got.body, LEAD_SIZE);
  try {
    return plaintextSizeV2(prefixSizeV2(lead), got.size);
  } catch {
    return null;
  }
}
