// Where every byte of an upload session's object comes from (DESIGN.md "Upload sessions"). The
// object is prefix || sealed chunks, and part n is the object bytes [(n−1)·partSize, n·partSize);
// these pure functions say which prefix bytes, which chunks and which plaintext bytes part n
// needs, so that any part can be built (and rebuilt for a retry or after a reload) on its own
// from a slice of the file. Numbers only: no bytes, no I/O.
import { CHUNK_SIZE, SEALED_CHUNK_SIZE, TAG_SIZE, chunkCount } from '../crypto/chunked.js';

export interface SessionGeometry {
  /** Length of the prefix Ferry handed out (header .. data's commitment). */
  prefixSize: number;
  /** The file's plaintext length. */
  size: number;
  partSize: number;
}

export interface PartSpan {
  n: number;
  /** Object bytes [start, end). */
  start: number;
  end: number;
  /** Chunks that overlap the part, inclusive; firstChunk > lastChunk when the part is all prefix. */
  firstChunk: number;
  lastChunk: number;
  /** The plaintext bytes [plainStart, plainEnd) those chunks seal. */
  plainStart: number;
  plainEnd: number;
}

/** The whole object's length: prefix, then every chunk with its tag (the last one short). */
export function sessionObjectSize(g: SessionGeometry): number {
  return g.prefixSize + g.size + chunkCount(g.size) * TAG_SIZE;
}

export function partCount(g: SessionGeometry): number {
  checkGeometry(g);
  return Math.max(1, Math.ceil(sessionObjectSize(g) / g.partSize));
}

/** The bytes and chunks of part n (from 1). */
export function partSpan(g: SessionGeometry, n: number): PartSpan {
  const count = partCount(g);
  if (!Number.isSafeInteger(n) || n < 1 || n > count) throw new RangeError(`no part ${n} (of ${count})`);
  const objectSize = sessionObjectSize(g);
  const start = (n - 1) * g.partSize;
  const end = Math.min(objectSize, n * g.partSize);
  const finalChunk = chunkCount(g.size) - 1;
  const dataStart = Math.max(start, g.prefixSize) - g.prefixSize;
  const dataEnd = end - g.prefixSize; // exclusive; ≤ 0 when the part is all prefix
  if (dataEnd <= 0) return { n, start, end, firstChunk: 0, lastChunk: -1, plainStart: 0, plainEnd: 0 };
  const firstChunk = Math.floor(dataStart / SEALED_CHUNK_SIZE);
  const lastChunk = Math.min(finalChunk, Math.floor((dataEnd - 1) / SEALED_CHUNK_SIZE));
  return {
    n,
    start,
    end,
    firstChunk,
    lastChunk,
    plainStart: firstChunk * CHUNK_SIZE,
    plainEnd: Math.min(g.size, (lastChunk + 1) * CHUNK_SIZE),
  };
}

/** Length of part n. */
export function partLength(g: SessionGeometry, n: number): number {
  const s = partSpan(g, n);
  return s.end - s.start;
}

function checkGeometry(g: SessionGeometry): void {
  if (!Number.isSafeInteger(g.size) || g.size < 0) throw new RangeError(`bad file size ${g.size}`);
  if (!Number.isSafeInteger(g.partSize) || g.partSize < 1) throw new RangeError(`bad part size ${g.partSize}`);
  if (!Number.isSafeInteger(g.prefixSize) || g.prefixSize < 0) throw new RangeError(`bad prefix size ${g.prefixSize}`);
}
