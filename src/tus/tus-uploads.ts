// tus uploads as stored files: the rules between the tus routes and the store (layout.ts says
// where the bytes lie). Each request starts from what the store holds (the finished object, the
// upload's parts, the tail), never from server memory, so any instance of Ferry, on Node or in a
// Worker, can take any request of an upload:
// - creation seals the metadata (as format v2) and starts the store's multipart object;
// - a PATCH seals its plaintext from the durable chunk on, fills parts of exactly `partSize`
//   (one filling while up to three earlier ones are stored), and leaves the whole chunks
//   past the last part in the tail object, so the offset it answers is durable;
// - the request that brings the last byte joins the parts: the store's atomic complete is the
//   file's commit point, as for every other upload.
// No disk: parts are staged in memory (at most four per upload, 5 MiB each at the smallest size).
import { FerryError } from '../errors.js';
import { dataKey, isoSeconds, removeFile, type FilesDeps, type StoredFile, type Tenant } from '../files.js';
import { encodeHandle, fileIdHex, newFileRef } from '../format.js';
import { FORMAT_V2, objectSizeV2, prepareObjectV2, type FileMetaV2, type PreparedObject } from '../format-v2.js';
import type { Keyring } from '../crypto/keyring.js';
import { SEALED_CHUNK_SIZE } from '../crypto/chunked.js';
import { SALT_SIZE } from '../crypto/message-key.js';
import { NoSuchUpload, type PartRef, type StoredPart } from '../store/object-store.js';
import { streamOf } from '../streams.js';
import type { TokenSealer } from '../sources/tokens.js';
import { chunkStart, durableFrom, partCount, partSizeFor, type Durable } from './layout.js';
import { sealFrom } from './seal-from.js';
import { sealTusUpload, type TusUpload } from './tus-token.js';

export interface TusDeps {
  files: FilesDeps;
  sealer: TokenSealer;
}

export interface TusCreateInput {
  filename: string;
  type: string;
  length: number;
  ttlSeconds: number;
  app: string;
}

/**
 * Parts stored at once by one PATCH: the store's round trips overlap the next part's encryption.
 * Memory per upload: this many part buffers plus the one filling (4 × 5 MiB at the smallest size).
 */
const PARTS_IN_FLIGHT = 3;

/** Marks the tail object in its plain metadata: which part it is the start of. */
const TAIL_PART = 'tus-part';

/** Where the whole chunks past the last stored part wait for the next PATCH. */
export function tailKey(tenant: Tenant, id: string): string {
  return `${tenant.prefix}tus/${id}`;
}

function notFound(): FerryError {
  return new FerryError('not_found', 'No upload has this id.');
}

/** A keyring whose current kid is the upload's, so a key rotation mid-upload changes nothing. */
function ringAt(keyring: Keyring, kid: string): Keyring {
  return { current: kid, kids: keyring.kids, key: (k) => keyring.key(k) };
}

async function prepare(deps: TusDeps, upload: TusUpload): Promise<PreparedObject> {
  if (!deps.files.keyring.key(upload.kid)) throw notFound();
  return prepareObjectV2({ keyring: ringAt(deps.files.keyring, upload.kid), ref: upload.ref, crypto: deps.files.crypto }, upload.meta, {
    metaSalt: upload.metaSalt,
    dataSalt: upload.dataSalt,
  });
}

export interface CreatedTus {
  token: string;
  upload: TusUpload;
  file: StoredFile;
}

/** Seals the metadata and starts the multipart object; an empty upload is stored whole at once. */
export async function createTusUpload(deps: TusDeps, tenant: Tenant, input: TusCreateInput): Promise<CreatedTus> {
  const { store, keyring } = deps.files;
  const ref = newFileRef();
  const id = fileIdHex(ref);
  const created = new Date(Math.floor(deps.files.now().getTime() / 1000) * 1000);
  const expires = new Date(created.getTime() + input.ttlSeconds * 1000);
  const meta: FileMetaV2 = { filename: input.filename, type: input.type, createdAt: isoSeconds(created), expiresAt: isoSeconds(expires), app: input.app };
  const upload: TusUpload = {
    ref,
    uploadId: '',
    length: input.length,
    meta,
    kid: keyring.current,
    metaSalt: crypto.getRandomValues(new Uint8Array(SALT_SIZE)),
    dataSalt: crypto.getRandomValues(new Uint8Array(SALT_SIZE)),
    partSize: 0,
  };
  const prepared = await prepare(deps, upload);
  upload.partSize = partSizeFor(objectSizeV2(prepared.prefix.length, input.length));
  const options = { expiresAt: expires, metadata: { kid: upload.kid, format: String(FORMAT_V2) } };
  if (input.length === 0) {
    const empty = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    await store.put(dataKey(tenant, id), empty.pipeThrough(prepared.encrypt()), options);
  } else {
    upload.uploadId = await store.createMultipart(dataKey(tenant, id), options);
  }
  const ttl = Math.max(1, Math.ceil((expires.getTime() - deps.files.now().getTime()) / 1000));
  const token = await sealTusUpload(deps.sealer, upload, ttl);
  return { token, upload, file: { handle: encodeHandle(ref), id, ...meta, size: input.length } };
}

/** Where an upload stands, from the store alone. */
export type TusState =
  | { complete: true; offset: number }
  | { complete: false; offset: number; durable: Durable; parts: PartRef[]; prepared: PreparedObject; objectSize: number };

export async function tusState(deps: TusDeps, tenant: Tenant, upload: TusUpload): Promise<TusState> {
  const { store } = deps.files;
  const id = fileIdHex(upload.ref);
  const key = dataKey(tenant, id);
  // The parts first: a finished (or terminated) upload has none, and only then is the object
  // itself asked for, so a PATCH in progress costs one store round trip fewer.
  const finished = async (): Promise<TusState> => {
    if (await store.head(key)) return { complete: true, offset: upload.length };
    throw notFound();
  };
  if (upload.uploadId === '') return finished();
  let stored: StoredPart[];
  try {
    stored = await store.listParts(key, upload.uploadId);
  } catch (e) {
    if (e instanceof NoSuchUpload) return finished();
    throw e;
  }
  const prepared = await prepare(deps, upload);
  const objectSize = objectSizeV2(prepared.prefix.length, upload.length);
  const P = upload.partSize;
  const total = partCount(objectSize, P);
  const parts: PartRef[] = [];
  for (const p of stored) {
    const expected = p.n < total ? P : objectSize - (total - 1) * P;
    if (p.n !== parts.length + 1 || p.size !== expected) break;
    parts.push({ n: p.n, etag: p.etag });
  }
  if (parts.length === total) {
    // Every part is stored but the join did not happen (the request that sent the last byte
    // died after its last part): join now, so the offset a client reads is never one it cannot finish.
    await finish(deps, tenant, upload, parts);
    return { complete: true, offset: upload.length };
  }
  const tail = await store.head(tailKey(tenant, id));
  const tailBytes = tail && tail.metadata[TAIL_PART] === String(parts.length + 1) ? tail.size : 0;
  const durable = durableFrom(prepared.prefix.length, P, parts.length, tailBytes);
  return { complete: false, offset: durable.offset, durable, parts, prepared, objectSize };
}

async function finish(deps: TusDeps, tenant: Tenant, upload: TusUpload, parts: PartRef[]): Promise<void> {
  const id = fileIdHex(upload.ref);
  await deps.files.store.completeMultipart(dataKey(tenant, id), upload.uploadId, parts);
  await deps.files.store.delete(tailKey(tenant, id)).catch(() => {});
}

export interface Appended {
  offset: number;
  complete: boolean;
}

/**
 * Appends a PATCH body that starts at the durable offset. Rejects with the body's error (a cut
 * connection) after storing what it can: the part in flight is finished and the whole chunks
 * after it become the tail, so the next HEAD answers as far as the store holds.
 */
export async function appendTus(
  deps: TusDeps,
  tenant: Tenant,
  upload: TusUpload,
  state: Extract<TusState, { complete: false }>,
  body: ReadableStream<Uint8Array>,
): Promise<Appended> {
  const { store } = deps.files;
  const id = fileIdHex(upload.ref);
  const key = dataKey(tenant, id);
  const { durable, prepared, objectSize } = state;
  const P = upload.partSize;
  const prefixSize = prepared.prefix.length;
  const parts = [...state.parts];
  const partLength = (n: number) => Math.min(P, objectSize - (n - 1) * P);

  let n = durable.parts + 1;
  const pool = [new Uint8Array(partLength(n))];
  let current = pool[0]!;
  let fill = 0;
  /** Parts being stored, each with the buffer it holds (free again once stored). */
  const inFlight = new Map<Promise<void>, Uint8Array>();
  let flightFailed: { error: unknown } | undefined;

  const settle = async (keep: number) => {
    while (inFlight.size > keep) await Promise.race(inFlight.keys());
    if (flightFailed) throw flightFailed.error;
  };

  const startPart = async () => {
    await settle(PARTS_IN_FLIGHT - 1);
    const bytes = current.subarray(0, fill);
    const partNo = n;
    const stored = store.putPart(key, upload.uploadId, partNo, streamOf(bytes), { size: bytes.length }).then(
      (part) => {
        parts.push({ n: part.n, etag: part.etag });
      },
      (error: unknown) => {
        flightFailed ??= { error };
      },
    );
    const done = stored.finally(() => inFlight.delete(done));
    inFlight.set(done, current);
    n++;
    const busy = new Set(inFlight.values());
    const free = pool.find((b) => !busy.has(b));
    current = free ?? new Uint8Array(P);
    if (!free) pool.push(current);
    fill = 0;
  };

  const append = async (bytes: Uint8Array) => {
    let o = 0;
    while (o < bytes.length) {
      const want = partLength(n) - fill;
      const take = Math.min(want, bytes.length - o);
      current.set(bytes.subarray(o, o + take), fill);
      fill += take;
      o += take;
      if (fill === partLength(n)) await startPart();
    }
  };

  const sealer = sealFrom(prepared.dataKey, durable.chunks, upload.length - durable.offset);
  const encrypted = body.pipeThrough(sealer.stream);
  let skip = 0;
  try {
    if (durable.tail > 0) {
      const got = await store.get(tailKey(tenant, id));
      if (!got || got.size !== durable.tail) {
        await got?.body.cancel().catch(() => {});
        throw new FerryError('tus_offset_mismatch', 'Another request changed this upload; ask HEAD for its offset.');
      }
      await eachPiece(got.body, append);
    } else if (durable.chunks === 0) {
      await append(prepared.prefix);
    } else {
      skip = durable.parts * P - chunkStart(prefixSize, durable.chunks);
    }
  } catch (e) {
    await encrypted.cancel(e).catch(() => {});
    throw e;
  }

  try {
    await eachPiece(encrypted, async (piece) => {
      if (skip > 0) {
        const s = Math.min(skip, piece.length);
        skip -= s;
        piece = piece.subarray(s);
      }
      await append(piece);
    });
  } catch (e) {
    await keepTail().catch(() => {});
    throw e;
  }
  if (sealer.finished()) {
    await settle(0);
    parts.sort((a, b) => a.n - b.n);
    await finish(deps, tenant, upload, parts);
    return { offset: upload.length, complete: true };
  }
  await keepTail();
  return { offset: durableFrom(prefixSize, P, n - 1, fill).offset, complete: false };

  /** Stores the whole chunks past the last part (or drops a stale tail), once that part is in. */
  async function keepTail(): Promise<void> {
    // Only once every part before it is stored is the tail where the next request looks for it.
    await settle(0).catch(() => {});
    if (flightFailed) return;
    const tail = tailKey(tenant, id);
    const end = (n - 1) * P + fill;
    if (fill === 0 || end <= prefixSize || (end - prefixSize) % SEALED_CHUNK_SIZE !== 0) {
      if (n - 1 > durable.parts) await store.delete(tail);
      return;
    }
    await store.put(tail, streamOf(current.subarray(0, fill)), {
      expiresAt: new Date(upload.meta.expiresAt),
      metadata: { [TAIL_PART]: String(n) },
    });
  }
}

/** Termination: the parts, the tail and (if it was finished) the file are gone. */
export async function terminateTus(deps: TusDeps, tenant: Tenant, upload: TusUpload): Promise<void> {
  const { store } = deps.files;
  const id = fileIdHex(upload.ref);
  if (upload.uploadId !== '') await store.abortMultipart(dataKey(tenant, id), upload.uploadId);
  await store.delete(tailKey(tenant, id));
  await removeFile(deps.files, tenant, id);
}

async function eachPiece(stream: ReadableStream<Uint8Array>, use: (piece: Uint8Array) => Promise<void>): Promise<void> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      await use(value);
    }
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    throw e;
  } finally {
    reader.releaseLock();
  }
}
