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
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FerryError } from '../errors.js';
import {
  InvalidParts,
  NoSuchUpload,
  assertValidKey,
  assertValidPart,
  assertValidPartList,
  assertValidPrefix,
  assertRangeShape,
  assertValidPutOptions,
  openPutBody,
  type PartOptions,
  type PartRef,
  type PendingUpload,
  type StoredPart,
  type ObjectBody,
  type ObjectStore,
  type PutOptions,
  type ReadRange,
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
/** Room for the header (JSON of expiry and a few metadata values) in the read that finds it. */
const HEADER_GUESS = 1024;
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
  readonly #uploads: string;
  readonly #staleTempMs: number;
  /** The start-up removal of stale temp files; resolves to how many were removed. Never rejects. */
  readonly tempSwept: Promise<number>;

  constructor(root: string, options: FsStoreOptions = {}) {
    this.root = root;
    this.#objects = join(root, 'objects');
    this.#tmp = join(root, '.tmp');
    this.#uploads = join(root, '.uploads');
    this.#staleTempMs = options.staleTempMs ?? HOUR;
    this.tempSwept = this.sweepTemp().catch(() => 0);
  }

  async put(key: string, body: ReadableStream<Uint8Array>, options: PutOptions): Promise<StoredObject> {
    const { expiresAt, metadata = {}, signal } = options;
    const reader = openPutBody(key, body, options);
    const { temp, size } = await this.#writeTemp(reader, encodeHeader(expiresAt, metadata), signal);
    try {
      signal?.throwIfAborted();
      await this.#moveIntoPlace(temp, this.#path(key));
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw e;
    }
    return { key, size, expiresAt: new Date(expiresAt.getTime()), metadata: { ...metadata } };
  }

  /**
   * Writes `header` then everything `reader` yields to a new temp file, awaiting every write (so
   * at most one source chunk waits in memory), and fsyncs it. With `exactSize`, a body of another
   * length fails. On any failure the temp file is removed and the reader cancelled.
   */
  async #writeTemp(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    header: Uint8Array | undefined,
    signal: AbortSignal | undefined,
    exactSize?: number,
  ): Promise<{ temp: string; size: number }> {
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
      // `.tmp/` exists after the first put: create it only when the open says it is missing,
      // rather than spend a thread-pool round trip on mkdir for every put.
      handle = await io('put', () =>
        open(temp, 'wx', 0o600).catch(async (e: unknown) => {
          if (errno(e) !== 'ENOENT') throw e;
          await mkdir(this.#tmp, { recursive: true, mode: 0o700 });
          return open(temp, 'wx', 0o600);
        }),
      );
      const fh = handle;
      // The header goes out with the first piece of data, in one writev.
      let pendingHeader = header;
      for (;;) {
        const { done, value } = await reader.read().catch((e: unknown) => {
          sourceDone = true;
          throw e;
        });
        if (aborted) throw signal!.reason;
        if (done) break;
        size += value.byteLength;
        if (exactSize !== undefined && size > exactSize) throw new RangeError(`part is longer than its ${exactSize} bytes`);
        const pieces = pendingHeader ? [pendingHeader, value] : [value];
        pendingHeader = undefined;
        await io('put', () => writeAll(fh, ...pieces));
      }
      sourceDone = true;
      if (pendingHeader) await io('put', () => writeAll(fh, pendingHeader!));
      if (exactSize !== undefined && size !== exactSize) throw new RangeError(`part ended after ${size} of its ${exactSize} bytes`);
      await io('put', () => fh.sync());
      handle = undefined;
      await io('put', () => fh.close());
      return { temp, size };
    } catch (e) {
      if (!sourceDone && !aborted) reader.cancel(e).catch(() => {});
      await handle?.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #moveIntoPlace(temp: string, target: string): Promise<void> {
    const dir = dirname(target);
    // A concurrent delete may remove the (then empty) directory between mkdir and rename.
    // The rename comes first: the directory usually exists, and a mkdir per put is a
    // thread-pool round trip. ENOENT means it does not (yet, or any more): create it and retry.
    for (let attempt = 1; ; attempt++) {
      try {
        await rename(temp, target);
        break;
      } catch (e) {
        if (errno(e) !== 'ENOENT' || attempt === 4) throw storageError('put', e);
      }
      await io('put', () => mkdir(dir, { recursive: true, mode: 0o700 }));
    }
    await io('put', () => syncDirectory(dir));
  }

  async get(key: string, range?: ReadRange): Promise<ObjectBody | null> {
    assertValidKey(key);
    if (range) assertRangeShape(range);
    const fh = await openObject(this.#path(key));
    if (!fh) return null;
    try {
      // A read from the start (a whole download, a format prefix) takes its first bytes from
      // the read that brings the header: one read fewer per file. Other ranges read the header
      // alone, and their data where it lies.
      const fromStart = !range || range.start === 0;
      const want = PREFIX_BYTES + HEADER_GUESS + (fromStart ? Math.min(READ_CHUNK, range ? range.end + 1 : READ_CHUNK) : 0);
      const { header, size, ahead } = await readHeaderAhead(fh, want);
      let position = header.dataOffset;
      let remaining = size;
      if (range) {
        const end = range.clamp ? Math.min(range.end, size - 1) : range.end;
        if (end >= size || (range.start >= size && !(range.clamp && range.start === 0))) {
          throw new RangeError('range lies outside the object');
        }
        position += range.start;
        remaining = Math.max(0, end - range.start + 1);
      }
      const body = fileBody(fh, position, remaining, fromStart ? ahead : undefined);
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

  // ---- multipart -------------------------------------------------------------------------
  // .uploads/<uploadId>/info       {"key","expiresAt","metadata","initiated"}, written once
  // .uploads/<uploadId>/<n>.<etag> part n, written to .tmp and renamed in (atomic replace of
  //                                its content: the etag is new for every write)
  // complete streams the named parts, behind the object's envelope, into one temp file and
  // renames it into place like any put, then removes the upload's directory.

  async createMultipart(key: string, options: PutOptions): Promise<string> {
    assertValidKey(key);
    assertValidPutOptions(options);
    const uploadId = randomUUID().replace(/-/g, '');
    const dir = join(this.#uploads, uploadId);
    await io('put', () => mkdir(dir, { recursive: true, mode: 0o700 }));
    const info: UploadInfo = { key, expiresAt: options.expiresAt.toISOString(), metadata: { ...(options.metadata ?? {}) }, initiated: new Date().toISOString() };
    const reader = new Blob([JSON.stringify(info)]).stream().getReader();
    const { temp } = await this.#writeTemp(reader, undefined, undefined);
    await io('put', () => rename(temp, join(dir, 'info')));
    await io('put', () => syncDirectory(dir));
    return uploadId;
  }

  async putPart(key: string, uploadId: string, n: number, body: ReadableStream<Uint8Array>, options: PartOptions): Promise<StoredPart> {
    const reader = body.getReader();
    let dir: string;
    try {
      assertValidPart(n, options.size);
      dir = (await this.#upload(key, uploadId)).dir;
      options.signal?.throwIfAborted();
    } catch (e) {
      reader.cancel(e).catch(() => {});
      throw e;
    }
    const { temp, size } = await this.#writeTemp(reader, undefined, options.signal, options.size);
    const etag = randomUUID().replace(/-/g, '');
    try {
      // Aborted or completed meanwhile: the directory is gone and the rename fails.
      await rename(temp, join(dir, `${n}.${etag}`)).catch((e: unknown) => {
        throw errno(e) === 'ENOENT' ? new NoSuchUpload() : storageError('put', e);
      });
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw e;
    }
    // The older copies of part n, if any, are superseded.
    for (const old of (await this.#parts(dir)).filter((p) => p.n === n && p.etag !== etag)) {
      await unlink(join(dir, `${old.n}.${old.etag}`)).catch(() => {});
    }
    return { n, etag, size };
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    const { dir } = await this.#upload(key, uploadId);
    const latest = new Map<number, StoredPart & { mtime: number }>();
    for (const p of await this.#parts(dir)) {
      const seen = latest.get(p.n);
      if (!seen || p.mtime > seen.mtime) latest.set(p.n, p);
    }
    return [...latest.values()].sort((a, b) => a.n - b.n).map(({ n, etag, size }) => ({ n, etag, size }));
  }

  async completeMultipart(key: string, uploadId: string, parts: PartRef[]): Promise<StoredObject> {
    assertValidPartList(parts);
    const { dir, info } = await this.#upload(key, uploadId);
    const stored = new Map((await this.#parts(dir)).map((p) => [`${p.n}.${p.etag}`, p]));
    for (const p of parts) if (!stored.has(`${p.n}.${p.etag}`)) throw new InvalidParts(`part ${p.n} is not stored with etag ${p.etag}`);
    const expiresAt = new Date(info.expiresAt);
    const files = parts.map((p) => join(dir, `${p.n}.${p.etag}`));
    const { temp, size } = await this.#writeTemp(concatFiles(files).getReader(), encodeHeader(expiresAt, info.metadata), undefined);
    try {
      await this.#moveIntoPlace(temp, this.#path(key));
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw e;
    }
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    return { key, size, expiresAt, metadata: info.metadata };
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.#upload(key, uploadId);
    } catch (e) {
      if (e instanceof NoSuchUpload) return;
      throw e;
    }
    await io('delete', () => rm(join(this.#uploads, uploadId), { recursive: true, force: true }));
  }

  async *listMultipart(prefix: string): AsyncIterable<PendingUpload> {
    if (prefix !== '') assertValidPrefix(prefix);
    let names: string[];
    try {
      names = await readdir(this.#uploads);
    } catch (e) {
      if (errno(e) === 'ENOENT') return;
      throw storageError('list', e);
    }
    for (const uploadId of names) {
      // No info: a crash between mkdir and writing it; sweepTemp removes such directories.
      const info = await readUploadInfo(join(this.#uploads, uploadId));
      if (info === null) continue;
      if (info.key.startsWith(prefix)) yield { key: info.key, uploadId, initiated: new Date(info.initiated), expiresAt: new Date(info.expiresAt) };
    }
  }

  /** The upload's directory and info, checked against the key it was started for. */
  async #upload(key: string, uploadId: string): Promise<{ dir: string; info: UploadInfo }> {
    assertValidKey(key);
    if (typeof uploadId !== 'string' || !UPLOAD_ID.test(uploadId)) throw new NoSuchUpload();
    const dir = join(this.#uploads, uploadId);
    const info = await readUploadInfo(dir);
    if (!info || info.key !== key) throw new NoSuchUpload();
    return { dir, info };
  }

  async #parts(dir: string): Promise<(StoredPart & { mtime: number })[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (errno(e) === 'ENOENT') throw new NoSuchUpload();
      throw storageError('list', e);
    }
    const out: (StoredPart & { mtime: number })[] = [];
    for (const name of names) {
      const m = PART_FILE.exec(name);
      if (!m) continue;
      try {
        const st = await stat(join(dir, name));
        out.push({ n: Number(m[1]), etag: m[2]!, size: st.size, mtime: st.mtimeMs });
      } catch (e) {
        if (errno(e) !== 'ENOENT') throw storageError('list', e);
      }
    }
    return out;
  }

  /** The sweeper's hook (ObjectStore.sweepLeftovers): sweepTemp on the sweeper's clock. */
  sweepLeftovers(now: Date): Promise<number> {
    return this.sweepTemp(now.getTime());
  }

  /**
   * Removes temp files older than `staleTempMs` (crashed puts), and upload directories that a
   * crash left without their info file. Returns how many.
   */
  async sweepTemp(now = Date.now()): Promise<number> {
    return (await this.#sweepTempFiles(now)) + (await this.#sweepBrokenUploads(now));
  }

  async #sweepBrokenUploads(now: number): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.#uploads);
    } catch (e) {
      if (errno(e) === 'ENOENT') return 0;
      throw storageError('sweep', e);
    }
    let removed = 0;
    for (const name of names) {
      const dir = join(this.#uploads, name);
      if (UPLOAD_ID.test(name) && (await readUploadInfo(dir)) !== null) continue;
      const { mtimeMs } = await stat(dir).catch(() => ({ mtimeMs: now }));
      if (now - mtimeMs < this.#staleTempMs) continue;
      await rm(dir, { recursive: true, force: true }).catch(() => {});
      removed++;
    }
    return removed;
  }

  async #sweepTempFiles(now: number): Promise<number> {
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

interface UploadInfo {
  key: string;
  expiresAt: string;
  metadata: Record<string, string>;
  initiated: string;
}

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_FILE = /^([1-9][0-9]{0,4})\.([0-9a-f]{32})$/;

async function readUploadInfo(dir: string): Promise<UploadInfo | null> {
  let text: string;
  try {
    text = await readFile(join(dir, 'info'), 'utf8');
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return null;
    throw storageError('read', e);
  }
  try {
    const info = JSON.parse(text) as UploadInfo;
    return typeof info.key === 'string' && typeof info.expiresAt === 'string' ? info : null;
  } catch {
    return null;
  }
}

/** The files one after another, READ_CHUNK at a time, each handle closed as soon as it is read. */
function concatFiles(paths: string[]): ReadableStream<Uint8Array> {
  let index = 0;
  let current: FileHandle | undefined;
  let position = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          if (!current) {
            if (index === paths.length) return controller.close();
            current = await io('read', () => open(paths[index++]!, 'r'));
            position = 0;
          }
          const fh = current;
          const buf = new Uint8Array(READ_CHUNK);
          const { bytesRead } = await io('read', () => fh.read(buf, 0, READ_CHUNK, position));
          if (bytesRead > 0) {
            position += bytesRead;
            controller.enqueue(buf.subarray(0, bytesRead));
            return;
          }
          current = undefined;
          await fh.close().catch(() => {});
        }
      },
      async cancel() {
        await current?.close().catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

async function openObject(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw storageError('open', e);
  }
}

/** Writes all of `pieces`, in order: one writev when there are several, then whatever it left. */
async function writeAll(fh: FileHandle, ...pieces: Uint8Array[]): Promise<void> {
  let skip = 0;
  if (pieces.length > 1) skip = (await fh.writev(pieces)).bytesWritten;
  for (const bytes of pieces) {
    let offset = Math.min(skip, bytes.byteLength);
    skip -= offset;
    while (offset < bytes.byteLength) {
      const { bytesWritten } = await fh.write(bytes, offset, bytes.byteLength - offset);
      offset += bytesWritten;
    }
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
  const { header, size } = await readHeaderAhead(fh, PREFIX_BYTES + HEADER_GUESS);
  return { header, size };
}

/**
 * The header, from one read of `want` bytes at the start of the file (the header is a few
 * hundred bytes, so that read also brings the first data when `want` is larger); a longer
 * header costs a second read. `ahead` holds what that read brought beyond the header: a
 * download's first piece of data, which then costs no read of its own.
 */
async function readHeaderAhead(fh: FileHandle, want: number): Promise<{ header: Header; size: number; ahead: Uint8Array }> {
  const { size: fileSize } = await io('read', () => fh.stat());
  const first = unfilled(Math.max(PREFIX_BYTES, Math.min(want, fileSize)));
  const { bytesRead } = await io('read', () => fh.read(first, 0, first.length, 0));
  if (bytesRead < PREFIX_BYTES || MAGIC.some((b, i) => first[i] !== b)) throw corrupt();
  const n = new DataView(first.buffer).getUint32(MAGIC.length);
  if (n > MAX_HEADER_BYTES || PREFIX_BYTES + n > fileSize) throw corrupt();
  const dataOffset = PREFIX_BYTES + n;
  let json: Uint8Array | null = first.subarray(PREFIX_BYTES, Math.min(dataOffset, bytesRead));
  if (json.length < n) json = await readExactly(fh, n, PREFIX_BYTES);
  if (!json) throw corrupt();
  let parsed: { expiresAt?: unknown; metadata?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    throw corrupt();
  }
  const time = typeof parsed.expiresAt === 'string' ? Date.parse(parsed.expiresAt) : NaN;
  if (Number.isNaN(time) || typeof parsed.metadata !== 'object' || parsed.metadata === null) throw corrupt();
  return {
    header: { expiresAt: new Date(time), metadata: { ...(parsed.metadata as Record<string, string>) }, dataOffset },
    size: fileSize - dataOffset,
    ahead: dataOffset < bytesRead ? first.subarray(dataOffset, bytesRead) : new Uint8Array(0),
  };
}

/**
 * Reads `length` bytes from `position`, one READ_CHUNK ahead of the consumer (so the disk works
 * while the previous chunk is decrypted and sent); the stream owns the handle and closes it.
 */
function fileBody(fh: FileHandle, position: number, length: number, ahead?: Uint8Array): ReadableStream<Uint8Array> {
  let closed = false;
  // Bytes the header read already brought: handed on first, without a read of their own.
  let pending = ahead && ahead.byteLength > 0 && length > 0 ? ahead.subarray(0, Math.min(ahead.byteLength, length)) : undefined;
  if (pending) {
    position += pending.byteLength;
    length -= pending.byteLength;
  }
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        if (length === 0) {
          await close();
          controller.close();
          return;
        }
        try {
          const want = Math.min(READ_CHUNK, length);
          const buf = unfilled(want);
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

/**
 * A buffer for a read to fill, not zeroed first (only the bytes a read returned are ever handed
 * on): zeroing 256 KiB per read is a measurable part of a download's CPU. A plain Uint8Array
 * view, as the store contract promises.
 */
function unfilled(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
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

/** A full disk or quota: the client may retry later, and an operator must free space. */
const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

function storageError(op: string, e: unknown): FerryError {
  if (e instanceof FerryError) return e;
  if (FULL.has(errno(e) ?? '')) {
    const err = new FerryError('storage_full', `local storage is full (${errno(e)}); try again later`);
    err.cause = e;
    return err;
  }
  // The message names the operation and errno only: paths hold keys, which stay out of replies.
  const err = new FerryError('storage_unavailable', `local storage ${op} failed (${errno(e) ?? 'error'})`);
  err.cause = e;
  return err;
}

function corrupt(): FerryError {
  return new FerryError('corrupt_object', 'stored object has an unreadable header');
}
