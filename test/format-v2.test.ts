// Ferry object format v2 (one object per file): every published vector byte for byte on both
// providers, ranges through the variable-length prefix, and damage failing with its reason.
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { webCrypto, type CryptoProvider } from '../src/crypto/aead.js';
import { parseKeyring } from '../src/crypto/keyring.js';
import { nodeCrypto } from '../src/crypto/node-crypto.js';
import { FormatError, deriveInputKey, encodeHandle, fileIdHex, newFileRef, type FileRef, type FormatParams } from '../src/format.js';
import {
  LEAD_SIZE,
  MAX_PREFIX_SIZE,
  decodeLead,
  objectRangeV2,
  objectSizeV2,
  openObjectV2,
  plaintextSizeV2,
  prefixSizeV2,
  prepareObjectV2,
  prepareUploadV2,
  serializeMetaV2,
  type FileMetaV2,
} from '../src/format-v2.js';
import { expectBytes, hex, run, split } from './helpers/byte-streams.js';

interface Vectors {
  kekBase64: string;
  kid: string;
  fileIdHex: string;
  fileSecretHex: string;
  handle: string;
  inputKeyHex: string;
  dataSaltHex: string;
  metaSaltHex: string;
  metaJson: string;
  objects: { plaintextLength: number; plaintextSha256: string; objectLength: number; objectSha256: string; objectPrefixHex: string; objectHex?: string }[];
}
const V: Vectors = JSON.parse(readFileSync(new URL('./fixtures/format-v2.json', import.meta.url), 'utf8'));

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

const providers: [string, CryptoProvider][] = [
  ['webCrypto', webCrypto],
  ['nodeCrypto', nodeCrypto],
];
const ring = parseKeyring(`${V.kid}:${V.kekBase64}`);
const ref: FileRef = { fileId: fromHex(V.fileIdHex), secret: fromHex(V.fileSecretHex) };
const META: FileMetaV2 = JSON.parse(V.metaJson);

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

describe.each(providers)('format-v2.json vectors on %s', (_, c) => {
  const p: FormatParams = { keyring: ring, ref, crypto: c };
  const salts = { metaSalt: fromHex(V.metaSaltHex), dataSalt: fromHex(V.dataSaltHex) };

  it('keeps the handle and input key of v1', async () => {
    expect(encodeHandle(ref)).toBe(V.handle);
    expect(fileIdHex(ref)).toBe(V.fileIdHex);
    expect(hex(await deriveInputKey(c, ring.key(V.kid)!, ref))).toBe(V.inputKeyHex);
  });

  it('serializes the metadata exactly as metaJson (compact, unescaped)', () => {
    expect(serializeMetaV2(META)).toBe(V.metaJson);
  });

  for (const v of V.objects) {
    it(`writes the ${v.plaintextLength}-byte object byte for byte, and reads it back`, async () => {
      const pt = pattern(v.plaintextLength);
      expect(sha256(pt)).toBe(v.plaintextSha256);
      const prepared = await prepareObjectV2(p, META, salts);
      // The vectors' objectPrefixHex is header || length || sealedMeta; DESIGN's prefix goes on
      // through data's salt and commitment.
      expect(hex(prepared.prefix.subarray(0, v.objectPrefixHex.length / 2))).toBe(v.objectPrefixHex);
      const object = await ok(prepared.encrypt(), split(pt, v.plaintextLength + 7));
      expect(hex(object.subarray(0, prepared.prefix.length))).toBe(hex(prepared.prefix));
      expect(object.length).toBe(v.objectLength);
      expect(sha256(object)).toBe(v.objectSha256);
      if (v.objectHex) expect(hex(object)).toBe(v.objectHex);
      expect(objectSizeV2(prepared.prefix.length, v.plaintextLength)).toBe(v.objectLength);

      const opened = await openObjectV2(p, object.subarray(0, MAX_PREFIX_SIZE));
      expect(opened.meta).toEqual(META);
      expect(opened.prefixSize).toBe(prepared.prefix.length);
      const size = plaintextSizeV2(opened.prefixSize, object.length);
      expect(size).toBe(v.plaintextLength);
      const back = await ok((await opened.openData()).decrypt({ plaintextSize: size! }), split(object.subarray(opened.prefixSize), 3));
      expectBytes(back, pt);
    });
  }
});

describe.each(providers)('prepareUploadV2 (upload sessions) on %s', (_, c) => {
  const p: FormatParams = { keyring: ring, ref, crypto: c };
  const salts = { metaSalt: fromHex(V.metaSaltHex), dataSalt: fromHex(V.dataSaltHex) };

  for (const v of V.objects) {
    it(`gives a client what it needs to write the ${v.plaintextLength}-byte vector object itself`, async () => {
      const prepared = await prepareUploadV2(p, META, salts);
      expect(hex(prepared.prefix)).toBe(hex((await prepareObjectV2(p, META, salts)).prefix));
      expect(prepared.chunkKey).toHaveLength(16);
      expect(prepared.baseNonce).toHaveLength(12);
      // Seal chunk k with AES-128-GCM(chunkKey, baseNonce XOR k), as a client does, on node:crypto.
      const pt = pattern(v.plaintextLength);
      const parts: Uint8Array[] = [prepared.prefix];
      for (let k = 0; k * 16384 <= pt.length; k++) {
        const nonce = Buffer.from(prepared.baseNonce);
        nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ k) >>> 0, 8);
        const cipher = createCipheriv('aes-128-gcm', prepared.chunkKey, nonce);
        parts.push(cipher.update(pt.subarray(k * 16384, (k + 1) * 16384)), cipher.final(), cipher.getAuthTag());
      }
      const object = Buffer.concat(parts);
      expect(object.length).toBe(v.objectLength);
      expect(sha256(object)).toBe(v.objectSha256);
    });
  }

  it('holds no key but the data key: a fresh upload has its own key, nonce and salt', async () => {
    const a = await prepareUploadV2(p, META);
    const b = await prepareUploadV2(p, META);
    expect(hex(a.chunkKey)).not.toBe(hex(b.chunkKey));
    expect(hex(a.baseNonce)).not.toBe(hex(b.baseNonce));
    expect(hex(a.prefix)).not.toBe(hex(b.prefix));
  });
});

describe.each(providers)('v2 objects on %s', (_, c) => {
  const p = (r: FileRef = ref): FormatParams => ({ keyring: ring, ref: r, crypto: c });
  const n = 3 * 16384 + 100;
  const pt = pattern(n);

  it('read any range through the prefix with only the chunks it needs', async () => {
    const prepared = await prepareObjectV2(p(), META);
    const object = await ok(prepared.encrypt(), split(pt, 9));
    const opened = await openObjectV2(p(), object.subarray(0, prefixSizeV2(object)));
    for (const [s, e] of [[0, 0], [16383, 16384], [40000, n - 1], [n - 1, n - 1], [5, 16383 * 2]] as const) {
      const r = objectRangeV2(opened.prefixSize, n, s, e);
      const out = await ok((await opened.openData()).decrypt({ plaintextSize: n, start: s, end: e }), [object.subarray(r.start, r.end + 1)]);
      expectBytes(out, pt.subarray(s, e + 1));
    }
  });

  it('refuse a wrong secret (commitment), another header version, and a cut prefix', async () => {
    const prepared = await prepareObjectV2(p(), META);
    const object = await ok(prepared.encrypt(), [pt]);
    const other = newFileRef();
    expect(await reason(openObjectV2(p({ fileId: ref.fileId, secret: other.secret }), object))).toBe('commitment');
    const badData = object.slice();
    badData[prepared.prefix.length - 1] ^= 1;
    const opened = await openObjectV2(p(), badData);
    expect(opened.meta).toEqual(META);
    expect(await reason(opened.openData())).toBe('commitment');
    const v1ish = object.slice();
    v1ish[5] = 1;
    expect(await reason(openObjectV2(p(), v1ish))).toBe('header');
    expect(await reason(openObjectV2(p(), object.subarray(0, LEAD_SIZE + 10)))).toBe('truncated');
    const badMeta = object.slice();
    badMeta[LEAD_SIZE + 60] ^= 1;
    expect(await reason(openObjectV2(p(), badMeta))).toBe('chunk');
    const badLength = object.slice();
    badLength[16] = 0xff;
    expect(await reason(openObjectV2(p(), badLength))).toBe('header');
  });

  it('lead names the version and kid', async () => {
    const prepared = await prepareObjectV2(p(), META);
    expect(decodeLead(prepared.prefix)).toEqual({ version: 2, kid: V.kid });
  });

  it('a data length that no file encrypts to has no size (truncated at a chunk boundary)', async () => {
    const prepared = await prepareObjectV2(p(), META);
    const object = await ok(prepared.encrypt(), [pt]);
    const cut = object.length - (100 + 16); // drop the short final chunk
    expect(plaintextSizeV2(prepared.prefix.length, cut)).toBeNull();
  });
});
