// The C2SP key schedule: both providers derive the same nonce and commitment, salt and context
// are bound in, and openMessageKey refuses a key whose commitment does not match.
import { describe, expect, it } from 'vitest';
import { webCrypto, type CryptoProvider } from '../../src/crypto/aead.js';
import { deriveMessageKey, openMessageKey } from '../../src/crypto/message-key.js';
import { nodeCrypto } from '../../src/crypto/node-crypto.js';

const inputKey = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const salt = Uint8Array.from({ length: 24 }, (_, i) => i);
const context = new TextEncoder().encode('test context');

async function keyFor(c: CryptoProvider) {
  return deriveMessageKey(c, inputKey, salt, context);
}

// ---- key derivation -------------------------------------------------------------------------

describe('key derivation', () => {
  it('gives both providers the same base nonce and commitment', async () => {
    const [a, b] = await Promise.all([keyFor(webCrypto), keyFor(nodeCrypto)]);
    expect(a.baseNonce).toEqual(b.baseNonce);
    expect(a.commitment).toEqual(b.commitment);
    expect(a.baseNonce.length).toBe(12);
    expect(a.commitment.length).toBe(32);
  });

  it('binds salt and context into the key', async () => {
    const k = await keyFor(nodeCrypto);
    const otherSalt = await deriveMessageKey(nodeCrypto, inputKey, salt.map((x) => x ^ 1), context);
    const otherContext = await deriveMessageKey(nodeCrypto, inputKey, salt, new Uint8Array([1]));
    expect(otherSalt.commitment).not.toEqual(k.commitment);
    expect(otherContext.commitment).not.toEqual(k.commitment);
  });

  it('openMessageKey hands out a key only for the right commitment', async () => {
    const k = await keyFor(nodeCrypto);
    expect(await openMessageKey(nodeCrypto, inputKey, salt, k.commitment, context)).not.toBeNull();
    const bad = k.commitment.slice();
    bad[31] ^= 0x80;
    expect(await openMessageKey(nodeCrypto, inputKey, salt, bad, context)).toBeNull();
    expect(await openMessageKey(nodeCrypto, inputKey, salt, k.commitment.subarray(0, 31), context)).toBeNull();
  });

  it('refuses wrong input key and salt lengths', async () => {
    await expect(deriveMessageKey(nodeCrypto, new Uint8Array(32), salt, context)).rejects.toThrow(RangeError);
    await expect(deriveMessageKey(nodeCrypto, inputKey, new Uint8Array(16), context)).rejects.toThrow(RangeError);
  });
});
