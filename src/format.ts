// Ferry object format v1 (docs/format.md): a 16-byte header naming the key, then a C2SP
// chunked-encryption ciphertext whose input key comes from the master key and the file's secret,
// which exists only in the handle. Web APIs only, so the same code runs on Node and Workers;
// the CryptoProvider decides whether AES-GCM is WebCrypto or node:crypto.
import type { CryptoProvider } from './crypto/aead.js';
import { hkdf } from './crypto/aead.js';
import {
  CHUNK_SIZE as C2SP_CHUNK_SIZE,
  PREFIX_SIZE,
  TAG_SIZE as C2SP_TAG_SIZE,
  chunkSpan,
  ciphertextSize,
  decryptChunks,
  encryptChunks,
  plaintextSize,
} from './crypto/chunked.js';
import { isValidKid, type Keyring } from './crypto/keyring.js';
import { SALT_SIZE, deriveMessageKey, openMessageKey, type MessageKey } from './crypto/message-key.js';

export const HEADER_SIZE = 16;
/** header || salt || commitment: what openObject needs. */
export const OBJECT_PREFIX_SIZE = HEADER_SIZE + PREFIX_SIZE; // 72
export const CHUNK_SIZE = C2SP_CHUNK_SIZE; // 16384
export const TAG_SIZE = C2SP_TAG_SIZE; // 16
export const FORMAT_VERSION = 1;

const MAGIC = [0x46, 0x45, 0x52, 0x52, 0x59]; // "FERRY"
const KID_OFFSET = 6;
const utf8 = new TextEncoder();
const FILE_INFO = utf8.encode('ferry/v1 file');
const META_CONTEXT = utf8.encode('ferry/v1 meta');

// ---- handles -----------------------------------------------------------------------------

export interface FileRef {
  /** 16 random bytes: names the objects, safe to log (as hex). */
  fileId: Uint8Array;
  /** 16 random bytes: exists only in the handle, never stored or logged. */
  secret: Uint8Array;
}

const FILE_ID_SIZE = 16;
const SECRET_SIZE = 16;
const HANDLE_LENGTH = 43;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_VALUE = new Map([...B64URL].map((c, i) => [c, i]));

export function newFileRef(): FileRef {
  const b = crypto.getRandomValues(new Uint8Array(FILE_ID_SIZE + SECRET_SIZE));
  return { fileId: b.slice(0, FILE_ID_SIZE), secret: b.slice(FILE_ID_SIZE) };
}

/** base64url(fileId || secret), no padding: 43 characters. A bearer capability: never log it. */
export function encodeHandle(ref: FileRef): string {
  if (ref.fileId.length !== FILE_ID_SIZE || ref.secret.length !== SECRET_SIZE) {
    throw new RangeError('fileId and secret must be 16 bytes each');
  }
  const b = new Uint8Array(32);
  b.set(ref.fileId, 0);
  b.set(ref.secret, FILE_ID_SIZE);
  let s = '';
  for (let i = 0; i < 30; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += B64URL[v >>> 18]! + B64URL[(v >>> 12) & 63]! + B64URL[(v >>> 6) & 63]! + B64URL[v & 63]!;
  }
  const v = (b[30]! << 8) | b[31]!; // 16 bits → 3 characters, the last one's low 2 bits zero
  return s + B64URL[v >>> 10]! + B64URL[(v >>> 4) & 63]! + B64URL[(v << 2) & 63]!;
}

/**
 * The FileRef in a handle, or null for anything that is not exactly what encodeHandle makes:
 * 43 characters of the base64url alphabet, no padding, and a final character whose unused low
 * bits are zero (so every file has exactly one handle).
 */
export function decodeHandle(handle: string): FileRef | null {
  if (typeof handle !== 'string' || handle.length !== HANDLE_LENGTH) return null;
  const b = new Uint8Array(32);
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (const c of handle) {
    const v = B64URL_VALUE.get(c);
    if (v === undefined) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      b[j++] = (acc >>> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null; // non-canonical final character
  return { fileId: b.slice(0, FILE_ID_SIZE), secret: b.slice(FILE_ID_SIZE) };
}

/** Lowercase hex of the fileId: what logs and object keys use. */
export function fileIdHex(ref: FileRef): string {
  let s = '';
  for (const x of ref.fileId) s += x.toString(16).padStart(2, '0');
  return s;
}

// ---- sizes -------------------------------------------------------------------------------

/** Stored object length for a plaintext length: header + C2SP ciphertext. */
export function objectSize(plaintextSize: number): number {
  return HEADER_SIZE + ciphertextSize(plaintextSize);
}

/** The plaintext length of a stored object length, or null when none encrypts to it. */
export function plaintextSizeOf(objectSize: number): number | null {
  if (!Number.isSafeInteger(objectSize) || objectSize < HEADER_SIZE) return null;
  return plaintextSize(objectSize - HEADER_SIZE);
}

/**
 * The inclusive object byte range holding the chunks of the inclusive plaintext range
 * `start..end` (always past the 72-byte prefix, which openObject reads). An empty range
 * (`end === start - 1`, the whole of an empty file) covers the chunk at `start`. Throws
 * RangeError for a range outside the file.
 */
export function objectRangeFor(plaintextSize: number, start: number, end: number): { start: number; end: number } {
  const span = chunkSpan(plaintextSize, start, end);
  return { start: HEADER_SIZE + span.start, end: HEADER_SIZE + span.end };
}

// ---- header ------------------------------------------------------------------------------

/** "FERRY" || version (0x01 by default) || kid, ASCII, NUL-padded to 10 bytes. */
export function encodeHeader(kid: string, version: number = FORMAT_VERSION): Uint8Array {
  if (!isValidKid(kid)) throw new RangeError('kid must be 1–10 printable ASCII characters without ":" or ","');
  const h = new Uint8Array(HEADER_SIZE);
  h.set(MAGIC, 0);
  h[5] = version;
  h.set(utf8.encode(kid), KID_OFFSET);
  return h;
}

/** The version byte and kid of any Ferry header (v1 or v2); null unless `b` starts with one. */
export function decodeAnyHeader(b: Uint8Array): { version: number; kid: string } | null {
  if (b.length < HEADER_SIZE) return null;
  for (let i = 0; i < MAGIC.length; i++) if (b[i] !== MAGIC[i]) return null;
  let end = KID_OFFSET;
  while (end < HEADER_SIZE && b[end] !== 0) end++;
  for (let i = end; i < HEADER_SIZE; i++) if (b[i] !== 0) return null; // padding is all NUL
  const kid = String.fromCharCode(...b.subarray(KID_OFFSET, end));
  return isValidKid(kid) ? { version: b[5]!, kid } : null;
}

/** Reads the first 16 bytes of `b`; null unless they are a v1 header with a well-formed kid. */
export function decodeHeader(b: Uint8Array): { kid: string } | null {
  const h = decodeAnyHeader(b);
  return h && h.version === FORMAT_VERSION ? { kid: h.kid } : null;
}

// ---- objects -----------------------------------------------------------------------------

export interface FormatParams {
  keyring: Keyring;
  ref: FileRef;
  crypto: CryptoProvider;
}

export type FormatErrorReason = 'header' | 'unknown_kid' | 'commitment' | 'chunk' | 'truncated';

/**
 * Why a stored object or metadata did not open:
 * - header: not a Ferry v1 header;
 * - unknown_kid: the header names a kid the keyring does not hold;
 * - commitment: wrong file secret, wrong key, or a changed header/salt/commitment;
 * - chunk: a chunk failed authentication (or sealed metadata is not Ferry metadata);
 * - truncated: the data ends early, or goes on past the final chunk.
 */
export class FormatError extends Error {
  constructor(
    readonly reason: FormatErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}

/** inputKey = HKDF-SHA-256(IKM = KEK, salt = fileSecret, info = "ferry/v1 file" || fileId, L = 16) */
export async function deriveInputKey(provider: CryptoProvider, kek: Uint8Array, ref: FileRef): Promise<Uint8Array> {
  return hkdf(provider, kek, ref.secret, concat(FILE_INFO, ref.fileId), 16);
}

function checkRef(ref: FileRef): void {
  if (ref.fileId.length !== FILE_ID_SIZE || ref.secret.length !== SECRET_SIZE) {
    throw new RangeError('fileId and secret must be 16 bytes each');
  }
}

function checkSalt(salt: Uint8Array | undefined): Uint8Array {
  if (salt === undefined) return crypto.getRandomValues(new Uint8Array(SALT_SIZE));
  if (salt.length !== SALT_SIZE) throw new RangeError(`salt must be ${SALT_SIZE} bytes`);
  return salt.slice();
}

/** The encryption side: keyring.current's header, and a key for `context` under it. */
function sealer(p: FormatParams) {
  checkRef(p.ref);
  const kid = p.keyring.current;
  const kek = p.keyring.key(kid);
  if (!kek) throw new Error(`keyring has no key for its current kid "${kid}"`);
  const header = encodeHeader(kid);
  return {
    header,
    key: async (salt: Uint8Array, context: (header: Uint8Array) => Uint8Array) =>
      deriveMessageKey(p.crypto, await deriveInputKey(p.crypto, kek, p.ref), salt, context(header)),
  };
}

/** The decryption side: header → kid → key → commitment, each failing with its own reason. */
async function openingKey(
  p: FormatParams,
  prefix: Uint8Array,
  context: (header: Uint8Array) => Uint8Array,
): Promise<{ kid: string; key: MessageKey }> {
  const h = decodeHeader(prefix);
  if (!h) throw new FormatError('header', 'not a Ferry v1 object header');
  const kek = p.keyring.key(h.kid);
  if (!kek) throw new FormatError('unknown_kid', `no key for kid "${h.kid}"`);
  if (prefix.length < OBJECT_PREFIX_SIZE) throw new FormatError('truncated', 'shorter than header, salt and commitment');
  const salt = prefix.subarray(HEADER_SIZE, HEADER_SIZE + SALT_SIZE);
  const commitment = prefix.subarray(HEADER_SIZE + SALT_SIZE, OBJECT_PREFIX_SIZE);
  const inputKey = await deriveInputKey(p.crypto, kek, p.ref);
  const key = await openMessageKey(p.crypto, inputKey, salt, commitment, context(prefix.subarray(0, HEADER_SIZE)));
  if (!key) throw new FormatError('commitment', 'commitment mismatch (wrong secret or key, or altered prefix)');
  return { kid: h.kid, key };
}

const objectContext = (ref: FileRef) => (header: Uint8Array) => concat(header, ref.fileId);
const metaContext = (ref: FileRef) => (header: Uint8Array) => concat(META_CONTEXT, header, ref.fileId);

/**
 * Encrypts a file's plaintext into a stored object: header || salt || commitment || chunks,
 * under keyring.current. Key derivation is asynchronous and happens in the stream's start().
 */
export function encryptObject(p: FormatParams, opts: { salt?: Uint8Array } = {}): TransformStream<Uint8Array, Uint8Array> {
  const { header, key } = sealer(p);
  const salt = checkSalt(opts.salt);
  return encryptChunks(() => key(salt, objectContext(p.ref)), { header });
}

export interface ObjectDecryptor {
  /** The kid the object was encrypted under. */
  readonly kid: string;
  /**
   * Input: the object bytes objectRangeFor(plaintextSize, start, end) names (inclusive).
   * Output: exactly plaintext bytes start..end (inclusive; default the whole file), each chunk
   * released only once it authenticated. Errors with FormatError 'chunk' or 'truncated'.
   */
  decrypt(o: { plaintextSize: number; start?: number; end?: number }): TransformStream<Uint8Array, Uint8Array>;
}

/**
 * Checks an object's first 72 bytes (header, kid, commitment) and returns its decryptor.
 * Throws FormatError ('header', 'unknown_kid', 'truncated', 'commitment').
 */
export async function openObject(p: FormatParams, prefix: Uint8Array): Promise<ObjectDecryptor> {
  checkRef(p.ref);
  const { kid, key } = await openingKey(p, prefix, objectContext(p.ref));
  return {
    kid,
    decrypt: ({ plaintextSize, start, end }) =>
      decryptChunks(key, { plaintextSize, start, end, error: (reason, message) => new FormatError(reason, message) }),
  };
}

// ---- metadata ----------------------------------------------------------------------------

export interface FileMeta {
  filename: string;
  type: string;
  size: number;
  createdAt: string;
  expiresAt: string;
  [extra: string]: unknown;
}

const META_FIELDS = ['filename', 'type', 'size', 'createdAt', 'expiresAt'] as const;

/**
 * The sealed metadata plaintext: JSON with the five fields first, in that order, then any
 * extras; non-ASCII escaped as \uXXXX (lowercase hex) so the bytes do not depend on how a
 * runtime normalises or encodes text.
 */
export function serializeMeta(meta: FileMeta): string {
  checkMeta(meta);
  // Null prototype: an extra named "__proto__" stays a plain field.
  const ordered: Record<string, unknown> = Object.create(null);
  for (const f of META_FIELDS) ordered[f] = meta[f];
  for (const [k, v] of Object.entries(meta)) if (!(k in ordered)) ordered[k] = v;
  return JSON.stringify(ordered).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function checkMeta(meta: unknown): asserts meta is FileMeta {
  const m = meta as Record<string, unknown>;
  if (
    typeof m !== 'object' ||
    m === null ||
    Array.isArray(m) ||
    typeof m.filename !== 'string' ||
    typeof m.type !== 'string' ||
    !Number.isSafeInteger(m.size) ||
    (m.size as number) < 0 ||
    typeof m.createdAt !== 'string' ||
    typeof m.expiresAt !== 'string'
  ) {
    throw new TypeError('metadata needs filename, type, createdAt, expiresAt strings and a size');
  }
}

/** header(16) || salt || commitment || chunks of the metadata JSON, under keyring.current. */
export async function sealMetadata(p: FormatParams, meta: FileMeta, opts: { salt?: Uint8Array } = {}): Promise<Uint8Array> {
  const { header, key } = sealer(p);
  const plaintext = utf8.encode(serializeMeta(meta));
  return runThrough(encryptChunks(await key(checkSalt(opts.salt), metaContext(p.ref)), { header }), plaintext);
}

/** Opens a stored metadata object. Throws FormatError. */
export async function openMetadata(p: FormatParams, stored: Uint8Array): Promise<FileMeta> {
  checkRef(p.ref);
  const { key } = await openingKey(p, stored, metaContext(p.ref));
  const size = plaintextSizeOf(stored.length);
  if (size === null) throw new FormatError('truncated', 'metadata length is not a valid ciphertext length');
  const plaintext = await runThrough(
    decryptChunks(key, { plaintextSize: size, error: (reason, message) => new FormatError(reason, message) }),
    stored.subarray(OBJECT_PREFIX_SIZE),
  );
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
    checkMeta(meta);
  } catch {
    throw new FormatError('chunk', 'sealed metadata is not Ferry metadata');
  }
  return meta;
}

// ---- helpers -----------------------------------------------------------------------------

/** The parts, one after another, in a new array. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Pushes one small buffer through a transform and collects the output (sealed metadata). */
export async function runThrough(ts: TransformStream<Uint8Array, Uint8Array>, input: Uint8Array): Promise<Uint8Array> {
  const writer = ts.writable.getWriter();
  const written = (async () => {
    if (input.length > 0) await writer.write(input);
    await writer.close();
  })();
  written.catch(() => {}); // the readable side reports the same error
  const parts: Uint8Array[] = [];
  const reader = ts.readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  await written;
  return concat(...parts);
}
