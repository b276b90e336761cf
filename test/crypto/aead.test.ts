// The two AEAD/HMAC providers behind one interface: HKDF built on their HMAC (RFC 5869 vectors on
// both), and the rule every caller relies on, that WebCrypto reads its inputs before returning.
import { describe, expect, it } from 'vitest';
import { webCrypto, hkdf, hkdfExpand, type CryptoProvider } from '../../src/crypto/aead.js';
import { nodeCrypto } from '../../src/crypto/node-crypto.js';
import { hex } from '../helpers/byte-streams.js';

const providers: [string, CryptoProvider][] = [
  ['webCrypto', webCrypto],
  ['nodeCrypto', nodeCrypto],
];

const inputKey = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

const pattern = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
};

// ---- HKDF ---------------------------------------------------------------------------------

describe.each(providers)('HKDF on %s', (_, c) => {
  // RFC 5869 test case 1.
  it('matches RFC 5869 A.1', async () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    const salt = Uint8Array.from({ length: 13 }, (_, i) => i);
    const info = Uint8Array.from({ length: 10 }, (_, i) => 0xf0 + i);
    expect(hex(await hkdf(c, ikm, salt, info, 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('expands to any length up to 255 blocks, and no further', async () => {
    const prk = new Uint8Array(32).fill(7);
    const long = await hkdfExpand(c, prk, new Uint8Array(0), 100);
    expect((await hkdfExpand(c, prk, new Uint8Array(0), 60))).toEqual(long.subarray(0, 60));
    await expect(hkdfExpand(c, prk, new Uint8Array(0), 255 * 32 + 1)).rejects.toThrow(RangeError);
  });
});

describe('webCrypto', () => {
  it('WebCrypto seal and open copy their inputs before returning', async () => {
    const aead = await webCrypto.aes128gcm(inputKey);
    const nonce = new Uint8Array(12);
    const data = pattern(1000);
    const expected = await aead.seal(nonce, data);
    const pending = aead.seal(nonce, data);
    data.fill(0);
    nonce.fill(1);
    expect(await pending).toEqual(expected);
  });
});
