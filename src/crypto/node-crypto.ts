// The Node fast path: the same CryptoProvider as `webCrypto`, on node:crypto's synchronous
// AES-128-GCM, which costs a few microseconds a chunk instead of WebCrypto's ~50 µs round trip
// through the thread pool. Output is byte-identical (the format vectors run against both).
// Only src/node.ts and tests import this file; shared code takes a CryptoProvider.
import type { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, createHmac, createSecretKey } from 'node:crypto';
import type { AesGcm, CryptoProvider } from './aead.js';
import { slabCarver } from './byte-runs.js';

const TAG = 16;
/** 16 sealed 16 KiB chunks. */
const SLAB_SIZE = 16 * (16384 + TAG);
/** Smaller outputs (metadata, a short final chunk that does not fit) get their own buffer. */
const SLAB_MIN_OUTPUT = 4096;

// Plain Uint8Array views over Buffers, so callers (and test equality) never see Buffer.
const view = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export const nodeCrypto: CryptoProvider = {
  // Synchronous: nothing to keep in flight.
  concurrency: 1,

  async aes128gcm(keyBytes): Promise<AesGcm> {
    if (keyBytes.length !== 16) throw new RangeError('AES-128-GCM needs a 16-byte key');
    const key = createSecretKey(keyBytes);
    // Sealed chunks are carved back to back from one slab: one allocation per 16 chunks instead
    // of one per chunk, and consecutive chunks that stream code rejoins (byte-runs.ts).
    const output = slabCarver(SLAB_SIZE, SLAB_MIN_OUTPUT);
    return {
      seal(nonce, plaintext) {
        const cipher = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: TAG });
        const out = output(plaintext.length + TAG);
        out.set(cipher.update(plaintext), 0);
        cipher.final();
        out.set(cipher.getAuthTag(), plaintext.length);
        return out;
      },
      open(nonce, sealed) {
        if (sealed.length < TAG) throw new Error('sealed chunk shorter than its tag');
        const n = sealed.length - TAG;
        const decipher = createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: TAG });
        decipher.setAuthTag(sealed.subarray(n));
        const plaintext = decipher.update(sealed.subarray(0, n));
        decipher.final(); // throws when the tag does not authenticate
        return view(plaintext);
      },
    };
  },

  hmacSha256(key, data) {
    return view(createHmac('sha256', key).update(data).digest());
  },
};
