// The two primitives Ferry's format needs, AES-128-GCM and HMAC-SHA-256, behind one small
// interface so the same chunked-encryption code runs on WebCrypto (Workers, browsers, Node) and
// on node:crypto (the Node fast path, src/crypto/node-crypto.ts). Both produce identical bytes.
// HKDF is built here on top of HMAC because WebCrypto's HKDF always runs Extract first, while
// C2SP chunked encryption needs HKDF-Expand alone.

/**
 * AES-128-GCM under one key, 12-byte nonces, empty AAD, 16-byte tags appended to the ciphertext.
 *
 * Both methods must finish reading their arguments before they return (WebCrypto copies its
 * inputs synchronously), because callers reuse their buffers as soon as the call returns.
 */
export interface AesGcm {
  seal(nonce: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> | Uint8Array;
  /** throws (or rejects) on authentication failure */
  open(nonce: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

export interface CryptoProvider {
  aes128gcm(key: Uint8Array): Promise<AesGcm>;
  /** how many chunks a stream keeps in flight */
  readonly concurrency: number;
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> | Uint8Array;
}

// TypeScript 5.7+ types WebCrypto inputs as ArrayBuffer-backed views only; ours always are.
const bytes = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

/**
 * WebCrypto only (`crypto.subtle`): works in Cloudflare Workers, browsers and Node. Each call
 * costs about 50 µs on Node, so streams keep several chunks in flight.
 */
export const webCrypto: CryptoProvider = {
  concurrency: 16,

  async aes128gcm(key) {
    if (key.length !== 16) throw new RangeError('AES-128-GCM needs a 16-byte key');
    const k = await crypto.subtle.importKey('raw', bytes(key), 'AES-GCM', false, ['encrypt', 'decrypt']);
    return {
      // Not async: subtle.encrypt must be called (and copy its inputs) before we return.
      seal: (nonce, plaintext) =>
        crypto.subtle
          .encrypt({ name: 'AES-GCM', iv: bytes(nonce) }, k, bytes(plaintext))
          .then((b) => new Uint8Array(b)),
      open: (nonce, sealed) =>
        crypto.subtle
          .decrypt({ name: 'AES-GCM', iv: bytes(nonce) }, k, bytes(sealed))
          .then((b) => new Uint8Array(b)),
    };
  },

  async hmacSha256(key, data) {
    const k = await crypto.subtle.importKey('raw', bytes(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    return new Uint8Array(await crypto.subtle.sign('HMAC', k, bytes(data)));
  },
};

/** RFC 5869 HKDF-Extract with SHA-256. */
export async function hkdfExtract(c: CryptoProvider, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  // An absent salt is HashLen zero bytes (RFC 5869 §2.2); WebCrypto refuses zero-length HMAC keys.
  return c.hmacSha256(salt.length > 0 ? salt : new Uint8Array(32), ikm);
}

/** RFC 5869 HKDF-Expand with SHA-256. */
export async function hkdfExpand(
  c: CryptoProvider,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  if (!Number.isInteger(length) || length < 0 || length > 255 * 32) {
    throw new RangeError('HKDF-Expand length out of range');
  }
  const out = new Uint8Array(length);
  const input = new Uint8Array(32 + info.length + 1);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, done = 0; done < length; i++) {
    input.set(t, 0);
    input.set(info, t.length);
    input[t.length + info.length] = i;
    t = await c.hmacSha256(prk, input.subarray(0, t.length + info.length + 1));
    out.set(t.subarray(0, Math.min(32, length - done)), done);
    done += 32;
  }
  return out;
}

/** RFC 5869 HKDF (Extract then Expand) with SHA-256. */
export async function hkdf(
  c: CryptoProvider,
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  return hkdfExpand(c, await hkdfExtract(c, salt, ikm), info, length);
}
