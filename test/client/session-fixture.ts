// What Ferry hands a client when it opens a session, made here with Ferry's own format code:
// prepareObjectV2 seals the metadata and derives the data key (its AES key is caught on its way
// into the crypto provider), and the object `encrypt()` writes for the same plaintext is the
// reference every client-built part must equal byte for byte.
import { webCrypto, type CryptoProvider } from '../../src/crypto/aead.js';
import { parseKeyring } from '../../src/crypto/keyring.js';
import { encodeHandle, newFileRef, type FileRef } from '../../src/format.js';
import { prepareObjectV2, type FileMetaV2 } from '../../src/format-v2.js';
import { sessionObjectSize } from '../../src/client/part-geometry.js';
import type { SessionJson } from '../../src/client/session-api.js';

export const KEYRING = parseKeyring(`k1:${Buffer.alloc(32, 7).toString('base64')}`);

export interface Prepared {
  session: Omit<SessionJson, 'upload' | 'url'>;
  ref: FileRef;
  meta: FileMetaV2;
  /** The whole object prepareObjectV2's encrypt() writes for `plaintext`. */
  object(plaintext: Uint8Array): Promise<Uint8Array>;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export async function prepareSession(size: number, partSize: number, filename = 'f.bin'): Promise<Prepared> {
  const keys: Uint8Array[] = [];
  const recording: CryptoProvider = { ...webCrypto, aes128gcm: (k) => (keys.push(k.slice()), webCrypto.aes128gcm(k)) };
  const ref = newFileRef();
  const now = new Date();
  const meta: FileMetaV2 = { filename, type: 'application/octet-stream', createdAt: now.toISOString(), expiresAt: new Date(+now + 3600_000).toISOString(), app: 'test' };
  const prepared = await prepareObjectV2({ keyring: KEYRING, ref, crypto: recording }, meta);
  // prepareObjectV2 imports two AES keys: the metadata's, then the data's.
  const chunkKey = keys[keys.length - 1]!;
  const objectSize = sessionObjectSize({ prefixSize: prepared.prefix.length, size, partSize });
  return {
    ref,
    meta,
    session: {
      handle: encodeHandle(ref),
      size,
      objectSize,
      partSize,
      prefix: b64(prepared.prefix),
      chunkKey: b64(chunkKey),
      baseNonce: b64(prepared.dataKey.baseNonce),
      expiresAt: meta.expiresAt,
    },
    async object(plaintext) {
      const ts = prepared.encrypt();
      const w = ts.writable.getWriter();
      const writing = (async () => {
        if (plaintext.length) await w.write(plaintext);
        await w.close();
      })();
      const out = new Uint8Array(objectSize);
      let o = 0;
      const reader = ts.readable.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        out.set(r.value, o);
        o += r.value.length;
      }
      await writing;
      if (o !== objectSize) throw new Error(`encrypt() wrote ${o} bytes, the session says ${objectSize}`);
      return out;
    },
  };
}

/** Deterministic, badly compressing bytes. */
export function bytesOf(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
