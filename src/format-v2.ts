// Ferry object format v2 (docs/format.md): one object per file. The sealed metadata travels in
// front of the data, so an upload is one store write and a download one read:
//   object = header || u32be(len(sealedMeta)) || sealedMeta || data
// Both sealedMeta and data are C2SP chunked-encryption messages under the same input key as v1,
// with different contexts; the file's size is not stored, because C2SP's short final chunk
// authenticates the data's length. Web APIs only.
import type { CryptoProvider } from './crypto/aead.js';
import { PREFIX_SIZE as C2SP_PREFIX_SIZE, ciphertextSize, chunkSpan, decryptChunks, encryptChunks, plaintextSize } from './crypto/chunked.js';
import { SALT_SIZE, deriveMessageKey, deriveMessageSecrets, openMessageKey, type MessageKey } from './crypto/message-key.js';
import { isValidKid } from './crypto/keyring.js';
import { FormatError, HEADER_SIZE, deriveInputKey, type FormatParams, type ObjectDecryptor } from './format.js';

export const FORMAT_V2 = 2;
/** u32be length of the sealed metadata, after the header. */
export const LENGTH_SIZE = 4;
/** The sealed metadata's ceiling: what keeps a prefix read bounded. */
export const SEALED_META_MAX_SIZE = 4096;
/** header || length: enough to know where everything else lies. */
export const LEAD_SIZE = HEADER_SIZE + LENGTH_SIZE;
/** The longest prefix (everything before data's first chunk) any v2 object can have. */
export const MAX_PREFIX_SIZE = LEAD_SIZE + SEALED_META_MAX_SIZE + C2SP_PREFIX_SIZE;

const MAGIC = [0x46, 0x45, 0x52, 0x52, 0x59]; // "FERRY"
const KID_OFFSET = 6;
const utf8 = new TextEncoder();
const META_CONTEXT = utf8.encode('ferry/v2 meta');

/** What v2 seals in front of the data. The size is not here: the data's C2SP length is it. */
export interface FileMetaV2 {
  filename: string;
  type: string;
  createdAt: string;
  expiresAt: string;
  app: string;
}

const META_FIELDS = ['filename', 'type', 'createdAt', 'expiresAt', 'app'] as const;

/** Compact JSON, these five fields in this order, text as it is (UTF-8, nothing escaped). */
export function serializeMetaV2(meta: FileMetaV2): string {
  checkMetaV2(meta);
  return JSON.stringify({ filename: meta.filename, type: meta.type, createdAt: meta.createdAt, expiresAt: meta.expiresAt, app: meta.app });
}

function checkMetaV2(meta: unknown): asserts meta is FileMetaV2 {
  const m = meta as Record<string, unknown>;
  if (typeof m !== 'object' || m === null || Array.isArray(m) || META_FIELDS.some((f) => typeof m[f] !== 'string')) {
    throw new TypeError('v2 metadata needs filename, type, createdAt, expiresAt and app strings');
  }
}

/** "FERRY" || version || kid, ASCII, NUL-padded to 10 bytes. */
export function encodeHeaderV2(kid: string): Uint8Array {
  if (!isValidKid(kid)) throw new RangeError('kid must be 1–10 printable ASCII characters without ":" or ","');
  const h = new Uint8Array(HEADER_SIZE);
  h.set(MAGIC, 0);
  h[5] = FORMAT_V2;
  h.set(utf8.encode(kid), KID_OFFSET);
  return h;
}

export interface Lead {
  version: number;
  kid: string;
}

/** The version and kid of any Ferry header (v1 or v2), or null when `b` does not start with one. */
export function decodeLead(b: Uint8Array): Lead | null {
  if (b.length < HEADER_SIZE) return null;
  for (let i = 0; i < MAGIC.length; i++) if (b[i] !== MAGIC[i]) return null;
  let end = KID_OFFSET;
  while (end < HEADER_SIZE && b[end] !== 0) end++;
  for (let i = end; i < HEADER_SIZE; i++) if (b[i] !== 0) return null;
  const kid = String.fromCharCode(...b.subarray(KID_OFFSET, end));
  return isValidKid(kid) ? { version: b[5]!, kid } : null;
}

/** Length of the prefix (header .. data's commitment) of the v2 object that starts with `lead`. */
export function prefixSizeV2(lead: Uint8Array): number {
  if (lead.length < LEAD_SIZE) throw new FormatError('truncated', 'shorter than header and length');
  const n = ((lead[16]! << 24) | (lead[17]! << 16) | (lead[18]! << 8) | lead[19]!) >>> 0;
  if (n > SEALED_META_MAX_SIZE || plaintextSize(n) === null) throw new FormatError('header', `sealed metadata length ${n} is not valid`);
  return LEAD_SIZE + n + C2SP_PREFIX_SIZE;
}

/** Whole object length of a v2 object with a prefix of `prefixSize` bytes. */
export function objectSizeV2(prefixSize: number, plaintextBytes: number): number {
  return prefixSize - C2SP_PREFIX_SIZE + ciphertextSize(plaintextBytes);
}

/** The plaintext length of a v2 object, or null when no file encrypts to that length. */
export function plaintextSizeV2(prefixSize: number, objectBytes: number): number | null {
  return plaintextSize(objectBytes - prefixSize + C2SP_PREFIX_SIZE);
}

/** The inclusive object byte range that holds plaintext `start..end` (see chunkSpan). */
export function objectRangeV2(prefixSize: number, plaintextBytes: number, start: number, end: number): { start: number; end: number } {
  const span = chunkSpan(plaintextBytes, start, end);
  const dataStart = prefixSize - C2SP_PREFIX_SIZE;
  return { start: dataStart + span.start, end: dataStart + span.end };
}

const dataContext = (header: Uint8Array, fileId: Uint8Array) => concat(header, fileId);
const metaContext = (header: Uint8Array, fileId: Uint8Array) => concat(META_CONTEXT, header, fileId);

function randomSalt(salt: Uint8Array | undefined): Uint8Array {
  if (salt === undefined) return crypto.getRandomValues(new Uint8Array(SALT_SIZE));
  if (salt.length !== SALT_SIZE) throw new RangeError(`salt must be ${SALT_SIZE} bytes`);
  return salt.slice();
}

export interface PreparedObject {
  /** header || length || sealedMeta || data salt || data commitment: every byte before chunk 0. */
  prefix: Uint8Array;
  /** The data message's key: seals chunk k with AES-128-GCM(key, baseNonce XOR k). */
  dataKey: MessageKey;
  /** Encrypts the file's plaintext into the whole object (prefix first). */
  encrypt(): TransformStream<Uint8Array, Uint8Array>;
}

/**
 * Seals the metadata and derives the data key of a new object under keyring.current. The
 * salts are random unless given (the test vectors give them).
 */
export async function prepareObjectV2(
  p: FormatParams,
  meta: FileMetaV2,
  opts: { metaSalt?: Uint8Array; dataSalt?: Uint8Array } = {},
): Promise<PreparedObject> {
  const { lead, dataSalt, inputKey, dataCtx } = await sealLead(p, meta, opts);
  const dataKey = await deriveMessageKey(p.crypto, inputKey, dataSalt, dataCtx);
  const prefix = concat(lead, dataKey.salt, dataKey.commitment);
  return { prefix, dataKey, encrypt: () => encryptChunks(dataKey, { header: lead }) };
}

/** A new object whose data a client encrypts itself (upload sessions): the prefix and the data key's bytes. */
export interface PreparedUpload {
  /** Every byte before chunk 0, exactly as prepareObjectV2's. */
  prefix: Uint8Array;
  /** The data message's AES-128 key: it seals this object's data chunks and nothing else. */
  chunkKey: Uint8Array;
  /** Chunk k's nonce is baseNonce XOR k (crypto/chunked.ts chunkNonce). */
  baseNonce: Uint8Array;
}

/**
 * prepareObjectV2 for a client that seals the chunks: the same prefix, and the raw data key and
 * base nonce instead of a transform. The metadata key and the input key never leave this
 * function, so whoever holds the result can write this file's data and read nothing else.
 */
export async function prepareUploadV2(
  p: FormatParams,
  meta: FileMetaV2,
  opts: { metaSalt?: Uint8Array; dataSalt?: Uint8Array } = {},
): Promise<PreparedUpload> {
  const { lead, dataSalt, inputKey, dataCtx } = await sealLead(p, meta, opts);
  const secrets = await deriveMessageSecrets(p.crypto, inputKey, dataSalt, dataCtx);
  return { prefix: concat(lead, dataSalt, secrets.commitment), chunkKey: secrets.key, baseNonce: secrets.baseNonce };
}

/** header || length || sealedMeta, and what the data key is derived from. */
async function sealLead(p: FormatParams, meta: FileMetaV2, opts: { metaSalt?: Uint8Array; dataSalt?: Uint8Array }) {
  const kid = p.keyring.current;
  const kek = p.keyring.key(kid);
  if (!kek) throw new Error(`keyring has no key for its current kid "${kid}"`);
  checkRef(p);
  const header = encodeHeaderV2(kid);
  const inputKey = await deriveInputKey(p.crypto, kek, p.ref);
  const metaKey = await deriveMessageKey(p.crypto, inputKey, randomSalt(opts.metaSalt), metaContext(header, p.ref.fileId));
  const sealedMeta = await sealSmall(metaKey, utf8.encode(serializeMetaV2(meta)));
  if (sealedMeta.length > SEALED_META_MAX_SIZE) throw new RangeError('metadata too large to seal (over 4096 bytes)');
  const lead = new Uint8Array(LEAD_SIZE + sealedMeta.length);
  lead.set(header, 0);
  new DataView(lead.buffer).setUint32(HEADER_SIZE, sealedMeta.length);
  lead.set(sealedMeta, LEAD_SIZE);
  return { lead, inputKey, dataSalt: randomSalt(opts.dataSalt), dataCtx: dataContext(header, p.ref.fileId) };
}

export interface OpenedObjectV2 {
  meta: FileMetaV2;
  kid: string;
  prefixSize: number;
  /**
   * Checks the data's commitment and returns its decryptor (input: the object bytes
   * objectRangeV2 names; output: plaintext start..end). Separate from opening the metadata so
   * a caller can tell a wrong handle (the metadata fails) from damaged data (this fails).
   */
  openData(): Promise<ObjectDecryptor>;
}

/**
 * Opens a v2 object from its prefix (at least prefixSizeV2 bytes; more is ignored): checks the
 * header, the metadata's commitment and chunks, and the data's commitment. Throws FormatError
 * ('header', 'unknown_kid', 'truncated', 'commitment', 'chunk').
 */
export async function openObjectV2(p: FormatParams, bytes: Uint8Array): Promise<OpenedObjectV2> {
  checkRef(p);
  const lead = decodeLead(bytes);
  if (!lead || lead.version !== FORMAT_V2) throw new FormatError('header', 'not a Ferry v2 object header');
  const kek = p.keyring.key(lead.kid);
  if (!kek) throw new FormatError('unknown_kid', `no key for kid "${lead.kid}"`);
  const prefixSize = prefixSizeV2(bytes);
  if (bytes.length < prefixSize) throw new FormatError('truncated', 'shorter than its prefix');
  const header = bytes.subarray(0, HEADER_SIZE);
  const inputKey = await deriveInputKey(p.crypto, kek, p.ref);
  const sealedMeta = bytes.subarray(LEAD_SIZE, prefixSize - C2SP_PREFIX_SIZE);
  const metaKey = await openingKey(p.crypto, inputKey, sealedMeta, metaContext(header, p.ref.fileId));
  const metaSize = plaintextSize(sealedMeta.length)!;
  const plaintext = await runThrough(decryptChunks(metaKey, { plaintextSize: metaSize, error: formatError }), sealedMeta.subarray(C2SP_PREFIX_SIZE));
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
    checkMetaV2(meta);
  } catch {
    throw new FormatError('chunk', 'sealed metadata is not Ferry metadata');
  }
  const dataPrefix = bytes.slice(prefixSize - C2SP_PREFIX_SIZE, prefixSize);
  const dataCtx = dataContext(header, p.ref.fileId);
  return {
    meta: { filename: meta.filename, type: meta.type, createdAt: meta.createdAt, expiresAt: meta.expiresAt, app: meta.app },
    kid: lead.kid,
    prefixSize,
    async openData() {
      const dataKey = await openingKey(p.crypto, inputKey, dataPrefix, dataCtx);
      return {
        kid: lead.kid,
        decrypt: ({ plaintextSize: size, start, end }) => decryptChunks(dataKey, { plaintextSize: size, start, end, error: formatError }),
      };
    },
  };
}

const formatError = (reason: 'chunk' | 'truncated', message: string) => new FormatError(reason, message);

async function openingKey(provider: CryptoProvider, inputKey: Uint8Array, message: Uint8Array, context: Uint8Array): Promise<MessageKey> {
  if (message.length < C2SP_PREFIX_SIZE) throw new FormatError('truncated', 'shorter than salt and commitment');
  const key = await openMessageKey(provider, inputKey, message.subarray(0, SALT_SIZE), message.subarray(SALT_SIZE, C2SP_PREFIX_SIZE), context);
  if (!key) throw new FormatError('commitment', 'commitment mismatch (wrong secret or key, or altered prefix)');
  return key;
}

function checkRef(p: FormatParams): void {
  if (p.ref.fileId.length !== 16 || p.ref.secret.length !== 16) throw new RangeError('fileId and secret must be 16 bytes each');
}

async function sealSmall(key: MessageKey, plaintext: Uint8Array): Promise<Uint8Array> {
  return runThrough(encryptChunks(key), plaintext);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

/** Pushes one small buffer through a transform and collects the output. */
async function runThrough(ts: TransformStream<Uint8Array, Uint8Array>, input: Uint8Array): Promise<Uint8Array> {
  const writer = ts.writable.getWriter();
  const written = (async () => {
    if (input.length > 0) await writer.write(input);
    await writer.close();
  })();
  written.catch(() => {});
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
