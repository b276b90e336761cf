// Ferry object format v1: every published vector byte for byte on both providers, round trips
// and ranges at chunk boundaries, and each kind of damage failing with its own reason without
// releasing a byte that did not authenticate.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { webCrypto, type CryptoProvider } from '../src/crypto/aead.js';
import { encryptChunks } from '../src/crypto/chunked.js';
import { deriveMessageKey } from '../src/crypto/message-key.js';
import { parseKeyring, type Keyring } from '../src/crypto/keyring.js';
import { nodeCrypto } from '../src/crypto/node-crypto.js';
import {
  CHUNK_SIZE,
  FormatError,
  HEADER_SIZE,
  OBJECT_PREFIX_SIZE,
  TAG_SIZE,
  decodeHandle,
  decodeHeader,
  deriveInputKey,
  encodeHandle,
  encodeHeader,
  encryptObject,
  fileIdHex,
  newFileRef,
  objectRangeFor,
  objectSize,
  openMetadata,
  openObject,
  plaintextSizeOf,
  sealMetadata,
  serializeMeta,
  type FileMeta,
  type FileRef,
  type FormatParams,
} from '../src/format.js';
import { concat, expectBytes, hex, run, split } from './helpers/byte-streams.js';

// ---- helpers (kept local: each test file stands alone) ----------------------------------

interface Vectors {
  kekBase64: string;
  kid: string;
  fileIdHex: string;
  fileSecretHex: string;
  handle: string;
  saltHex: string;
  inputKeyHex: string;
  objects: {
    plaintextLength: number;
    plaintextSha256: string;
    objectLength: number;
    objectSha256: string;
    objectPrefixHex: string;
    objectHex?: string;
  }[];
  meta: { plaintextUtf8: string; saltHex: string; ciphertextHex: string };
}
const V: Vectors = JSON.parse(readFileSync(new URL('./fixtures/format-v1.json', import.meta.url), 'utf8'));

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

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

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return (e as FormatError).reason;
  }
  throw new Error('expected a FormatError');
}

const providers: [string, CryptoProvider][] = [
  ['webCrypto', webCrypto],
  ['nodeCrypto', nodeCrypto],
];

const vectorRing = parseKeyring(`${V.kid}:${V.kekBase64}`);
const vectorRef: FileRef = { fileId: fromHex(V.fileIdHex), secret: fromHex(V.fileSecretHex) };

const key = (fill: number) => new Uint8Array(32).fill(fill);
const ringOf = (...entries: [string, number][]) => parseKeyring(entries.map(([kid, f]) => `${kid}:${b64(key(f))}`).join(','));

async function encrypt(p: FormatParams, pt: Uint8Array, seed = 1) {
  return ok(encryptObject(p), split(pt, seed));
}

/** Opens `object` and decrypts the inclusive range as an HTTP range read would. */
async function decryptRange(p: FormatParams, object: Uint8Array, n: number, start: number, end: number, seed = 2) {
  const d = await openObject(p, object.subarray(0, OBJECT_PREFIX_SIZE));
  const r = objectRangeFor(n, start, end);
  return run(d.decrypt({ plaintextSize: n, start, end }), split(object.subarray(r.start, r.end + 1), seed));
}

// ---- vectors ----------------------------------------------------------------------------

describe.each(providers)('format-v1.json vectors on %s', (_, c) => {
  const p: FormatParams = { keyring: vectorRing, ref: vectorRef, crypto: c };

  it('derives the input key', async () => {
    expect(hex(await deriveInputKey(c, vectorRing.key(V.kid)!, vectorRef))).toBe(V.inputKeyHex);
  });

  it('encodes the handle, decodes it back, and names the file by its id', () => {
    expect(encodeHandle(vectorRef)).toBe(V.handle);
    const back = decodeHandle(V.handle)!;
    expect(hex(back.fileId)).toBe(V.fileIdHex);
    expect(hex(back.secret)).toBe(V.fileSecretHex);
    expect(fileIdHex(vectorRef)).toBe(V.fileIdHex);
  });

  it.each(V.objects.map((o) => [o.plaintextLength, o] as const))(
    'encrypts the %i-byte object byte for byte, and decrypts it',
    async (n, o) => {
      const pt = pattern(n);
      expect(sha256(pt)).toBe(o.plaintextSha256);
      const object = await ok(encryptObject(p, { salt: fromHex(V.saltHex) }), split(pt, n));
      expect(object.length).toBe(o.objectLength);
      expect(objectSize(n)).toBe(o.objectLength);
      expect(plaintextSizeOf(o.objectLength)).toBe(n);
      expect(hex(object.subarray(0, o.objectPrefixHex.length / 2))).toBe(o.objectPrefixHex);
      expect(sha256(object)).toBe(o.objectSha256);
      if (o.objectHex) expect(hex(object)).toBe(o.objectHex);

      const stored = o.objectHex ? fromHex(o.objectHex) : object;
      const d = await openObject(p, stored.subarray(0, OBJECT_PREFIX_SIZE));
      expect(d.kid).toBe(V.kid);
      const back = await ok(d.decrypt({ plaintextSize: n }), split(stored.subarray(OBJECT_PREFIX_SIZE), n + 1));
      expect(sha256(back)).toBe(o.plaintextSha256);
    },
  );

  it('seals the metadata byte for byte (stored as header || ciphertext), and opens it', async () => {
    const meta = JSON.parse(V.meta.plaintextUtf8) as FileMeta;
    expect(serializeMeta(meta)).toBe(V.meta.plaintextUtf8);
    const stored = await sealMetadata(p, meta, { salt: fromHex(V.meta.saltHex) });
    expect(hex(stored.subarray(0, HEADER_SIZE))).toBe(hex(encodeHeader(V.kid)));
    expect(hex(stored.subarray(HEADER_SIZE))).toBe(V.meta.ciphertextHex);
    expect(await openMetadata(p, stored)).toEqual(meta);
    expect(await openMetadata(p, concat([encodeHeader(V.kid), fromHex(V.meta.ciphertextHex)]))).toEqual(meta);
  });

  it('starts every vector object with the header of its kid', () => {
    for (const o of V.objects) expect(o.objectPrefixHex.slice(0, 32)).toBe(hex(encodeHeader(V.kid)));
    expect(decodeHeader(fromHex(V.objects[0]!.objectPrefixHex))).toEqual({ kid: V.kid });
  });
});

// ---- round trips and ranges ---------------------------------------------------------------

const SIZES = [0, 1, 16383, 16384, 16385, 32768, 65535, 65536, 65537, (1 << 20) + 4321];

describe.each(providers)('objects on %s', (_, c) => {
  const p: FormatParams = { keyring: ringOf(['k1', 1]), ref: newFileRef(), crypto: c };

  it.each(SIZES)('round-trips %i bytes written and read in random pieces', async (n) => {
    const pt = pattern(n);
    const object = await encrypt(p, pt, n);
    expect(object.length).toBe(objectSize(n));
    expect(plaintextSizeOf(object.length)).toBe(n);
    expect(decodeHeader(object)).toEqual({ kid: 'k1' });
    const r = await decryptRange(p, object, n, 0, n - 1, n + 7);
    expect(r.error).toBeUndefined();
    expectBytes(r.out, pt);
    // decrypt() without start/end is the whole file
    const d = await openObject(p, object.subarray(0, OBJECT_PREFIX_SIZE));
    expectBytes(await ok(d.decrypt({ plaintextSize: n }), [object.subarray(OBJECT_PREFIX_SIZE)]), pt);
  });

  it('uses a fresh random salt per object', async () => {
    const a = await encrypt(p, pattern(10));
    const b = await encrypt(p, pattern(10));
    expect(hex(a.subarray(HEADER_SIZE, HEADER_SIZE + 24))).not.toBe(hex(b.subarray(HEADER_SIZE, HEADER_SIZE + 24)));
    expect(() => encryptObject(p, { salt: new Uint8Array(23) })).toThrow(RangeError);
  });

  for (const n of [3 * CHUNK_SIZE + 100, 2 * CHUNK_SIZE]) {
    it(`decrypts exactly the range asked for, for every start and end around chunk boundaries (${n} bytes)`, async () => {
      const pt = pattern(n);
      const object = await encrypt(p, pt);
      const points = [0, 1, 2, 16382, 16383, 16384, 16385, 32767, 32768, 32769, 49151, 49152, 49153, n - 2, n - 1].filter(
        (x, i, all) => x < n && all.indexOf(x) === i,
      );
      let seed = 0;
      for (const start of points) {
        for (const end of points) {
          if (end < start) continue;
          const r = await decryptRange(p, object, n, start, end, seed++);
          expect(r.error, `${start}-${end}`).toBeUndefined();
          expect(hex(r.out), `${start}-${end}`).toBe(hex(pt.subarray(start, end + 1)));
        }
      }
    });
  }

  it('authenticates the final empty chunk of an empty file', async () => {
    const object = await encrypt(p, new Uint8Array(0));
    expect(object.length).toBe(OBJECT_PREFIX_SIZE + TAG_SIZE);
    expect(objectRangeFor(0, 0, -1)).toEqual({ start: 72, end: 87 });
    const r = await decryptRange(p, object, 0, 0, -1);
    expect(r.error).toBeUndefined();
    expect(r.out.length).toBe(0);
    const bad = object.slice();
    bad[bad.length - 1] ^= 1;
    const failed = await decryptRange(p, bad, 0, 0, -1);
    expect((failed.error as FormatError).reason).toBe('chunk');
  });
});

describe('objectRangeFor', () => {
  const n = 3 * CHUNK_SIZE + 100;
  it.each([
    [n, 0, 0, 72, 72 + 16400 - 1],
    [n, 16383, 16383, 72, 72 + 16400 - 1],
    [n, 16384, 16384, 72 + 16400, 72 + 32800 - 1],
    [n, 16383, 16384, 72, 72 + 32800 - 1],
    [n, 49151, 49151, 72 + 32800, 72 + 49200 - 1],
    [n, 49152, 49152, 72 + 49200, 72 + 49200 + 116 - 1],
    [n, 0, n - 1, 72, objectSize(n) - 1],
    [n, 100, n - 1, 72, objectSize(n) - 1],
    [32768, 0, 16383, 72, 72 + 16400 - 1],
    // reaching the end of a 16 KiB multiple takes the empty final chunk along
    [32768, 16384, 32767, 72 + 16400, objectSize(32768) - 1],
    [0, 0, -1, 72, 87],
  ])('objectRangeFor(%i, %i, %i) = %i..%i', (size, start, end, s, e) => {
    expect(objectRangeFor(size, start, end)).toEqual({ start: s, end: e });
  });

  it.each([
    [100, 0, 100],
    [100, -1, 10],
    [100, 20, 10],
    [100, 0, 1.5],
    [0, 0, 0],
  ])('objectRangeFor(%i, %i, %i) is a RangeError', (size, start, end) => {
    expect(() => objectRangeFor(size, start, end)).toThrow(RangeError);
  });

  it.each([
    [0, null],
    [15, null],
    [16 + 71, null],
    [88, 0],
    [72 + 16400, null],
    [72 + 2 * 16400, null],
    [72 + 2 * 16400 + 16, 32768],
    [72 + 2 * 16400 + 10, null],
  ])('plaintextSizeOf(%i) = %s', (size, expected) => {
    expect(plaintextSizeOf(size)).toBe(expected);
  });
});

// ---- damage -------------------------------------------------------------------------------

describe.each(providers)('damaged objects on %s', (_, c) => {
  const n = 3 * CHUNK_SIZE + 100;
  const pt = pattern(n);
  const ref = newFileRef();
  const ring = ringOf(['k1', 1], ['k2', 2]);
  const p: FormatParams = { keyring: ring, ref, crypto: c };
  let object: Uint8Array;
  const fresh = async () => (object ??= await encrypt(p, pt)).slice();

  const flip = async (at: number) => {
    const o = await fresh();
    o[at] ^= 0x01;
    return o;
  };

  async function openFails(o: Uint8Array, params: FormatParams = p) {
    return reason(openObject(params, o.subarray(0, OBJECT_PREFIX_SIZE)));
  }

  /** Decrypts `input` as the whole file; what came out before the error must be authenticated. */
  async function decryptFails(input: Uint8Array, maxReleased: number) {
    const d = await openObject(p, (await fresh()).subarray(0, OBJECT_PREFIX_SIZE));
    const { out, error } = await run(d.decrypt({ plaintextSize: n }), split(input, 3));
    expect(error).toBeInstanceOf(FormatError);
    expect(out.length).toBeLessThanOrEqual(maxReleased);
    expect(out.length % CHUNK_SIZE === 0 || out.length === n).toBe(true);
    expect(hex(out)).toBe(hex(pt.subarray(0, out.length)));
    return (error as FormatError).reason;
  }

  it('a changed magic byte, version or kid padding is a header error', async () => {
    expect(await openFails(await flip(0))).toBe('header');
    expect(await openFails(await flip(5))).toBe('header');
    expect(await openFails(await flip(15))).toBe('header');
    expect(await openFails((await fresh()).subarray(0, 10))).toBe('header');
  });

  it('a kid the keyring does not hold is unknown_kid', async () => {
    const o = await fresh();
    o.set(encodeHeader('k9'));
    expect(await openFails(o)).toBe('unknown_kid');
  });

  it('another kid the keyring holds fails the commitment (the header is in the context)', async () => {
    const o = await fresh();
    o.set(encodeHeader('k2'));
    expect(await openFails(o)).toBe('commitment');
  });

  it('a changed salt or commitment byte fails the commitment', async () => {
    expect(await openFails(await flip(HEADER_SIZE))).toBe('commitment');
    expect(await openFails(await flip(HEADER_SIZE + 23))).toBe('commitment');
    expect(await openFails(await flip(HEADER_SIZE + 24))).toBe('commitment');
    expect(await openFails(await flip(OBJECT_PREFIX_SIZE - 1))).toBe('commitment');
  });

  it('a wrong secret, file id or master key fails the commitment', async () => {
    const o = await fresh();
    const secret = ref.secret.slice();
    secret[0] ^= 1;
    const fileId = ref.fileId.slice();
    fileId[15] ^= 1;
    expect(await openFails(o, { ...p, ref: { fileId: ref.fileId, secret } })).toBe('commitment');
    expect(await openFails(o, { ...p, ref: { fileId, secret: ref.secret } })).toBe('commitment');
    expect(await openFails(o, { ...p, keyring: ringOf(['k1', 7]) })).toBe('commitment');
  });

  it('a prefix cut short is truncated', async () => {
    expect(await openFails((await fresh()).subarray(0, 40))).toBe('truncated');
  });

  it('a changed byte in a middle chunk fails that chunk, releasing nothing of it', async () => {
    const o = await flip(OBJECT_PREFIX_SIZE + 16400 + 9000);
    expect(await decryptFails(o.subarray(OBJECT_PREFIX_SIZE), CHUNK_SIZE)).toBe('chunk');
  });

  it('a changed tag byte in the final chunk fails it', async () => {
    const o = await flip((await fresh()).length - 1);
    expect(await decryptFails(o.subarray(OBJECT_PREFIX_SIZE), 3 * CHUNK_SIZE)).toBe('chunk');
  });

  it('an object cut at a chunk boundary is truncated', async () => {
    const o = await fresh();
    expect(plaintextSizeOf(OBJECT_PREFIX_SIZE + 3 * 16400)).toBeNull();
    expect(await decryptFails(o.subarray(OBJECT_PREFIX_SIZE, OBJECT_PREFIX_SIZE + 3 * 16400), 3 * CHUNK_SIZE)).toBe(
      'truncated',
    );
    expect(await decryptFails(o.subarray(OBJECT_PREFIX_SIZE, OBJECT_PREFIX_SIZE + 16400), CHUNK_SIZE)).toBe('truncated');
  });

  it('an object cut inside a chunk is truncated', async () => {
    const o = await fresh();
    expect(await decryptFails(o.subarray(OBJECT_PREFIX_SIZE, OBJECT_PREFIX_SIZE + 2 * 16400 + 5000), 2 * CHUNK_SIZE)).toBe(
      'truncated',
    );
    expect(await decryptFails(o.subarray(OBJECT_PREFIX_SIZE, o.length - 1), 3 * CHUNK_SIZE)).toBe('truncated');
  });

  it('bytes appended to an object are refused', async () => {
    const o = await fresh();
    expect(await decryptFails(concat([o.subarray(OBJECT_PREFIX_SIZE), new Uint8Array([0])]), n)).toBe('truncated');
    // Read by its (wrong) stored length instead, the same object fails a chunk.
    const longer = concat([o, new Uint8Array(20)]);
    const m = plaintextSizeOf(longer.length)!;
    const d = await openObject(p, longer.subarray(0, OBJECT_PREFIX_SIZE));
    const { out, error } = await run(d.decrypt({ plaintextSize: m }), [longer.subarray(OBJECT_PREFIX_SIZE)]);
    expect((error as FormatError).reason).toBe('chunk');
    expect(out.length).toBeLessThanOrEqual(3 * CHUNK_SIZE);
  });

  it('a range whose input is short or long is truncated', async () => {
    const o = await fresh();
    const r = objectRangeFor(n, 20000, 20010);
    const d = await openObject(p, o.subarray(0, OBJECT_PREFIX_SIZE));
    const short = await run(d.decrypt({ plaintextSize: n, start: 20000, end: 20010 }), [o.subarray(r.start, r.end)]);
    expect((short.error as FormatError).reason).toBe('truncated');
    expect(short.out.length).toBe(0);
    const long = await run(d.decrypt({ plaintextSize: n, start: 20000, end: 20010 }), [o.subarray(r.start, r.end + 2)]);
    expect((long.error as FormatError).reason).toBe('truncated');
    expect(long.out.length).toBe(0);
  });

  it('a whole-file read of a 16 KiB multiple misses a dropped empty final chunk', async () => {
    const even = await encrypt(p, pattern(2 * CHUNK_SIZE));
    const d = await openObject(p, even.subarray(0, OBJECT_PREFIX_SIZE));
    const { out, error } = await run(d.decrypt({ plaintextSize: 2 * CHUNK_SIZE }), [
      even.subarray(OBJECT_PREFIX_SIZE, even.length - TAG_SIZE),
    ]);
    expect((error as FormatError).reason).toBe('truncated');
    expect(out.length).toBeLessThanOrEqual(2 * CHUNK_SIZE);
  });
});

// ---- metadata -----------------------------------------------------------------------------

describe.each(providers)('metadata on %s', (_, c) => {
  const p: FormatParams = { keyring: ringOf(['k1', 1]), ref: newFileRef(), crypto: c };
  const meta: FileMeta = {
    filename: 'naïve “quotes” 😀.txt',
    type: 'text/plain',
    size: 12,
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-02T00:00:00.000Z',
    app: 'demo',
  };

  it('round-trips, fields in order and extras after them, ASCII-only JSON inside', async () => {
    const stored = await sealMetadata(p, { app: 'demo', ...meta });
    expect(await openMetadata(p, stored)).toEqual(meta);
    const json = serializeMeta({ app: 'demo', ...meta });
    expect(json).toMatch(/^{"filename":"na\\u00efve \\u201cquotes\\u201d \\ud83d\\ude00.txt","type":"text\/plain","size":12,/);
    expect(json.endsWith(',"app":"demo"}')).toBe(true);
    expect(/^[\x20-\x7e]*$/.test(json)).toBe(true);
    // an extra named __proto__ stays a field
    const odd = JSON.parse('{"filename":"a","type":"b","size":1,"createdAt":"c","expiresAt":"d","__proto__":{"x":1}}');
    expect(serializeMeta(odd)).toBe('{"filename":"a","type":"b","size":1,"createdAt":"c","expiresAt":"d","__proto__":{"x":1}}');
  });

  it('refuses metadata without the required fields', async () => {
    await expect(sealMetadata(p, { ...meta, size: -1 })).rejects.toThrow(TypeError);
    await expect(sealMetadata(p, { ...meta, filename: 3 } as unknown as FileMeta)).rejects.toThrow(TypeError);
  });

  it('fails with the reason for each kind of damage', async () => {
    const stored = await sealMetadata(p, meta);
    const flip = (at: number) => {
      const s = stored.slice();
      s[at] ^= 1;
      return s;
    };
    expect(await reason(openMetadata(p, flip(0)))).toBe('header');
    const otherKid = stored.slice();
    otherKid.set(encodeHeader('k2'));
    expect(await reason(openMetadata(p, otherKid))).toBe('unknown_kid');
    expect(await reason(openMetadata(p, flip(HEADER_SIZE)))).toBe('commitment');
    expect(await reason(openMetadata(p, flip(HEADER_SIZE + 30)))).toBe('commitment');
    expect(await reason(openMetadata(p, flip(OBJECT_PREFIX_SIZE + 3)))).toBe('chunk');
    expect(await reason(openMetadata(p, flip(stored.length - 1)))).toBe('chunk');
    // One chunk: a shorter length is another valid length whose chunk fails, until it is too short.
    expect(await reason(openMetadata(p, stored.subarray(0, stored.length - 1)))).toBe('chunk');
    expect(await reason(openMetadata(p, stored.subarray(0, OBJECT_PREFIX_SIZE + 10)))).toBe('truncated');
    expect(await reason(openMetadata(p, stored.subarray(0, 50)))).toBe('truncated');
    const wrongSecret = { ...p, ref: { fileId: p.ref.fileId, secret: new Uint8Array(16) } };
    expect(await reason(openMetadata(wrongSecret, stored))).toBe('commitment');
  });

  it('is not interchangeable with the data object (different context)', async () => {
    const stored = await sealMetadata(p, meta);
    expect(await reason(openObject(p, stored.subarray(0, OBJECT_PREFIX_SIZE)))).toBe('commitment');
    const object = await encrypt(p, new TextEncoder().encode(serializeMeta(meta)));
    expect(await reason(openMetadata(p, object))).toBe('commitment');
  });

  it('refuses authentic plaintext that is not Ferry metadata', async () => {
    // Sealed with the right key and context, but not a FileMeta.
    const kek = p.keyring.key('k1')!;
    const header = encodeHeader('k1');
    const inputKey = await deriveInputKey(c, kek, p.ref);
    const context = concat([new TextEncoder().encode('ferry/v1 meta'), header, p.ref.fileId]);
    const k = await deriveMessageKey(c, inputKey, new Uint8Array(24), context);
    const stored = await ok(encryptChunks(k, { header }), [new TextEncoder().encode('[1,2]')]);
    expect(await reason(openMetadata(p, stored))).toBe('chunk');
  });
});

// ---- key rotation ---------------------------------------------------------------------------

describe.each(providers)('key rotation on %s', (_, c) => {
  it('opens files under an old kid with a ring whose first kid is new, and encrypts new ones under the new kid', async () => {
    const ref = newFileRef();
    const old: Keyring = ringOf(['old', 1]);
    const rotated: Keyring = ringOf(['new', 2], ['old', 1]);
    const pt = pattern(20000);
    const meta: FileMeta = { filename: 'a', type: 'b', size: 20000, createdAt: 'x', expiresAt: 'y' };
    const object = await encrypt({ keyring: old, ref, crypto: c }, pt);
    const stored = await sealMetadata({ keyring: old, ref, crypto: c }, meta);

    const after: FormatParams = { keyring: rotated, ref, crypto: c };
    const d = await openObject(after, object.subarray(0, OBJECT_PREFIX_SIZE));
    expect(d.kid).toBe('old');
    expectBytes(await ok(d.decrypt({ plaintextSize: pt.length }), [object.subarray(OBJECT_PREFIX_SIZE)]), pt);
    expect(await openMetadata(after, stored)).toEqual(meta);

    const next = await encrypt(after, pt);
    expect(decodeHeader(next)).toEqual({ kid: 'new' });
    expect((await openObject(after, next.subarray(0, OBJECT_PREFIX_SIZE))).kid).toBe('new');

    // Once the old key is dropped (destroyed), its files no longer open.
    const retired: FormatParams = { keyring: ringOf(['new', 2]), ref, crypto: c };
    expect(await reason(openObject(retired, object.subarray(0, OBJECT_PREFIX_SIZE)))).toBe('unknown_kid');
    expect(await reason(openMetadata(retired, stored))).toBe('unknown_kid');
  });
});

// ---- handles and headers ----------------------------------------------------------------------

describe('handles', () => {
  it('are 43 base64url characters that decode back to the same reference', () => {
    for (let i = 0; i < 200; i++) {
      const ref = newFileRef();
      const h = encodeHandle(ref);
      expect(h).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(h).toBe(Buffer.from(concat([ref.fileId, ref.secret])).toString('base64url'));
      const back = decodeHandle(h)!;
      expect(hex(back.fileId)).toBe(hex(ref.fileId));
      expect(hex(back.secret)).toBe(hex(ref.secret));
      expect(fileIdHex(ref)).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it('are random', () => {
    expect(encodeHandle(newFileRef())).not.toBe(encodeHandle(newFileRef()));
  });

  const h = V.handle;
  it.each([
    ['empty', ''],
    ['42 characters', h.slice(0, 42)],
    ['44 characters', h + 'A'],
    ['padded', h + '='],
    ['standard base64 +', '+' + h.slice(1)],
    ['standard base64 /', h.slice(0, 10) + '/' + h.slice(11)],
    ['a space', h.slice(0, 42) + ' '],
    ['a newline', h.slice(0, 42) + '\n'],
    ['non-ASCII', h.slice(0, 42) + 'é'],
    ['a dot', h.slice(0, 20) + '.' + h.slice(21)],
    ['percent-encoding', h.slice(0, 40) + '%41'],
  ])('rejects %s', (_, bad) => {
    expect(decodeHandle(bad)).toBeNull();
  });

  it('accepts only the 16 canonical final characters', () => {
    const accepted = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].filter(
      (last) => decodeHandle(h.slice(0, 42) + last) !== null,
    );
    expect(accepted.join('')).toBe('AEIMQUYcgkosw048');
  });

  it('rejects what is not a string', () => {
    expect(decodeHandle(null as unknown as string)).toBeNull();
    expect(decodeHandle(42 as unknown as string)).toBeNull();
  });
});

describe('headers', () => {
  it('are "FERRY" 0x01 and the kid NUL-padded to 10 bytes', () => {
    expect(hex(encodeHeader('k2026a'))).toBe('4645525259016b323032366100000000');
    expect(hex(encodeHeader('abcdefghij'))).toBe('4645525259016162636465666768696a');
    expect(decodeHeader(encodeHeader('abcdefghij'))).toEqual({ kid: 'abcdefghij' });
    expect(decodeHeader(encodeHeader('~'))).toEqual({ kid: '~' });
  });

  it.each(['', 'abcdefghijk', 'a:b', 'a,b', 'a b', 'é', 'a\0'])('refuse to encode kid %j', (kid) => {
    expect(() => encodeHeader(kid)).toThrow(RangeError);
  });

  const good = encodeHeader('k1');
  const with_ = (at: number, value: number) => {
    const b = good.slice();
    b[at] = value;
    return b;
  };
  it.each([
    ['too short', good.subarray(0, 15)],
    ['another magic', with_(0, 0x66)],
    ['version 0', with_(5, 0)],
    ['version 2', with_(5, 2)],
    ['an empty kid', with_(6, 0)],
    ['bytes after the NUL padding', with_(12, 0x41)],
    ['a kid with a colon', with_(7, 0x3a)],
    ['a kid with a space', with_(7, 0x20)],
    ['a kid with a high byte', with_(7, 0xc3)],
  ])('decode to null when %s', (_, b) => {
    expect(decodeHeader(b)).toBeNull();
  });
});

describe('FormatError', () => {
  it('is an Error with a reason', () => {
    const e = new FormatError('chunk', 'x');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('FormatError');
    expect(e.reason).toBe('chunk');
  });
});
