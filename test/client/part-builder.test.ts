// The client's parts are the slices of the very object Ferry's own encryptor writes: for sizes
// around chunk and part edges, every part built alone from the file's slice (Blob or stream)
// equals bytes [(n−1)·partSize, n·partSize) of prepareObjectV2 + encrypt() for the same keys.
import { describe, expect, it } from 'vitest';
import { CHUNK_SIZE, SEALED_CHUNK_SIZE } from '../../src/crypto/chunked.js';
import { blobSource, buildPart, importChunkKey, streamSource, type PartKeys } from '../../src/client/part-builder.js';
import { partCount, partLength, partSpan } from '../../src/client/part-geometry.js';
import { fromBase64 } from '../../src/client/session-upload.js';
import { expectBytes } from '../helpers/byte-streams.js';
import { bytesOf, prepareSession } from './session-fixture.js';

async function keysOf(s: { prefix: string; chunkKey: string; baseNonce: string }): Promise<PartKeys> {
  return { prefix: fromBase64(s.prefix), key: await importChunkKey(fromBase64(s.chunkKey)), baseNonce: fromBase64(s.baseNonce) };
}

function streamOf(b: Uint8Array, piece: number): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= b.length) return c.close();
      c.enqueue(b.slice(o, o + piece));
      o += piece;
    },
  });
}

describe('part geometry', () => {
  it('covers the object exactly once, every part but the last at partSize', () => {
    for (const [size, partSize] of [[0, 100], [1, 100], [CHUNK_SIZE, 5000], [3 * CHUNK_SIZE + 7, SEALED_CHUNK_SIZE], [100_000, 33_333]] as const) {
      const g = { prefixSize: 180, size, partSize };
      const count = partCount(g);
      let at = 0;
      for (let n = 1; n <= count; n++) {
        const s = partSpan(g, n);
        expect(s.start).toBe(at);
        if (n < count) expect(partLength(g, n)).toBe(partSize);
        at = s.end;
      }
      expect(at).toBe(180 + size + (Math.floor(size / CHUNK_SIZE) + 1) * 16);
    }
  });
});

describe('parts equal the slices of prepareObjectV2 + encrypt()', () => {
  // Sizes around the chunk edge and part sizes that cut chunks, the prefix, and land on edges.
  const sizes = [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE, 5 * CHUNK_SIZE + 3, 200_000];
  const partSizes = [100, 4096, SEALED_CHUNK_SIZE, SEALED_CHUNK_SIZE + 1, 3 * SEALED_CHUNK_SIZE - 5, 65_536];
  for (const size of sizes) {
    it(`${size} bytes, every part size`, async () => {
      const plaintext = bytesOf(size, size + 1);
      for (const partSize of partSizes) {
        const p = await prepareSession(size, partSize);
        const object = await p.object(plaintext);
        const keys = await keysOf(p.session);
        const g = { prefixSize: keys.prefix.length, size, partSize };
        const count = partCount(g);
        if (count > 400) continue; // 100-byte parts of 200 kB: covered by the smaller sizes
        const blob = blobSource(new Blob([plaintext]));
        const stream = streamSource(streamOf(plaintext, 7777), size);
        // Blob parts in reverse order (each is computable alone), stream parts in order.
        for (let n = count; n >= 1; n--) {
          const span = partSpan(g, n);
          expectBytes(await buildPart(keys, blob, partSize, n), object.subarray(span.start, span.end));
        }
        for (let n = 1; n <= count; n++) {
          const span = partSpan(g, n);
          expectBytes(await buildPart(keys, stream, partSize, n), object.subarray(span.start, span.end));
        }
      }
    });
  }

  it('a stream source skips the bytes of stored parts when resuming', async () => {
    const size = 300_000;
    const partSize = 70_000;
    const plaintext = bytesOf(size, 3);
    const p = await prepareSession(size, partSize);
    const object = await p.object(plaintext);
    const keys = await keysOf(p.session);
    const stream = streamSource(streamOf(plaintext, 10_000), size);
    for (const n of [3, 5]) {
      const span = partSpan({ prefixSize: keys.prefix.length, size, partSize }, n);
      expectBytes(await buildPart(keys, stream, partSize, n), object.subarray(span.start, span.end));
    }
    await expect(buildPart(keys, stream, partSize, 1)).rejects.toThrow(/forward only/);
  });

  it('a stream shorter than its declared size is an error, not a short part', async () => {
    const p = await prepareSession(50_000, 20_000);
    const keys = await keysOf(p.session);
    const stream = streamSource(streamOf(bytesOf(40_000), 4096), 50_000);
    await buildPart(keys, stream, 20_000, 1);
    await expect(buildPart(keys, stream, 20_000, 3)).rejects.toThrow(/ended at 40000/);
  });
});
