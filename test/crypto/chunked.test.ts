// C2SP chunked encryption: the pure size/offset functions as boundary tables, and the two
// TransformStreams as round trips under every kind of input splitting, on both providers, plus
// the properties decryption promises (order, truncation, nothing unauthenticated). The key
// schedule and HKDF have their own files (message-key.test.ts, aead.test.ts).
import { describe, expect, it } from 'vitest';
import { webCrypto, type AesGcm, type CryptoProvider } from '../../src/crypto/aead.js';
import {
  CHUNK_SIZE,
  ChunkedDecryptionError,
  MAX_CHUNKS,
  MAX_PLAINTEXT_SIZE,
  PREFIX_SIZE,
  SEALED_CHUNK_SIZE,
  TAG_SIZE,
  chunkCount,
  chunkNonce,
  chunkOf,
  chunkOffset,
  chunkSpan,
  ciphertextSize,
  decryptChunks,
  encryptChunks,
  plaintextSize,
  sealedChunkSize,
} from '../../src/crypto/chunked.js';
import { deriveMessageKey } from '../../src/crypto/message-key.js';
import { nodeCrypto } from '../../src/crypto/node-crypto.js';
import { concat, expectBytes, fakeSource, hex, idle, readAll, rng, run, split } from '../helpers/byte-streams.js';

// ---- helpers (kept local: each test file stands alone) ----------------------------------

const pattern = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
};


async function ok(ts: TransformStream<Uint8Array, Uint8Array>, parts: Uint8Array[]) {
  const r = await run(ts, parts);
  if (r.error) throw r.error as Error;
  return r.out;
}

const providers: [string, CryptoProvider][] = [
  ['webCrypto', webCrypto],
  ['nodeCrypto', nodeCrypto],
];

const inputKey = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const salt = Uint8Array.from({ length: 24 }, (_, i) => i);
const context = new TextEncoder().encode('test context');

async function keyFor(c: CryptoProvider) {
  return deriveMessageKey(c, inputKey, salt, context);
}

/** Encrypts and returns the chunks alone (what decryptChunks reads). */
async function sealed(c: CryptoProvider, pt: Uint8Array, seed = 1) {
  const ct = await ok(encryptChunks(await keyFor(c)), split(pt, seed));
  return ct.subarray(PREFIX_SIZE);
}

// ---- sizes and offsets ------------------------------------------------------------------

describe('sizes', () => {
  it.each([
    // plaintext, chunks, ciphertext
    [0, 1, 72],
    [1, 1, 73],
    [15, 1, 87],
    [16383, 1, 16455],
    [16384, 2, 16472],
    [16385, 2, 16473],
    [32767, 2, 32855],
    [32768, 3, 32872],
    [65535, 4, 65655],
    [65536, 5, 65672],
    [65537, 5, 65673],
    [1 << 20, 65, (1 << 20) + 56 + 65 * 16],
  ])('plaintext %i: %i chunks, %i ciphertext bytes, and back', (n, chunks, ct) => {
    expect(chunkCount(n)).toBe(chunks);
    expect(ciphertextSize(n)).toBe(ct);
    expect(plaintextSize(ct)).toBe(n);
  });

  it.each([
    [0, 'empty'],
    [55, 'shorter than salt and commitment'],
    [56, 'no chunk at all'],
    [71, 'final chunk shorter than a tag'],
    [56 + SEALED_CHUNK_SIZE, 'ends after a full chunk: truncated'],
    [56 + SEALED_CHUNK_SIZE + 1, 'one byte of a final chunk'],
    [56 + SEALED_CHUNK_SIZE + 15, 'final chunk one byte short of a tag'],
    [56 + 3 * SEALED_CHUNK_SIZE, 'ends after three full chunks'],
    [-1, 'negative'],
    [100.5, 'fractional'],
    [Number.NaN, 'NaN'],
    [2 ** 53, 'not a safe integer'],
    [chunkOffset(MAX_CHUNKS) + 16, 'more than 2^38 chunks'],
  ])('ciphertext length %d is impossible (%s)', (ct) => {
    expect(plaintextSize(ct)).toBeNull();
  });

  it('plaintextSize inverts ciphertextSize for every length around the first boundaries', () => {
    for (let n = 0; n <= 3 * CHUNK_SIZE + 2; n += n % CHUNK_SIZE < 20 || n % CHUNK_SIZE > CHUNK_SIZE - 20 ? 1 : 997) {
      expect(plaintextSize(ciphertextSize(n))).toBe(n);
    }
  });

  it('reaches exactly 2^38 chunks and no further', () => {
    expect(chunkCount(MAX_PLAINTEXT_SIZE)).toBe(MAX_CHUNKS);
    expect(plaintextSize(ciphertextSize(MAX_PLAINTEXT_SIZE))).toBe(MAX_PLAINTEXT_SIZE);
    expect(() => ciphertextSize(MAX_PLAINTEXT_SIZE + 1)).toThrow(RangeError);
    expect(() => ciphertextSize(-1)).toThrow(RangeError);
    expect(() => ciphertextSize(1.5)).toThrow(RangeError);
  });

  it('offsets and chunk lengths follow the spec formulas', () => {
    expect(chunkOffset(0)).toBe(56);
    expect(chunkOffset(3)).toBe(56 + 3 * 16400);
    expect([0, 16383, 16384, 49151, 49152].map(chunkOf)).toEqual([0, 0, 1, 2, 3]);
    expect(sealedChunkSize(0, 0)).toBe(16);
    expect(sealedChunkSize(16384, 0)).toBe(16400);
    expect(sealedChunkSize(16384, 1)).toBe(16);
    expect(sealedChunkSize(50000, 3)).toBe(50000 - 3 * 16384 + 16);
    expect(() => sealedChunkSize(16384, 2)).toThrow(RangeError);
  });

  it.each([
    // n, start, end, first, last
    [0, 0, -1, 0, 0],
    [100, 0, 99, 0, 0],
    [100, 10, 10, 0, 0],
    [49252, 0, 0, 0, 0],
    [49252, 16383, 16384, 0, 1],
    [49252, 16384, 16384, 1, 1],
    [49252, 49151, 49151, 2, 2],
    [49252, 49152, 49251, 3, 3],
    [49252, 100, 49251, 0, 3],
    // A range to the end of a 16 KiB multiple also covers the final empty chunk.
    [32768, 0, 16383, 0, 0],
    [32768, 16384, 32767, 1, 2],
    [32768, 0, 32767, 0, 2],
  ])('chunkSpan(%i, %i, %i) covers chunks %i..%i exactly', (n, start, end, first, last) => {
    const span = chunkSpan(n, start, end);
    expect([span.firstChunk, span.lastChunk]).toEqual([first, last]);
    expect(span.start).toBe(chunkOffset(first));
    let length = 0;
    for (let k = first; k <= last; k++) length += sealedChunkSize(n, k);
    expect(span.end - span.start + 1).toBe(length);
  });

  it.each([
    [100, 0, 100],
    [100, -1, 5],
    [100, 50, 40],
    [100, 0.5, 5],
    [0, 0, 0],
  ])('chunkSpan(%i, %i, %i) is out of range', (n, start, end) => {
    expect(() => chunkSpan(n, start, end)).toThrow(RangeError);
  });
});

describe('chunkNonce', () => {
  const base = Uint8Array.from({ length: 12 }, (_, i) => 0x10 * i);

  it.each([
    [0, '00102030405060708090a0b0'],
    [1, '00102030405060708090a0b1'],
    [0x1234, '00102030405060708090b284'],
    [2 ** 32, '00102030405060718090a0b0'],
    [2 ** 38 - 1, '001020304050604f7f6f5f4f'],
  ])('chunk %i XORs the counter into the last 5 bytes', (k, expected) => {
    expect(hex(chunkNonce(base, k))).toBe(expected);
  });

  it('refuses counters of 2^38 and beyond, negative and fractional ones', () => {
    expect(() => chunkNonce(base, 2 ** 38)).toThrow(RangeError);
    expect(() => chunkNonce(base, 2 ** 40)).toThrow(RangeError);
    expect(() => chunkNonce(base, -1)).toThrow(RangeError);
    expect(() => chunkNonce(base, 1.5)).toThrow(RangeError);
  });

  it('leaves the base nonce untouched', () => {
    const copy = base.slice();
    chunkNonce(base, 12345);
    expect(base).toEqual(copy);
  });
});

// ---- streams --------------------------------------------------------------------------------

const SIZES = [0, 1, 16383, 16384, 16385, 32768, 65535, 65536, 65537, (1 << 20) + 12345];

describe.each(providers)('encryptChunks/decryptChunks on %s', (_, c) => {
  it.each(SIZES)('round-trips %i bytes written in random pieces', async (n) => {
    const pt = pattern(n);
    const key = await keyFor(c);
    const ct = await ok(encryptChunks(key), split(pt, n + 1));
    expect(ct.length).toBe(ciphertextSize(n));
    expect(ct.subarray(0, 24)).toEqual(salt);
    expect(ct.subarray(24, 56)).toEqual(key.commitment);
    expectBytes(await ok(decryptChunks(key, { plaintextSize: n }), split(ct.subarray(PREFIX_SIZE), n + 3)), pt);
  });

  it('gives the same bytes for one huge write, one-byte writes and random writes', async () => {
    const pt = pattern(3 * CHUNK_SIZE + 777);
    const key = await keyFor(c);
    const whole = await ok(encryptChunks(key), [pt]);
    const bytes = await ok(encryptChunks(key), Array.from(pt.subarray(0, 40000), (_, i) => pt.subarray(i, i + 1)).concat([pt.subarray(40000)]));
    const random = await ok(encryptChunks(key), split(pt, 99));
    expectBytes(bytes, whole);
    expectBytes(random, whole);
    // and decryption from one-byte writes
    const sealedOnly = whole.subarray(PREFIX_SIZE);
    const ones = Array.from(sealedOnly, (_, i) => sealedOnly.subarray(i, i + 1));
    expectBytes(await ok(decryptChunks(key, { plaintextSize: pt.length }), ones), pt);
  });

  it('emits a header option before salt and commitment, in the first output chunk', async () => {
    const key = await keyFor(c);
    const header = new Uint8Array([1, 2, 3]);
    const { chunks } = await run(encryptChunks(key, { header }), [pattern(10)]);
    expect(chunks[0]).toEqual(concat([header, salt, key.commitment]));
  });

  it('takes a key thunk and calls it once, when the stream starts', async () => {
    let calls = 0;
    const ts = encryptChunks(async () => {
      calls++;
      return keyFor(c);
    });
    const out = await ok(ts, split(pattern(40000), 5));
    expect(calls).toBe(1);
    expectBytes(out, await ok(encryptChunks(await keyFor(c)), [pattern(40000)]));
  });

  it('does not wait for the end of the input to emit sealed chunks, nor to release plaintext', async () => {
    const key = await keyFor(c);
    const enc = encryptChunks(key);
    const w = enc.writable.getWriter();
    const r = enc.readable.getReader();
    void w.write(pattern(CHUNK_SIZE + 5));
    expect((await r.read()).value!.length).toBe(PREFIX_SIZE);
    expect((await r.read()).value!.length).toBe(SEALED_CHUNK_SIZE);

    const ct = await sealed(c, pattern(3 * CHUNK_SIZE));
    const dec = decryptChunks(key, { plaintextSize: 3 * CHUNK_SIZE });
    const dw = dec.writable.getWriter();
    const dr = dec.readable.getReader();
    void dw.write(ct.subarray(0, SEALED_CHUNK_SIZE + 100));
    expectBytes((await dr.read()).value!, pattern(CHUNK_SIZE));
    await dw.abort();
  });

  it('interoperates with the other provider byte for byte', async () => {
    const other = c === webCrypto ? nodeCrypto : webCrypto;
    const pt = pattern(50000);
    const mine = await ok(encryptChunks(await keyFor(c)), [pt]);
    const theirs = await ok(encryptChunks(await keyFor(other)), [pt]);
    expect(hex(mine)).toBe(hex(theirs));
    expectBytes(await ok(decryptChunks(await keyFor(other), { plaintextSize: pt.length }), [mine.subarray(PREFIX_SIZE)]), pt);
  });
});

describe.each(providers)('decryptChunks failures on %s', (_, c) => {
  const n = 3 * CHUNK_SIZE + 100;
  const pt = pattern(n);

  async function expectFailure(
    input: Uint8Array,
    reason: string,
    options: { plaintextSize: number } = { plaintextSize: n },
    released = Infinity,
  ) {
    const { out, error } = await run(decryptChunks(await keyFor(c), options), split(input, 7));
    expect(error).toBeInstanceOf(ChunkedDecryptionError);
    expect((error as ChunkedDecryptionError).reason).toBe(reason);
    // Whatever came out is authenticated plaintext from the start, whole chunks only.
    expect(out.length % CHUNK_SIZE === 0 || out.length === n).toBe(true);
    expect(out.length).toBeLessThanOrEqual(released);
    expectBytes(out, pt.subarray(0, out.length));
    return out;
  }

  it('fails a changed byte in a middle chunk, releasing nothing of it or after it', async () => {
    const ct = (await sealed(c, pt)).slice();
    ct[chunkOffset(2) - PREFIX_SIZE + 5000] ^= 1;
    await expectFailure(ct, 'chunk', { plaintextSize: n }, 2 * CHUNK_SIZE);
  });

  it('fails a changed tag of the final chunk', async () => {
    const ct = (await sealed(c, pt)).slice();
    ct[ct.length - 1] ^= 0x40;
    await expectFailure(ct, 'chunk', { plaintextSize: n }, 3 * CHUNK_SIZE);
  });

  it('fails swapped chunks before releasing anything', async () => {
    const ct = (await sealed(c, pt)).slice();
    const a = ct.slice(0, SEALED_CHUNK_SIZE);
    ct.copyWithin(0, SEALED_CHUNK_SIZE, 2 * SEALED_CHUNK_SIZE);
    ct.set(a, SEALED_CHUNK_SIZE);
    await expectFailure(ct, 'chunk', { plaintextSize: n }, 0);
  });

  it('fails a message that ends after a full chunk (the final chunk dropped)', async () => {
    const ct = await sealed(c, pt);
    await expectFailure(ct.subarray(0, 3 * SEALED_CHUNK_SIZE), 'truncated', { plaintextSize: n }, 3 * CHUNK_SIZE);
    // A 16 KiB multiple: the dropped final chunk is empty, and still missed.
    const even = await sealed(c, pattern(2 * CHUNK_SIZE));
    expect(even.length).toBe(2 * SEALED_CHUNK_SIZE + TAG_SIZE);
    const { error } = await run(decryptChunks(await keyFor(c), { plaintextSize: 2 * CHUNK_SIZE }), [even.subarray(0, 2 * SEALED_CHUNK_SIZE)]);
    expect((error as ChunkedDecryptionError).reason).toBe('truncated');
  });

  it('fails a message that ends inside a tag', async () => {
    const ct = await sealed(c, pt);
    await expectFailure(ct.subarray(0, 3 * SEALED_CHUNK_SIZE + 10), 'truncated');
  });

  it('fails a message that ends inside a chunk as truncated', async () => {
    const ct = await sealed(c, pt);
    const cut = ct.subarray(0, SEALED_CHUNK_SIZE + 5000);
    await expectFailure(cut, 'truncated', { plaintextSize: n }, CHUNK_SIZE);
  });

  it('fails bytes appended after the final chunk', async () => {
    const ct = await sealed(c, pt);
    const longer = concat([ct, new Uint8Array([0, 0, 0])]);
    await expectFailure(longer, 'truncated', { plaintextSize: n });
  });

  it('fails an empty input', async () => {
    await expectFailure(new Uint8Array(0), 'truncated', { plaintextSize: 0 }, 0);
  });

  it('fails chunks opened under another context', async () => {
    const ct = await sealed(c, pt);
    const other = await deriveMessageKey(c, inputKey, salt, new Uint8Array(0));
    const { out, error } = await run(decryptChunks(other, { plaintextSize: n }), [ct]);
    expect((error as ChunkedDecryptionError).reason).toBe('chunk');
    expect(out.length).toBe(0);
  });

  it('reports failures with a caller-supplied error', async () => {
    class Mine extends Error {}
    const ct = await sealed(c, pt);
    const { error } = await run(
      // 100 bytes read as the whole sealed final chunk of an 84-byte message: it fails to open.
      decryptChunks(await keyFor(c), { plaintextSize: 100 - TAG_SIZE, error: (reason, message) => new Mine(`${reason}: ${message}`) }),
      [ct.subarray(0, 100)],
    );
    expect(error).toBeInstanceOf(Mine);
    expect((error as Error).message).toMatch(/^chunk: /);
  });
});

// ---- as a pipe stage -----------------------------------------------------------------------

/**
 * A plaintext source of 64 KiB writes (how node:http hands a body over), recording its pulls.
 * 16 MiB long rather than endless, so a transform that stopped applying backpressure fails the
 * bound instead of hanging the run.
 */
const plaintextSource = (options: { count?: number; failAt?: number; error?: unknown } = {}) =>
  fakeSource({ chunk: () => pattern(4 * CHUNK_SIZE), count: 256, ...options });

/**
 * What a transform may hold when its consumer stops: the provider's in-flight window, the write
 * being processed, the one queued on the writable side, and one write of slack.
 */
const readAheadBound = (c: CryptoProvider) => c.concurrency * SEALED_CHUNK_SIZE + 3 * 65536;

describe.each(providers)('encryptChunks/decryptChunks in a pipe on %s', (_, c) => {
  it('encryption pulls a bounded amount ahead of a consumer that has stopped reading', async () => {
    const { stream, log } = plaintextSource();
    const reader = stream.pipeThrough(encryptChunks(await keyFor(c))).getReader();
    await reader.read();
    await reader.read();
    await idle();
    const ahead = log.pulls;
    await idle();
    expect(log.pulls).toBe(ahead);
    expect(log.given).toBeLessThanOrEqual(readAheadBound(c));
  });

  it('decryption pulls a bounded amount ahead of a consumer that has stopped reading', async () => {
    const n = 64 * CHUNK_SIZE;
    const ct = await sealed(c, pattern(n));
    const { stream, log } = fakeSource({ chunk: (i) => ct.subarray(i * 65536, (i + 1) * 65536), count: Math.ceil(ct.length / 65536) });
    const reader = stream.pipeThrough(decryptChunks(await keyFor(c), { plaintextSize: n })).getReader();
    await reader.read();
    await idle();
    const ahead = log.pulls;
    await idle();
    expect(log.pulls).toBe(ahead);
    expect(log.given).toBeLessThanOrEqual(readAheadBound(c));
  });

  it('cancelling the output cancels the source with the same reason', async () => {
    const { stream, log } = plaintextSource();
    const reader = stream.pipeThrough(encryptChunks(await keyFor(c))).getReader();
    await reader.read();
    const reason = new Error('the store gave up');
    await reader.cancel(reason);
    await idle();
    expect(log.cancelReason).toBe(reason);
  });

  it('a failing source errors the output with its error', async () => {
    const failure = new Error('client went away');
    const { stream } = plaintextSource({ failAt: 3, error: failure });
    const { out, error } = await readAll(stream.pipeThrough(encryptChunks(await keyFor(c))));
    expect(error).toBe(failure);
    expect(out.length).toBeLessThan(ciphertextSize(3 * 4 * CHUNK_SIZE));
  });

  it('an aborted pipe errors the output and cancels the source with the abort reason', async () => {
    const { stream, log } = plaintextSource();
    const abort = new AbortController();
    const ts = encryptChunks(await keyFor(c));
    void stream.pipeTo(ts.writable, { signal: abort.signal }).catch(() => {});
    const reader = ts.readable.getReader();
    await reader.read();
    const reason = new Error('request aborted');
    abort.abort(reason);
    let error: unknown;
    try {
      for (;;) if ((await reader.read()).done) break;
    } catch (e) {
      error = e;
    }
    expect(error).toBe(reason);
    expect(log.cancelReason).toBe(reason);
  });
});

// ---- many chunks in flight --------------------------------------------------------------------

/**
 * Wraps a provider so every call completes after a random delay (out of order), counting how
 * many are in flight. It copies inputs synchronously, as WebCrypto does.
 */
function jittery(base: CryptoProvider, concurrency: number, seed: number) {
  const r = rng(seed);
  const stats = { inFlight: 0, max: 0, calls: 0 };
  const later = (f: () => Uint8Array) => {
    let result: Uint8Array | undefined;
    let failure: unknown;
    try {
      result = f();
    } catch (e) {
      failure = e;
    }
    stats.calls++;
    stats.max = Math.max(stats.max, ++stats.inFlight);
    return new Promise<Uint8Array>((resolve, reject) =>
      setTimeout(() => {
        stats.inFlight--;
        if (failure) reject(failure);
        else resolve(result!);
      }, Math.floor(r() * 4)),
    );
  };
  const provider: CryptoProvider = {
    concurrency,
    hmacSha256: base.hmacSha256,
    async aes128gcm(key) {
      const a = await base.aes128gcm(key);
      return {
        seal: (nonce, pt) => later(() => a.seal(nonce, pt) as Uint8Array),
        open: (nonce, ct) => later(() => a.open(nonce, ct) as Uint8Array),
      } satisfies AesGcm;
    },
  };
  return { provider, stats };
}

describe('chunks in flight', () => {
  const pt = pattern(20 * CHUNK_SIZE + 321);

  it('keeps output in order while calls finish out of order, and bounds what is in flight', async () => {
    const reference = await ok(encryptChunks(await keyFor(nodeCrypto)), [pt]);
    const { provider, stats } = jittery(nodeCrypto, 6, 3);
    const key = await keyFor(provider);
    expectBytes(await ok(encryptChunks(key), split(pt, 4)), reference);
    expect(stats.max).toBeGreaterThan(1);
    expect(stats.max).toBeLessThanOrEqual(6);
    expect(stats.calls).toBe(21);
    stats.max = 0;
    expectBytes(await ok(decryptChunks(key, { plaintextSize: pt.length }), [reference.subarray(PREFIX_SIZE)]), pt);
    expect(stats.max).toBeGreaterThan(1);
    expect(stats.max).toBeLessThanOrEqual(6);
  });

  it('never releases a later chunk that authenticated before an earlier one that failed', async () => {
    const { provider } = jittery(nodeCrypto, 8, 5);
    const key = await keyFor(provider);
    const ct = (await ok(encryptChunks(key), [pt])).subarray(PREFIX_SIZE).slice();
    ct[chunkOffset(4) - PREFIX_SIZE] ^= 1;
    const { out, error } = await run(decryptChunks(key, { plaintextSize: pt.length }), split(ct, 8));
    expect((error as ChunkedDecryptionError).reason).toBe('chunk');
    expect(out.length).toBeLessThanOrEqual(4 * CHUNK_SIZE);
    expectBytes(out, pt.subarray(0, out.length));
  });

  it('reuses its one buffer safely while WebCrypto calls are in flight', async () => {
    // 1000-byte writes fill and reuse the fixed buffer while earlier seals are still pending.
    const small = pattern(5 * CHUNK_SIZE + 3);
    const pieces = Array.from({ length: Math.ceil(small.length / 1000) }, (_, i) => small.subarray(i * 1000, (i + 1) * 1000));
    const web = await ok(encryptChunks(await keyFor(webCrypto)), pieces);
    const node = await ok(encryptChunks(await keyFor(nodeCrypto)), [small]);
    expect(hex(web)).toBe(hex(node));
  });

  it('on node:crypto, the sealed chunks of one write leave as one output chunk', async () => {
    const key = await keyFor(nodeCrypto);
    const { chunks } = await run(encryptChunks(key), [pattern(4 * CHUNK_SIZE), pattern(2 * CHUNK_SIZE + 5)]);
    expect(chunks.map((c) => c.length)).toEqual([PREFIX_SIZE, 4 * SEALED_CHUNK_SIZE, 2 * SEALED_CHUNK_SIZE, 5 + TAG_SIZE]);
    // and the slab they share is never written over: every chunk still decrypts
    expectBytes(
      await ok(decryptChunks(key, { plaintextSize: 6 * CHUNK_SIZE + 5 }), [concat(chunks).subarray(PREFIX_SIZE)]),
      concat([pattern(4 * CHUNK_SIZE), pattern(2 * CHUNK_SIZE + 5)]),
    );
  });

  it('keeps order when a provider answers some calls at once and others later', async () => {
    const reference = await ok(encryptChunks(await keyFor(nodeCrypto)), [pt]);
    const r = rng(11);
    const mixed: CryptoProvider = {
      concurrency: 4,
      hmacSha256: nodeCrypto.hmacSha256,
      async aes128gcm(key) {
        const a = await nodeCrypto.aes128gcm(key);
        const maybeLater = (v: Uint8Array) =>
          r() < 0.5 ? v : new Promise<Uint8Array>((resolve) => setTimeout(() => resolve(v), Math.floor(r() * 3)));
        return {
          seal: (nonce, p) => maybeLater((a.seal(nonce, p) as Uint8Array).slice()),
          open: (nonce, c) => maybeLater(a.open(nonce, c) as Uint8Array),
        };
      },
    };
    const key = await keyFor(mixed);
    expectBytes(await ok(encryptChunks(key), split(pt, 12)), reference);
    expectBytes(await ok(decryptChunks(key, { plaintextSize: pt.length }), split(reference.subarray(PREFIX_SIZE), 13)), pt);
  });

  it('joins only results that lie back to back in one buffer', async () => {
    // A provider that returns views of one shared buffer with a gap between them.
    const shared = new Uint8Array(64 * SEALED_CHUNK_SIZE);
    let at = 0;
    const gappy: CryptoProvider = {
      concurrency: 1,
      hmacSha256: nodeCrypto.hmacSha256,
      async aes128gcm(key) {
        const a = await nodeCrypto.aes128gcm(key);
        return {
          seal: (nonce, p) => {
            const sealedChunk = a.seal(nonce, p) as Uint8Array;
            const view = shared.subarray(at, at + sealedChunk.length);
            view.set(sealedChunk);
            at += sealedChunk.length + 1;
            return view;
          },
          open: a.open,
        };
      },
    };
    const reference = await ok(encryptChunks(await keyFor(nodeCrypto)), [pt]);
    expectBytes(await ok(encryptChunks(await keyFor(gappy)), [pt]), reference);
  });
});
