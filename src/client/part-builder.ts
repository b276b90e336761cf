// Builds part n of a session's object from the file's bytes: the prefix bytes it covers, then
// each overlapping chunk k sealed with AES-128-GCM(chunkKey, baseNonce XOR k), cut to the part's
// edges. Exactly what Ferry's own encryptChunks would write at those offsets (C2SP chunked
// encryption), so a part is computable alone, in any order, as often as a retry needs. Memory is
// one part plus the plaintext it seals, never the file. WebCrypto only (browsers, Node, Workers).
import { CHUNK_SIZE, SEALED_CHUNK_SIZE, chunkCount, chunkNonce } from '../crypto/chunked.js';
import { partSpan, type SessionGeometry } from './part-geometry.js';

/** Where plaintext comes from: bytes [start, end) of the file. */
export interface PlaintextSource {
  readonly size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface PartKeys {
  prefix: Uint8Array;
  /** The data message's AES-128-GCM key (imported from the session's chunkKey). */
  key: CryptoKey;
  baseNonce: Uint8Array;
}

/** Chunks sealed at once: WebCrypto costs a fixed ~50 µs a call, so several run in flight. */
const SEALS_IN_FLIGHT = 16;

const bytes = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

export async function importChunkKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== 16) throw new RangeError('chunkKey must be 16 bytes (AES-128-GCM)');
  return crypto.subtle.importKey('raw', bytes(raw), 'AES-GCM', false, ['encrypt']);
}

export function geometryOf(keys: PartKeys, size: number, partSize: number): SessionGeometry {
  return { prefixSize: keys.prefix.length, size, partSize };
}

export async function buildPart(keys: PartKeys, source: PlaintextSource, partSize: number, n: number): Promise<Uint8Array> {
  const g = geometryOf(keys, source.size, partSize);
  const span = partSpan(g, n);
  const out = new Uint8Array(span.end - span.start);
  if (span.start < g.prefixSize) out.set(keys.prefix.subarray(span.start, Math.min(span.end, g.prefixSize)), 0);
  if (span.lastChunk < span.firstChunk) return out;
  const plain = await source.read(span.plainStart, span.plainEnd);
  if (plain.length !== span.plainEnd - span.plainStart) throw new Error(`the file gave ${plain.length} bytes for ${span.plainEnd - span.plainStart}: it changed while uploading`);
  const finalChunk = chunkCount(g.size) - 1;
  const place = (k: number, sealed: Uint8Array) => {
    const at = g.prefixSize + k * SEALED_CHUNK_SIZE; // object offset of chunk k
    const from = Math.max(at, span.start);
    const to = Math.min(at + sealed.length, span.end);
    out.set(sealed.subarray(from - at, to - at), from - span.start);
  };
  for (let k = span.firstChunk; k <= span.lastChunk; k += SEALS_IN_FLIGHT) {
    const batch: Promise<void>[] = [];
    for (let j = k; j <= Math.min(span.lastChunk, k + SEALS_IN_FLIGHT - 1); j++) {
      const off = j * CHUNK_SIZE - span.plainStart;
      const chunk = plain.subarray(off, j < finalChunk ? off + CHUNK_SIZE : plain.length);
      batch.push(
        crypto.subtle
          .encrypt({ name: 'AES-GCM', iv: bytes(chunkNonce(keys.baseNonce, j)) }, keys.key, bytes(chunk))
          .then((sealed) => place(j, new Uint8Array(sealed))),
      );
    }
    await Promise.all(batch);
  }
  return out;
}

/** A Blob (or File) as a plaintext source: each read is one slice, never the whole file. */
export function blobSource(blob: Blob): PlaintextSource {
  return {
    size: blob.size,
    read: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer()),
  };
}

/**
 * A stream of known size as a plaintext source. A stream can only go forward, so reads must come
 * in non-decreasing order of start (parts are built in order); consecutive parts share the chunk
 * that straddles their edge, so the bytes from the last read's start are kept until the next.
 * Memory: the window of one read plus one chunk.
 */
export function streamSource(stream: ReadableStream<Uint8Array>, size: number): PlaintextSource {
  const reader = stream.getReader();
  let held: Uint8Array = new Uint8Array(0); // bytes [heldStart, heldStart + held.length)
  let heldStart = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const readRange = async (start: number, end: number): Promise<Uint8Array> => {
    if (start < heldStart) throw new Error('a stream source reads forward only (resume a stream from its start)');
    let pos = heldStart + held.length; // bytes taken from the stream so far
    const pieces: Uint8Array[] = [];
    if (start < pos) pieces.push(held.subarray(start - heldStart));
    heldStart = start;
    while (pos < end) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the stream ended at ${pos} bytes, before its declared size ${size}`);
      const next = pos + value.length;
      // Bytes before `start` are skipped (a resumed upload's stored parts).
      if (next > start) pieces.push(pos < start ? value.subarray(start - pos) : value);
      pos = next;
    }
    held = concat(pieces);
    return held.subarray(0, end - start);
  };
  return {
    size,
    read(start, end) {
      const result = queue.then(() => readRange(start, end));
      queue = result.catch(() => {});
      return result;
    },
  };
}

function concat(pieces: Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of pieces) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
