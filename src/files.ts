// Stored files: the one place that turns a stream of plaintext into two store objects (the
// encrypted data and its sealed metadata) and back. Routes handle HTTP; stores handle bytes;
// this module holds the rules in between:
// - the data object is written first and the sealed metadata last, so the metadata object is
//   the commit point: a file exists once its metadata does, and a failed upload deletes any
//   data it wrote;
// - nothing personal is stored in the clear (names and types live in the sealed metadata);
// - an unknown handle, a handle with a wrong secret and a malformed handle all look the same;
// - an expired file answers 410 once, and is deleted on the spot.
import { FerryError } from './errors.js';
import type { CryptoProvider } from './crypto/aead.js';
import type { Keyring } from './crypto/keyring.js';
import {
  FORMAT_VERSION,
  FormatError,
  OBJECT_PREFIX_SIZE,
  decodeHandle,
  encodeHandle,
  encryptObject,
  fileIdHex,
  newFileRef,
  objectRangeFor,
  objectSize,
  openMetadata,
  openObject,
  sealMetadata,
  type FileMeta,
  type FileRef,
  type FormatParams,
} from './format.js';
import type { ByteRange, ObjectStore } from './store/object-store.js';
import { coalesce, countedBody, primeStream, readPrefix, readSmall, streamOf } from './streams.js';

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
}

const META_MAX_BYTES = 64 * 1024;
/**
 * Encrypted bytes reach the store in pieces of up to this size, gathered while it is busy
 * writing the previous one: one file write (or S3 buffer append) per 256 KiB rather than one
 * per network read, which on Node costs a thread-pool round trip each.
 */
const STORE_PIECE_BYTES = 256 * 1024;
/** The format version in each object's plain metadata (a string, as store metadata values are). */
const PLAIN_FORMAT_VERSION = String(FORMAT_VERSION);

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

export function dataKey(tenant: Tenant, id: string): string {
  return `${dataPrefix(tenant)}${id}`;
}

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

export async function storeFile(deps: FilesDeps, tenant: Tenant, input: UploadInput): Promise<StoredFile> {
  const ref = newFileRef();
  const id = fileIdHex(ref);
  const created = new Date(Math.floor(deps.now().getTime() / 1000) * 1000);
  const expires = new Date(created.getTime() + input.ttlSeconds * 1000);
  const params: FormatParams = { keyring: deps.keyring, ref, crypto: deps.crypto };
  const plain = { kid: deps.keyring.current, format: PLAIN_FORMAT_VERSION };
  const counter = countedBody(input.body, input.maxBytes);
  const options = { expiresAt: expires, metadata: plain, signal: input.signal };

  let wroteData = false;
  try {
    await deps.store.put(dataKey(tenant, id), coalesce(counter.body.pipeThrough(encryptObject(params)), STORE_PIECE_BYTES), options);
    wroteData = true;
    const meta: FileMeta = {
      filename: input.filename,
      type: input.type,
      size: counter.counted(),
      createdAt: isoSeconds(created),
      expiresAt: isoSeconds(expires),
      app: input.app,
    };
    await deps.store.put(metaKey(tenant, id), streamOf(await sealMetadata(params, meta)), options);
    return { handle: encodeHandle(ref), id, filename: meta.filename, type: meta.type, size: meta.size, createdAt: meta.createdAt, expiresAt: meta.expiresAt };
  } catch (e) {
    if (wroteData) await deps.store.delete(dataKey(tenant, id)).catch(() => {});
    const failure = counter.failure();
    if (failure?.code === 'file_too_large') await counter.drain();
    throw failure ?? e;
  }
}

export interface OpenedFile {
  ref: FileRef;
  id: string;
  meta: FileMeta;
}

/**
 * Finds and authenticates a file's metadata. 404 for anything but the right handle of a file
 * of this app; 410 once expired.
 */
export async function openFile(deps: FilesDeps, tenant: Tenant, handle: string, app: string): Promise<OpenedFile> {
  const ref = decodeHandle(handle);
  if (!ref) throw notFound();
  const id = fileIdHex(ref);
  const stored = await deps.store.get(metaKey(tenant, id));
  if (!stored) throw notFound();
  let meta: FileMeta;
  try {
    meta = await openMetadata({ keyring: deps.keyring, ref, crypto: deps.crypto }, await readSmall(stored.body, META_MAX_BYTES));
  } catch (e) {
    // A wrong secret fails the commitment: indistinguishable, on purpose, from no file at all.
    if (e instanceof FormatError) throw notFound();
    throw e;
  }
  // The prefix already separates apps; the sealed name makes it hold even if objects were moved.
  if (meta.app !== app) throw notFound();
  if (Date.parse(meta.expiresAt) <= deps.now().getTime()) {
    await removeObjects(deps, tenant, id);
    throw new FerryError('file_expired', 'This file has expired and has been deleted.');
  }
  return { ref, id, meta };
}

/**
 * The plaintext of an opened file (or of one inclusive range of it). The header and commitment
 * are checked, and the first chunk decrypted, before this returns: damage there is an error
 * status, not a broken download. Damage further on errors the stream, and no byte of a chunk
 * that failed authentication is ever released.
 */
export async function readFile(
  deps: FilesDeps,
  tenant: Tenant,
  file: OpenedFile,
  range?: ByteRange,
): Promise<ReadableStream<Uint8Array>> {
  const size = file.meta.size;
  const key = dataKey(tenant, file.id);
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const span = objectRangeFor(size, start, end);
  // Reads that begin at the first chunk (whole files, ranges near the start) fetch the prefix and
  // the chunks in one store read, one S3 GET instead of two; other ranges fetch the 72-byte
  // prefix alone first, then only their own chunks.
  const together = span.start === OBJECT_PREFIX_SIZE;
  const head = await getRange(deps.store, key, { start: 0, end: together ? span.end : OBJECT_PREFIX_SIZE - 1 });
  if (!head) throw notFound();
  if (head.size !== objectSize(size)) {
    await head.body.cancel();
    throw corrupt();
  }
  const params: FormatParams = { keyring: deps.keyring, ref: file.ref, crypto: deps.crypto };
  const { prefix, rest } = await readPrefix(head.body, OBJECT_PREFIX_SIZE);
  let decryptor;
  try {
    decryptor = await openObject(params, prefix);
  } catch (e) {
    await rest.cancel().catch(() => {});
    if (e instanceof FormatError) throw corrupt();
    throw e;
  }
  let chunks = rest;
  if (!together) {
    await readSmall(rest, 0);
    const body = await getRange(deps.store, key, span);
    if (!body) throw notFound();
    chunks = body.body;
  }
  const plaintext = chunks.pipeThrough(decryptor.decrypt({ plaintextSize: size, start, end }));
  try {
    return await primeStream(plaintext);
  } catch (e) {
    if (e instanceof FormatError) throw corrupt();
    throw e;
  }
}

/** Stores throw RangeError for a range past the object's end: a truncated object. */
async function getRange(store: ObjectStore, key: string, range: ByteRange) {
  try {
    return await store.get(key, range);
  } catch (e) {
    if (e instanceof RangeError) throw corrupt();
    throw e;
  }
}

function corrupt(): FerryError {
  return new FerryError('corrupt_object', 'The stored file is damaged and cannot be decrypted.');
}

export async function deleteFile(deps: FilesDeps, tenant: Tenant, file: { id: string }): Promise<void> {
  await removeObjects(deps, tenant, file.id);
}

/** Metadata first: once it is gone the file is gone, even if deleting the data fails. */
export async function removeObjects(deps: FilesDeps, tenant: Tenant, id: string): Promise<void> {
  await deps.store.delete(metaKey(tenant, id));
  await deps.store.delete(dataKey(tenant, id));
}
