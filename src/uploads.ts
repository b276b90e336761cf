// Upload sessions (DESIGN.md "Upload sessions", docs/uploads.md): a client that knows a file's
// size encrypts it itself and writes it straight to the store in numbered parts; Ferry only
// issues the session and checks the result. This module holds the rules, HTTP lives in
// routes/uploads.ts:
// - the session's only state is its sealed token (sources/tokens.ts, purpose "upload"): the
//   object, the store's upload id, the geometry and a hash of the prefix, bound to its app and
//   expiring with the file, so no server keeps anything and any instance answers;
// - the object is exactly format v2, so downloads, ranges, expiry and deletion are unchanged;
// - the client gets this one file's data key and base nonce, never the master key, the file's
//   input key or its metadata key (docs/security.md);
// - completion is checked against the token (every part stored at its exact length, the prefix
//   byte-equal, the data's first and final chunks authentic) and a bad object is deleted.
import { FerryError } from './errors.js';
import { CHUNK_SIZE, ciphertextSize, PREFIX_SIZE as C2SP_PREFIX_SIZE } from './crypto/chunked.js';
import { decodeHandle, encodeHandle, fileIdHex, newFileRef, type FileRef } from './format.js';
import { FORMAT_V2, objectSizeV2, prepareUploadV2 } from './format-v2.js';
import { dataKey, isoSeconds, openFile, readFile, type FilesDeps, type StoredFile, type Tenant } from './files.js';
import { TokenError, base64url, type TokenSealer } from './sources/tokens.js';
import { InvalidParts, MAX_PARTS, NoSuchUpload, type PartRef, type StoredPart } from './store/object-store.js';
import { readSmall } from './streams.js';

/** S3's smallest part (every part but the last); R2 wants them equal too, which they are. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
/** The part size of files up to 10,000 × this; larger files get larger parts (MAX_PARTS). */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** How long a presigned part URL lives (never past the session). */
export const PART_URL_SECONDS = 15 * 60;
/** Part URLs one request may ask for: presigning costs CPU, and Workers Free allows 10 ms. */
export const MAX_PART_URLS = 100;

const MIB = 1024 * 1024;

/** What the sealed token holds (short names: it travels in every URL of the session). */
interface UploadPayload {
  /** The file's handle (id and secret): the token is sealed, so it never shows. */
  h: string;
  /** The store's upload id. */
  u: string;
  /** Plaintext size, object size, part size. */
  z: number;
  o: number;
  s: number;
  /** base64url SHA-256 of the prefix. */
  p: string;
}

/** A session, opened from its token. */
export interface UploadSession {
  token: string;
  ref: FileRef;
  handle: string;
  id: string;
  app: string;
  /** The object's store key. */
  key: string;
  uploadId: string;
  size: number;
  objectSize: number;
  partSize: number;
  partCount: number;
  prefixSize: number;
  prefixHash: string;
  /** Unix seconds: the file's expiry and the token's. */
  expiresAt: number;
}

export interface UploadsDeps extends FilesDeps {
  sealer: TokenSealer;
}

export interface CreateInput {
  filename: string;
  type: string;
  size: number;
  ttlSeconds: number;
  app: string;
}

export interface CreatedUpload {
  session: UploadSession;
  file: Omit<StoredFile, 'size'> & { size: number };
  prefix: Uint8Array;
  chunkKey: Uint8Array;
  baseNonce: Uint8Array;
}

// ---- geometry (pure) ------------------------------------------------------------------------

/** Equal parts of at least 8 MiB, in whole MiB, few enough for S3's 10,000. */
export function partSizeFor(objectSize: number): number {
  const least = Math.ceil(objectSize / MAX_PARTS);
  return Math.max(DEFAULT_PART_SIZE, Math.ceil(least / MIB) * MIB);
}

/** Parts of an object: at least one (an empty file is one short part). */
export function partCount(objectSize: number, partSize: number): number {
  return Math.max(1, Math.ceil(objectSize / partSize));
}

/** Part n's object bytes [start, end): every part but the last is exactly partSize. */
export function partRange(objectSize: number, partSize: number, n: number): { start: number; end: number } {
  const count = partCount(objectSize, partSize);
  if (!Number.isSafeInteger(n) || n < 1 || n > count) throw new RangeError(`no part ${n}`);
  const start = (n - 1) * partSize;
  return { start, end: Math.min(objectSize, start + partSize) };
}

// ---- sessions -------------------------------------------------------------------------------

/** Seals the metadata, starts the store's multipart object and seals the session. */
export async function createUpload(deps: UploadsDeps, tenant: Tenant, input: CreateInput): Promise<CreatedUpload> {
  const ref = newFileRef();
  const id = fileIdHex(ref);
  const created = new Date(Math.floor(deps.now().getTime() / 1000) * 1000);
  const expires = new Date(created.getTime() + input.ttlSeconds * 1000);
  const meta = { filename: input.filename, type: input.type, createdAt: isoSeconds(created), expiresAt: isoSeconds(expires), app: input.app };
  const prepared = await prepareUploadV2({ keyring: deps.keyring, ref, crypto: deps.crypto }, meta);
  const objectSize = objectSizeV2(prepared.prefix.length, input.size);
  const partSize = partSizeFor(objectSize);
  const key = dataKey(tenant, id);
  const uploadId = await deps.store.createMultipart(key, {
    expiresAt: expires,
    metadata: { kid: deps.keyring.current, format: String(FORMAT_V2) },
  });
  const handle = encodeHandle(ref);
  const payload: UploadPayload = { h: handle, u: uploadId, z: input.size, o: objectSize, s: partSize, p: await sha256(prepared.prefix) };
  let token: string;
  try {
    // The token ends with the file: the sealer counts the same ttl from the same second.
    token = await deps.sealer.seal('upload', input.app, payload, input.ttlSeconds);
  } catch (e) {
    await deps.store.abortMultipart(key, uploadId).catch(() => {});
    throw e;
  }
  const session = sessionOf(token, input.app, payload, Math.floor(expires.getTime() / 1000), tenant)!;
  return {
    session,
    file: { handle, id, ...meta, size: input.size },
    prefix: prepared.prefix,
    chunkKey: prepared.chunkKey,
    baseNonce: prepared.baseNonce,
  };
}

/** The session of a token of this app; a tampered, expired or foreign token is the same 404 as an unknown one. */
export async function openUpload(deps: UploadsDeps, tenant: Tenant, app: string, token: string): Promise<UploadSession> {
  let opened;
  try {
    opened = await deps.sealer.open<UploadPayload>('upload', app, token);
  } catch (e) {
    if (e instanceof TokenError) throw unknownUpload();
    throw e;
  }
  const session = sessionOf(token, opened.app, opened.payload, opened.expiresAt, tenant);
  if (!session) throw unknownUpload();
  return session;
}

function sessionOf(token: string, app: string, p: UploadPayload, expiresAt: number, tenant: Tenant): UploadSession | null {
  const whole = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (typeof p !== 'object' || p === null || typeof p.h !== 'string' || typeof p.u !== 'string' || typeof p.p !== 'string') return null;
  if (!whole(p.z) || !whole(p.o) || !whole(p.s) || p.s === 0) return null;
  const ref = decodeHandle(p.h);
  if (!ref) return null;
  const id = fileIdHex(ref);
  return {
    token,
    ref,
    handle: p.h,
    id,
    app,
    key: dataKey(tenant, id),
    uploadId: p.u,
    size: p.z,
    objectSize: p.o,
    partSize: p.s,
    partCount: partCount(p.o, p.s),
    prefixSize: p.o - (ciphertextSize(p.z) - C2SP_PREFIX_SIZE),
    prefixHash: p.p,
    expiresAt,
  };
}

/** Part n's exact length; 400 `invalid_part` for a number the session does not have. */
export function partLength(session: UploadSession, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > session.partCount) {
    throw new FerryError('invalid_part', `This upload has parts 1 to ${session.partCount}.`);
  }
  const { start, end } = partRange(session.objectSize, session.partSize, n);
  return end - start;
}

/** The parts stored so far; 404 once the upload is completed or aborted. */
export async function listUploadParts(deps: UploadsDeps, session: UploadSession): Promise<StoredPart[]> {
  try {
    return await deps.store.listParts(session.key, session.uploadId);
  } catch (e) {
    throw e instanceof NoSuchUpload ? unknownUpload() : e;
  }
}

/** Writes part n through Ferry (stores that cannot presign); the store checks its exact length. */
export async function putUploadPart(
  deps: UploadsDeps,
  session: UploadSession,
  n: number,
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): Promise<StoredPart> {
  let size: number;
  try {
    size = partLength(session, n);
  } catch (e) {
    await body.cancel().catch(() => {});
    throw e;
  }
  try {
    return await deps.store.putPart(session.key, session.uploadId, n, body, { size, signal });
  } catch (e) {
    if (e instanceof NoSuchUpload) throw unknownUpload();
    if (e instanceof RangeError) throw new FerryError('invalid_part', `Part ${n} must be exactly ${size} bytes.`);
    throw e;
  }
}

/** Aborts the store's upload: its parts are gone. Idempotent. */
export async function abortUpload(deps: UploadsDeps, session: UploadSession): Promise<void> {
  await deps.store.abortMultipart(session.key, session.uploadId);
}

/**
 * Joins the parts and checks the object against the session. The parts come from the store's
 * listing where it can list (the client's record otherwise); a part missing is 409
 * `upload_incomplete` and the session stays; an object that does not match is deleted, 422
 * `invalid_upload`. Completing a session that already completed answers its file again, so a
 * client whose answer was lost can ask once more.
 */
export async function completeUpload(deps: UploadsDeps, tenant: Tenant, session: UploadSession, record: PartRef[] | undefined): Promise<StoredFile> {
  let listed: StoredPart[] | undefined;
  try {
    listed = await deps.store.listParts(session.key, session.uploadId);
  } catch (e) {
    if (e instanceof NoSuchUpload) return completedBefore(deps, tenant, session);
    if (!record) throw e;
    listed = undefined;
  }
  const parts = listed ? partsFromListing(session, listed) : partsFromRecord(session, record!);
  if (parts === 'bad_size') return refuse(deps, session, 'A part is not the length the session gives it.');
  try {
    await deps.store.completeMultipart(session.key, session.uploadId, parts);
  } catch (e) {
    if (e instanceof NoSuchUpload) return completedBefore(deps, tenant, session);
    if (e instanceof InvalidParts) return refuse(deps, session, 'The stored parts are not the ones named.');
    throw e;
  }
  const file = await checkObject(deps, tenant, session);
  if (!file) return refuse(deps, session, 'The uploaded object is not this session\'s file.');
  return file;
}

function partsFromListing(session: UploadSession, listed: StoredPart[]): PartRef[] | 'bad_size' {
  const byNumber = new Map(listed.map((p) => [p.n, p]));
  const missing: number[] = [];
  const parts: PartRef[] = [];
  for (let n = 1; n <= session.partCount; n++) {
    const p = byNumber.get(n);
    if (!p) missing.push(n);
    else if (p.size !== partLength(session, n)) return 'bad_size';
    else parts.push({ n, etag: p.etag });
  }
  if (missing.length > 0) throw incomplete(missing);
  return parts;
}

function partsFromRecord(session: UploadSession, record: PartRef[]): PartRef[] {
  const byNumber = new Map(record.map((p) => [p.n, p]));
  const missing: number[] = [];
  for (let n = 1; n <= session.partCount; n++) if (!byNumber.has(n)) missing.push(n);
  if (missing.length > 0) throw incomplete(missing);
  return Array.from({ length: session.partCount }, (_, i) => byNumber.get(i + 1)!);
}

function incomplete(missing: number[]): FerryError {
  const named = missing.length > 10 ? `${missing.slice(0, 10).join(', ')} and ${missing.length - 10} more` : missing.join(', ');
  return new FerryError('upload_incomplete', `Parts ${named} are not stored yet.`);
}

/** A session whose store upload is gone: completed (its file answers again) or aborted (404). */
async function completedBefore(deps: UploadsDeps, tenant: Tenant, session: UploadSession): Promise<StoredFile> {
  const file = await checkObject(deps, tenant, session, false);
  if (!file) throw unknownUpload();
  return file;
}

/**
 * The object as the session promised it: its length, its prefix byte for byte (by hash), its
 * metadata and the data's first and final chunks authentic. null when it is not.
 */
async function checkObject(deps: UploadsDeps, tenant: Tenant, session: UploadSession, readChunks = true): Promise<StoredFile | null> {
  const head = await deps.store.head(session.key);
  if (!head || head.size !== session.objectSize) return null;
  const stored = await deps.store.get(session.key, { start: 0, end: session.prefixSize - 1 });
  if (!stored) return null;
  const prefix = await readSmall(stored.body, session.prefixSize);
  if (prefix.length !== session.prefixSize || (await sha256(prefix)) !== session.prefixHash) return null;
  let opened;
  try {
    opened = await openFile(deps, tenant, session.handle, session.app);
  } catch (e) {
    if (e instanceof FerryError && (e.code === 'not_found' || e.code === 'corrupt_object')) return null;
    throw e;
  }
  try {
    if (opened.meta.size !== session.size) return null;
    if (readChunks) {
      const size = session.size;
      const ranges = size <= 2 * CHUNK_SIZE ? [undefined] : [{ start: 0, end: CHUNK_SIZE - 1 }, { start: size - 1, end: size - 1 }];
      for (const range of ranges) {
        try {
          await drain(await readFile(deps, tenant, opened, range));
        } catch (e) {
          if (e instanceof FerryError && e.code === 'corrupt_object') return null;
          if (e instanceof Error && e.name === 'FormatError') return null;
          throw e;
        }
      }
    }
    const { size: _size, app: _app, ...meta } = opened.meta;
    return { handle: session.handle, id: session.id, ...meta, size: session.size };
  } finally {
    await opened.close();
  }
}

async function refuse(deps: UploadsDeps, session: UploadSession, why: string): Promise<never> {
  await deps.store.delete(session.key).catch(() => {});
  await deps.store.abortMultipart(session.key, session.uploadId).catch(() => {});
  throw new FerryError('invalid_upload', `${why} The upload was deleted; start a new one.`);
}

function unknownUpload(): FerryError {
  return new FerryError('not_found', 'No upload has this id.');
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  for (;;) if ((await reader.read()).done) return;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}
