// Where a tus upload's bytes lie, as pure functions. A tus upload is written into ONE store
// multipart object holding exactly format v2 (prefix || sealed chunks). Parts are all `partSize`
// object bytes but the last (R2 requires equal parts, S3 at least 5 MiB), and `partSize` is a
// whole number of sealed chunks, so each part carries the same amount of plaintext (5 MiB for
// the smallest size). Because the prefix is not a multiple of a sealed chunk, part boundaries
// fall inside a chunk; C2SP seals chunk k deterministically (its nonce is baseNonce XOR k), so
// the chunk that straddles a boundary can be sealed again from its plaintext and its bytes before
// the boundary skipped. Bytes past the last whole part live in a small "tail" object that always
// ends on a chunk boundary: the durable offset is the plaintext of the whole chunks in
// parts ∪ tail, read from the store, never from memory.
import { CHUNK_SIZE, SEALED_CHUNK_SIZE } from '../crypto/chunked.js';
import { MAX_PARTS } from '../store/object-store.js';

/** Chunks per part at the smallest part size: 320 × 16400 B = 5,248,000 B ≥ S3's 5 MiB, 5 MiB of plaintext. */
export const CHUNKS_PER_PART = 320;
export const MIN_PART_SIZE = CHUNKS_PER_PART * SEALED_CHUNK_SIZE;

/** The part size for an object: the smallest multiple of MIN_PART_SIZE that needs ≤ 10,000 parts. */
export function partSizeFor(objectSize: number): number {
  return MIN_PART_SIZE * Math.max(1, Math.ceil(objectSize / (MIN_PART_SIZE * MAX_PARTS)));
}

/** Object offset where data chunk `k` begins, for a prefix of `prefixSize` bytes. */
export function chunkStart(prefixSize: number, k: number): number {
  return prefixSize + k * SEALED_CHUNK_SIZE;
}

/** Where the durable bytes end, in object bytes (parts ∪ tail), and the plaintext offset they hold. */
export interface Durable {
  /** Whole parts stored, from part 1. */
  parts: number;
  /** Bytes of the tail object (0 when none is valid). */
  tail: number;
  /** The number of whole data chunks inside parts ∪ tail. */
  chunks: number;
  /** Upload-Offset: plaintext bytes of those chunks. */
  offset: number;
}

/**
 * The durable state from what the store holds: `parts` contiguous whole parts and a tail of
 * `tail` bytes that begins where they end (0 if none). A tail that does not end on a chunk
 * boundary is not one Ferry wrote and is ignored.
 */
export function durableFrom(prefixSize: number, partSize: number, parts: number, tail: number): Durable {
  const base = parts * partSize;
  let end = base + tail;
  if (tail > 0 && (tail >= partSize || end < prefixSize || (end - prefixSize) % SEALED_CHUNK_SIZE !== 0)) {
    tail = 0;
    end = base;
  }
  const chunks = end < prefixSize ? 0 : Math.floor((end - prefixSize) / SEALED_CHUNK_SIZE);
  return { parts, tail, chunks, offset: chunks * CHUNK_SIZE };
}

/** The number of parts an object of `objectSize` bytes is written in. */
export function partCount(objectSize: number, partSize: number): number {
  return Math.max(1, Math.ceil(objectSize / partSize));
}
