// Builds the parts of an upload session the way a client does, from nothing but the session's
// JSON (prefix, chunkKey, baseNonce, size, partSize): part n is the slice of prefix || sealed
// chunks, chunk k sealed with AES-128-GCM(chunkKey, baseNonce XOR k). Written on node:crypto
// and the C2SP text, not on Ferry's own transforms, so a test that downloads the result checks
// Ferry against an independent encryption.
import { createCipheriv } from 'node:crypto';

const CHUNK = 16384;
const TAG = 16;
const SEALED = CHUNK + TAG;

export interface SessionJson {
  upload: string;
  handle: string;
  url: string;
  size: number;
  objectSize: number;
  partSize: number;
  prefix: string;
  chunkKey: string;
  baseNonce: string;
  expiresAt: string;
}

/** Plaintext bytes [start, end) of the file being uploaded. */
export type Plaintext = (start: number, end: number) => Uint8Array;

export function partCountOf(s: SessionJson): number {
  return Math.max(1, Math.ceil(s.objectSize / s.partSize));
}

function nonceOf(base: Buffer, k: number): Buffer {
  const n = Buffer.from(base);
  n[7]! ^= Math.floor(k / 2 ** 32);
  n.writeUInt32BE((n.readUInt32BE(8) ^ (k >>> 0)) >>> 0, 8);
  return n;
}

function sealChunk(s: SessionJson, plaintext: Plaintext, k: number): Buffer {
  const key = Buffer.from(s.chunkKey, 'base64');
  const cipher = createCipheriv('aes-128-gcm', key, nonceOf(Buffer.from(s.baseNonce, 'base64'), k));
  const start = k * CHUNK;
  const out = Buffer.concat([cipher.update(plaintext(start, Math.min(s.size, start + CHUNK))), cipher.final(), cipher.getAuthTag()]);
  return out;
}

/** Object bytes [start, end): the prefix, then whichever sealed chunks the range crosses. */
export function objectSlice(s: SessionJson, plaintext: Plaintext, start: number, end: number): Uint8Array {
  const prefix = Buffer.from(s.prefix, 'base64');
  const out = Buffer.alloc(end - start);
  let at = start;
  if (at < prefix.length) {
    const n = Math.min(end, prefix.length) - at;
    prefix.copy(out, 0, at, at + n);
    at += n;
  }
  while (at < end) {
    const k = Math.floor((at - prefix.length) / SEALED);
    const chunkStart = prefix.length + k * SEALED;
    const sealed = sealChunk(s, plaintext, k);
    const from = at - chunkStart;
    const n = Math.min(sealed.length - from, end - at);
    sealed.copy(out, at - start, from, from + n);
    at += n;
  }
  return out;
}

/** Part n (from 1) of the session. */
export function sessionPart(s: SessionJson, plaintext: Plaintext, n: number): Uint8Array<ArrayBuffer> {
  const start = (n - 1) * s.partSize;
  return objectSlice(s, plaintext, start, Math.min(s.objectSize, start + s.partSize)) as Uint8Array<ArrayBuffer>;
}

/** A deterministic plaintext of any size, computed per byte range (no whole-file buffer). */
export function patternText(seed = 1): Plaintext {
  return (start, end) => {
    const out = new Uint8Array(end - start);
    for (let i = start; i < end; i++) out[i - start] = (Math.imul(i ^ seed, 2654435761) >>> 24) & 0xff;
    return out;
  };
}
