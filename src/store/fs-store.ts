// ObjectStore on the local filesystem: the embedded default when no S3 bucket is configured.
// Node-only (node:fs/promises), used by the Node adapter behind the ObjectStore interface.
//
// Layout under `root`:
//   objects/<seg>/<seg>/<leaf>~obj   one file per object; key segments become directories
//   .tmp/<uuid>.part                 puts in progress
// Keys cannot contain "~", so an object file can never be mistaken for a directory of the same
// name ("a" and "a/b" coexist as `a~obj` and `a/b~obj`), and no key can reach `.tmp/`. A segment
// longer than 200 characters (keys may have 512, file names 255 bytes) is cut into directories
// `<200 chars>+/…`; "+" cannot occur in keys either, so the cut is unambiguous.
//
// Atomicity: each object file carries its own plain metadata in a header in front of the data:
//   "FERRYFS1" | u32 big-endian n | n bytes of JSON {"expiresAt","metadata"} | data
// put writes header and data to a temp file, awaiting every write (so at most one source chunk
// waits in memory), fsyncs it, renames it over the final name and fsyncs the directory. A rename
// within one filesystem is atomic, so readers see the whole old object or the whole new one,
// never half a file, never data with someone else's metadata; there is no sidecar to keep in step.
// If the body errors or the signal aborts, the temp file is closed and removed. Temp files left
// by a crash (older than an hour) are removed at construction and by `sweepTemp()`.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FerryError } from '../errors.js';
import {
  assertValidKey,
  assertValidPrefix,
  assertRangeShape,
  openPutBody,
  type ByteRange,
  type ObjectBody,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from './object-store.js';

export interface FsStoreOptions {
  /** Temp files older than this are a crashed put's leftovers. Default one hour. */
  staleTempMs?: number;
}

const MAGIC = new TextEncoder().encode('FERRYFS1');
const PREFIX_BYTES = MAGIC.length + 4;
const MAX_HEADER_BYTES = 64 * 1024;
const OBJECT_SUFFIX = '~obj';
const PIECE = 200;
const CONTINUED = '+';
/**
 * Reads of 256 KiB: each file-system call costs a thread-pool round trip on the event loop, so
 * fewer, larger ones leave more of it for the bytes (and the chunks downstream, decrypted and
 * sent, are as large). Memory per download stays two of these.
 */
const READ_CHUNK = 256 * 1024;
const HOUR = 60 * 60 * 1000;

interface Header {
  expiresAt: Date;
  metadata: Record<string, string>;
  dataOffset: number;
}

export class FsStore implements ObjectStore {
  readonly root: string;
  readonly #objects: string;
  readonly #tmp: string;
  readonly #staleTempMs: number;
  /** The start-up removal of stale temp files; resolves to how many were removed. Never rejects. */
  readonly tempSwept: Promise<number>;

  constructor(root: string, options: FsStoreOptions = {}) {
    this.root = root;
    this.#objects = join(root, 'objects');
    this.#tmp = join(root, '.tmp');
    this.#staleTempMs = options.staleTempMs ?? HOUR;
    this.tempSwept = this.sweepTemp().catch(() => 0);
  }

  async put(key: string, body: ReadableStream<Uint8Array>, options: PutOptions): Promise<StoredObject> {
    const { expiresAt, metadata = {}, signal } = options;
    const reader = openPutBody(key, body, options);
    // Cancelling the reader ends a pending read with `done`; `aborted` tells that apart from
    // a body that really ended.
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      reader.cancel(signal!.reason).catch(() => {});
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const temp = join(this.#tmp, `${randomUUID()}.part`);
    let handle: FileHandle | undefined;
    let size = 0;
    let sourceDone = false;
    try {
      await io('put', () => mkdir(this.#tmp, { recursive: true, mode: 0o700 }));
      handle = await io('put', () => open(temp, 'wx', 0o600));
      const fh = handle;
      await io('put', () => writeAll(fh, encodeHeader(expiresAt, metadata)));
      for (;;) {
        const { done, value } = await reader.read().catch((e: unknown) => {
          sourceDone = true;
          throw e;
        });
        if (aborted) throw signal!.reason;
        if (done) break;
        size += value.byteLength;
        await io('put', () => writeAll(fh, value));
      }
      sourceDone = true;
      await io('put', () => fh.sync());
      handle = undefined;
      await io('put', () => fh.close());
      signal?.throwIfAborted();
      await this.#moveIntoPlace(temp, this.#path(key));
    } catch (e) {
      if (!sourceDone && !aborted) reader.cancel(e).catch(() => {});
      await handle?.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return { key, size, expiresAt: new Date(expiresAt.getTime()), metadata: { ...metadata } };
  }

  async #moveIntoPlace(temp: string, target: string): Promise<void> {
    const dir = dirname(target);
    // A concurrent delete may remove the (then empty) directory between mkdir and rename.
    for (let attempt = 1; ; attempt++) {
      await io('put', () => mkdir(dir, { recursive: true, mode: 0o700 }));
      try {
        await rename(temp, target);
        break;
      } catch (e) {
        if (errno(e) !== 'ENOENT' || attempt === 3) throw storageError('put', e);
      }
    }
    await io('put', () => syncDirectory(dir));
  }

  async get(key: string, range?: ByteRange): Promise<ObjectBody | null> {
    assertValidKey(key);
    if (range) assertRangeShape(range);
    const fh = await openObject(this.#path(key));
    if (!fh) return null;
    try {
      const { header, size } = await readHeader(fh);
      let position = header.dataOffset;
      let remaining = size;
      if (range) {
        if (range.end >= size) throw new RangeError('range lies outside the object');
        position += range.start;
        remaining = range.end - range.start + 1;
      }
      const body = fileBody(fh, position, remaining);
      return { key, size, expiresAt: header.expiresAt, metadata: header.metadata, body };
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
  }

  async head(key: string): Promise<StoredObject | null> {
    assertValidKey(key);
    const fh = await openObject(this.#path(key));
    if (!fh) return null;
    try {
      const { header, size } = await readHeader(fh);
      return { key, size, expiresAt: header.expiresAt, metadata: header.metadata };
    } finally {
      await fh.close().catch(() => {});
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await unlink(this.#path(key));
    } catch (e) {
      if (errno(e) === 'ENOENT') return;
      throw storageError('delete', e);
    }
    // Remove directories the delete left empty, up to `objects/`; a non-empty one stops it.
    const dirs = pathComponents(key).slice(0, -1);
    while (dirs.length > 0) {
      try {
        await rmdir(join(this.#objects, ...dirs));
      } catch {
        break;
      }
      dirs.pop();
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    if (prefix !== '') assertValidPrefix(prefix);
    // Walk only the deepest directory the prefix names; filter names within it.
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    yield* this.#walk(base === '' ? [] : pathComponents(base + 'x').slice(0, -1), base, prefix);
  }

  /** `dirs`: path components under objects/; `dirKey`: the key prefix they stand for. */
  async *#walk(dirs: string[], dirKey: string, prefix: string): AsyncGenerator<StoredObject> {
    let entries;
    try {
      entries = await readdir(join(this.#objects, ...dirs), { withFileTypes: true });
    } catch (e) {
      if (errno(e) === 'ENOENT') return;
      throw storageError('list', e);
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        const sub = entry.name.endsWith(CONTINUED) ? dirKey + entry.name.slice(0, -1) : `${dirKey}${entry.name}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) yield* this.#walk([...dirs, entry.name], sub, prefix);
      } else if (entry.isFile() && entry.name.endsWith(OBJECT_SUFFIX)) {
        const key = dirKey + entry.name.slice(0, -OBJECT_SUFFIX.length);
        if (!key.startsWith(prefix)) continue;
        const fh = await openObject(this.#path(key));
        if (!fh) continue; // deleted since readdir
        try {
          const { header, size } = await readHeader(fh);
          yield { key, size, expiresAt: header.expiresAt, metadata: header.metadata };
        } catch (e) {
          if (!(e instanceof FerryError && e.code === 'corrupt_object')) throw e;
          // Unreadable header: report it as long expired, so the sweeper removes it.
          const { size } = await fh.stat();
          yield { key, size, expiresAt: new Date(0), metadata: {} };
        } finally {
          await fh.close().catch(() => {});
        }
      }
    }
  }

  /** Removes temp files older than `staleTempMs` (crashed puts). Returns how many. */
  async sweepTemp(now = Date.now()): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.#tmp);
    } catch (e) {
      if (errno(e) === 'ENOENT') return 0;
      throw storageError('sweep', e);
    }
    let removed = 0;
    for (const name of names) {
      const path = join(this.#tmp, name);
      try {
        const { mtimeMs } = await stat(path);
        if (now - mtimeMs < this.#staleTempMs) continue;
        await unlink(path);
        removed++;
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw storageError('sweep', e);
      }
    }
    return removed;
  }

  #path(key: string): string {
    return join(this.#objects, ...pathComponents(key));
  }
}

/** The file path of a key, as components under objects/ (see the layout above). */
function pathComponents(key: string): string[] {
  const out: string[] = [];
  for (const segment of key.split('/')) {
    for (let at = 0; at < segment.length; at += PIECE) {
      out.push(segment.slice(at, at + PIECE) + (at + PIECE < segment.length ? CONTINUED : ''));
    }
  }
  out[out.length - 1] += OBJECT_SUFFIX;
  return out;
}

// ---- file helpers ----------------------------------------------------------------------------

async function openObject(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw storageError('open', e);
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function encodeHeader(expiresAt: Date, metadata: Record<string, string>): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ expiresAt: expiresAt.toISOString(), metadata }));
  const out = new Uint8Array(PREFIX_BYTES + json.byteLength);
  out.set(MAGIC);
  new DataView(out.buffer).setUint32(MAGIC.length, json.byteLength);
  out.set(json, PREFIX_BYTES);
  return out;
}

async function readExactly(fh: FileHandle, length: number, position: number): Promise<Uint8Array | null> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await io('read', () => fh.read(buf, got, length - got, position + got));
    if (bytesRead === 0) return null;
    got += bytesRead;
  }
  return buf;
}

async function readHeader(fh: FileHandle): Promise<{ header: Header; size: number }> {
  const { size: fileSize } = await io('read', () => fh.stat());
  const prefix = await readExactly(fh, PREFIX_BYTES, 0);
  if (!prefix || MAGIC.some((b, i) => prefix[i] !== b)) throw corrupt();
  const n = new DataView(prefix.buffer).getUint32(MAGIC.length);
  if (n > MAX_HEADER_BYTES || PREFIX_BYTES + n > fileSize) throw corrupt();
  const json = await readExactly(fh, n, PREFIX_BYTES);
  if (!json) throw corrupt();
  let parsed: { expiresAt?: unknown; metadata?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    throw corrupt();
  }
  const time = typeof parsed.expiresAt === 'string' ? Date.parse(parsed.expiresAt) : NaN;
  if (Number.isNaN(time) || typeof parsed.metadata !== 'object' || parsed.metadata === null) throw corrupt();
  const dataOffset = PREFIX_BYTES + n;
  return {
    header: { expiresAt: new Date(time), metadata: { ...(parsed.metadata as Record<string, string>) }, dataOffset },
    size: fileSize - dataOffset,
  };
}

/**
 * Reads `length` bytes from `position`, one READ_CHUNK ahead of the consumer (so the disk works
 * while the previous chunk is decrypted and sent); the stream owns the handle and closes it.
 */
function fileBody(fh: FileHandle, position: number, length: number): ReadableStream<Uint8Array> {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (length === 0) {
          await close();
          controller.close();
          return;
        }
        try {
          const want = Math.min(READ_CHUNK, length);
          const buf = new Uint8Array(want);
          const { bytesRead } = await io('read', () => fh.read(buf, 0, want, position));
          if (bytesRead === 0) throw new FerryError('corrupt_object', 'stored object is shorter than its size');
          position += bytesRead;
          length -= bytesRead;
          controller.enqueue(bytesRead === want ? buf : buf.subarray(0, bytesRead));
        } catch (e) {
          await close();
          controller.error(e);
        }
      },
      cancel: close,
    },
    { highWaterMark: 1 },
  );
}

// ---- errors ----------------------------------------------------------------------------------

function errno(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Runs one filesystem call; its failures (ENOSPC, EACCES, EIO…) mean the store cannot serve. */
async function io<T>(op: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw storageError(op, e);
  }
}

function storageError(op: string, e: unknown): FerryError {
  if (e instanceof FerryError) return e;
  // The message names the operation and errno only: paths hold keys, which stay out of replies.
  const err = new FerryError('storage_unavailable', `local storage ${op} failed (${errno(e) ?? 'error'})`);
  err.cause = e;
  return err;
}

function corrupt(): FerryError {
  return new FerryError('corrupt_object', 'stored object has an unreadable header');
}
