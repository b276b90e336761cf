// C2SP chunked encryption (https://c2sp.org/chunked-encryption) with SHA-256 and
// AES-128-GCM: pure size and offset functions, the key derivation, and two TransformStream
// factories. Shaped like typage's STREAM: one fixed buffer, full chunks sealed as soon as they
// fill, the final (short, possibly empty) chunk sealed in flush(). Providers that are slow per
// call (WebCrypto on Node) get several chunks in flight; output order is kept by releasing
// results strictly in chunk order, so decryption never releases a byte of a chunk before it and
// every chunk ahead of it have authenticated.
import { hkdfExpand, type AesGcm, type CryptoProvider } from './aead.js';

export const CHUNK_SIZE = 16384;
export const TAG_SIZE = 16;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
export const SALT_SIZE = 24;
export const COMMITMENT_SIZE = 32;
/** salt || commitment, before the first chunk. */
export const PREFIX_SIZE = SALT_SIZE + COMMITMENT_SIZE;
export const KEY_SIZE = 16;
export const NONCE_SIZE = 12;
/** The spec's ceiling: chunk counters must stay below 2^38. */
export const MAX_CHUNKS = 2 ** 38;
/** The final chunk is short, so the longest message is 2^38 chunks minus one byte. */
export const MAX_PLAINTEXT_SIZE = MAX_CHUNKS * CHUNK_SIZE - 1;

const AEAD_NAME = 'AEAD_AES_128_GCM';
const INFO_PREFIX = new TextEncoder().encode(`c2sp.org/chunked-encryption@v1+${AEAD_NAME}\0`);

// ---- sizes and offsets (pure) ------------------------------------------------------------

function checkPlaintextSize(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_PLAINTEXT_SIZE) {
    throw new RangeError(`plaintext size out of range: ${n}`);
  }
}

/** Number of chunks for a message: there is always a final short chunk, possibly empty. */
export function chunkCount(plaintextSize: number): number {
  checkPlaintextSize(plaintextSize);
  return Math.floor(plaintextSize / CHUNK_SIZE) + 1;
}

/** Length of the whole C2SP ciphertext, salt and commitment included. */
export function ciphertextSize(plaintextSize: number): number {
  return PREFIX_SIZE + plaintextSize + chunkCount(plaintextSize) * TAG_SIZE;
}

/** The plaintext length of a ciphertext length, or null when no message encrypts to that length. */
export function plaintextSize(ciphertextSize: number): number | null {
  if (!Number.isSafeInteger(ciphertextSize) || ciphertextSize < PREFIX_SIZE + TAG_SIZE) return null;
  const body = ciphertextSize - PREFIX_SIZE;
  const full = Math.floor(body / SEALED_CHUNK_SIZE);
  const last = body - full * SEALED_CHUNK_SIZE;
  // last === 0: ends after a full chunk (truncated); 0 < last < TAG: a piece of a tag.
  if (last < TAG_SIZE || full >= MAX_CHUNKS) return null;
  return full * CHUNK_SIZE + (last - TAG_SIZE);
}

/** Ciphertext offset of chunk `k` (from the start of the salt). */
export function chunkOffset(k: number): number {
  return PREFIX_SIZE + k * SEALED_CHUNK_SIZE;
}

/** The chunk holding plaintext byte `i`. */
export function chunkOf(i: number): number {
  return Math.floor(i / CHUNK_SIZE);
}

/** Sealed length of chunk `k` of a message of `plaintextSize` bytes. */
export function sealedChunkSize(plaintextSize: number, k: number): number {
  const last = chunkCount(plaintextSize) - 1;
  if (!Number.isSafeInteger(k) || k < 0 || k > last) throw new RangeError(`no chunk ${k}`);
  return (k < last ? CHUNK_SIZE : plaintextSize - last * CHUNK_SIZE) + TAG_SIZE;
}

export interface ChunkSpan {
  firstChunk: number;
  lastChunk: number;
  /** Inclusive ciphertext byte range (offsets from the start of the salt) of those chunks. */
  start: number;
  end: number;
}

/**
 * The chunks that hold the inclusive plaintext range `start..end`. A range that reaches the
 * last byte also covers the final chunk even when that chunk is empty (n a multiple of 16 KiB),
 * so that every read to the end authenticates the message length. An empty range
 * (`end === start - 1`, e.g. the whole of an empty message) covers the chunk at `start`.
 */
export function chunkSpan(plaintextSize: number, start: number, end: number): ChunkSpan {
  checkRange(plaintextSize, start, end);
  const firstChunk = chunkOf(start);
  const finalChunk = chunkCount(plaintextSize) - 1;
  const lastChunk = end === plaintextSize - 1 ? finalChunk : end >= start ? chunkOf(end) : firstChunk;
  const spanEnd =
    lastChunk < finalChunk
      ? chunkOffset(lastChunk + 1) - 1
      : chunkOffset(finalChunk) + sealedChunkSize(plaintextSize, finalChunk) - 1;
  return { firstChunk, lastChunk, start: chunkOffset(firstChunk), end: spanEnd };
}

function checkRange(n: number, start: number, end: number): void {
  checkPlaintextSize(n);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end >= n || end < start - 1) {
    throw new RangeError(`bad plaintext range ${start}-${end} of ${n} bytes`);
  }
}

/** The nonce of chunk `k`: the base nonce XOR `k` as a big-endian integer (last 5 bytes). */
export function chunkNonce(baseNonce: Uint8Array, k: number): Uint8Array {
  if (!Number.isSafeInteger(k) || k < 0 || k >= MAX_CHUNKS) throw new RangeError('chunk counter out of range');
  const nonce = baseNonce.slice(0, NONCE_SIZE);
  nonce[7] ^= Math.floor(k / 2 ** 32);
  const low = k >>> 0;
  nonce[8] ^= low >>> 24;
  nonce[9] ^= (low >>> 16) & 0xff;
  nonce[10] ^= (low >>> 8) & 0xff;
  nonce[11] ^= low & 0xff;
  return nonce;
}

// ---- key derivation ----------------------------------------------------------------------

/** What one message is encrypted under. Derive with `deriveMessageKey` or `openMessageKey`. */
export interface MessageKey {
  readonly salt: Uint8Array;
  readonly commitment: Uint8Array;
  readonly baseNonce: Uint8Array;
  readonly aead: AesGcm;
  /** chunks kept in flight (from the provider) */
  readonly concurrency: number;
}

/**
 * key || base nonce || commitment = HKDF-Expand(prk = inputKey,
 *   info = "c2sp.org/chunked-encryption@v1+AEAD_AES_128_GCM" || 0x00 || salt || context, 60)
 */
export async function deriveMessageKey(
  provider: CryptoProvider,
  inputKey: Uint8Array,
  salt: Uint8Array,
  context: Uint8Array,
): Promise<MessageKey> {
  if (inputKey.length !== KEY_SIZE) throw new RangeError(`input key must be ${KEY_SIZE} bytes`);
  if (salt.length !== SALT_SIZE) throw new RangeError(`salt must be ${SALT_SIZE} bytes`);
  const info = new Uint8Array(INFO_PREFIX.length + SALT_SIZE + context.length);
  info.set(INFO_PREFIX, 0);
  info.set(salt, INFO_PREFIX.length);
  info.set(context, INFO_PREFIX.length + SALT_SIZE);
  const okm = await hkdfExpand(provider, inputKey, info, KEY_SIZE + NONCE_SIZE + COMMITMENT_SIZE);
  return {
    salt: salt.slice(),
    baseNonce: okm.slice(KEY_SIZE, KEY_SIZE + NONCE_SIZE),
    commitment: okm.slice(KEY_SIZE + NONCE_SIZE),
    aead: await provider.aes128gcm(okm.subarray(0, KEY_SIZE)),
    concurrency: Math.max(1, Math.floor(provider.concurrency)),
  };
}

/**
 * The decryption entry point: derives the key for a stored salt and returns it only if the
 * stored commitment matches (null otherwise), so no chunk is ever opened under a key that
 * failed its commitment.
 */
export async function openMessageKey(
  provider: CryptoProvider,
  inputKey: Uint8Array,
  salt: Uint8Array,
  commitment: Uint8Array,
  context: Uint8Array,
): Promise<MessageKey | null> {
  const key = await deriveMessageKey(provider, inputKey, salt, context);
  return equalBytes(key.commitment, commitment) ? key : null;
}

/** Constant-time for equal lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

// ---- streams -----------------------------------------------------------------------------

interface Slot {
  done: boolean;
  value?: Uint8Array;
  failed?: { error: unknown };
}

/**
 * Releases results strictly in submission order, each as soon as it and everything before it
 * are ready, with at most `limit` in flight. A failure errors the stream at once and nothing
 * queued behind it is ever released. Synchronous results skip the slots when nothing is in
 * flight ahead of them (the node:crypto path costs no promise), and results that lie back to
 * back in one buffer (node-crypto carves sealed chunks from one slab) leave as one chunk, so
 * a 64 KiB write costs the streams downstream one chunk, not four.
 */
class OrderedQueue {
  private readonly slots: Slot[] = [];
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  /** Synchronous results not yet enqueued; empty whenever a slot is in flight. */
  private run: Uint8Array | undefined;

  constructor(
    private readonly limit: number,
    private readonly controller: TransformStreamDefaultController<Uint8Array>,
  ) {}

  /** Returns a promise only when the caller must wait for room. */
  push(result: Promise<Uint8Array> | Uint8Array): Promise<void> | undefined {
    if (this.failure) throw this.failure.error;
    if (!(result instanceof Promise)) {
      if (this.slots.length === 0) {
        this.append(result);
        return undefined;
      }
      this.slots.push({ done: true, value: result });
    } else {
      this.flush();
      const slot: Slot = { done: false };
      this.slots.push(slot);
      result.then(
        (value) => {
          slot.done = true;
          slot.value = value;
          this.release();
        },
        (error: unknown) => {
          slot.done = true;
          slot.failed = { error };
          this.release();
        },
      );
    }
    return this.slots.length >= this.limit ? this.settled(this.limit - 1) : undefined;
  }

  /** Resolves once at most `keep` results are in flight; rejects with the first failure. */
  async settled(keep = 0): Promise<void> {
    this.flush();
    while (!this.failure && this.slots.length > keep) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    if (this.failure) throw this.failure.error;
  }

  /** Enqueues the pending run of synchronous results: at the end of every write, at least. */
  flush(): void {
    const run = this.run;
    this.run = undefined;
    if (run) this.controller.enqueue(run);
  }

  private append(b: Uint8Array): void {
    if (b.length === 0) return;
    const run = this.run;
    if (run && run.buffer === b.buffer && run.byteOffset + run.length === b.byteOffset) {
      this.run = new Uint8Array(run.buffer, run.byteOffset, run.length + b.length);
    } else {
      this.flush();
      this.run = b;
    }
  }

  private release(): void {
    if (this.failure) return;
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!;
      try {
        if (slot.failed) throw slot.failed.error;
        if (slot.value!.length > 0) this.controller.enqueue(slot.value!);
      } catch (error) {
        // A failed chunk, or a stream already cancelled or errored: stop for good.
        this.failure = { error };
        this.slots.length = 0;
        try {
          this.controller.error(error);
        } catch {
          // already errored or closed
        }
        break;
      }
    }
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

export interface EncryptChunksOptions {
  /** Bytes emitted before the salt, in the same first chunk (an application header). */
  header?: Uint8Array;
}

/**
 * Encrypts a plaintext stream into salt || commitment || sealed chunks (preceded by
 * `options.header`). `key` may be a function: it is then called once, in start(), so that
 * asynchronous key derivation happens when the stream is built without blocking the caller.
 */
export function encryptChunks(
  key: MessageKey | (() => Promise<MessageKey>),
  options: EncryptChunksOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  let k!: MessageKey;
  let queue!: OrderedQueue;
  const buffer = new Uint8Array(CHUNK_SIZE);
  let filled = 0;
  let counter = 0;

  const seal = (plaintext: Uint8Array) => queue.push(k.aead.seal(chunkNonce(k.baseNonce, counter++), plaintext));

  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      k = typeof key === 'function' ? await key() : key;
      queue = new OrderedQueue(k.concurrency, controller);
      const header = options.header ?? new Uint8Array(0);
      const first = new Uint8Array(header.length + PREFIX_SIZE);
      first.set(header, 0);
      first.set(k.salt, header.length);
      first.set(k.commitment, header.length + SALT_SIZE);
      controller.enqueue(first);
    },

    async transform(input) {
      let offset = 0;
      while (offset < input.length) {
        let wait: Promise<void> | undefined;
        if (filled === 0 && input.length - offset >= CHUNK_SIZE) {
          // Copy-free: a whole chunk straight from the input.
          wait = seal(input.subarray(offset, offset + CHUNK_SIZE));
          offset += CHUNK_SIZE;
        } else {
          const n = Math.min(CHUNK_SIZE - filled, input.length - offset);
          buffer.set(input.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          // A full buffer is never the final chunk (that one is short), so seal it now.
          if (filled === CHUNK_SIZE) {
            filled = 0;
            wait = seal(buffer);
          }
        }
        if (wait) await wait;
      }
      queue.flush();
    },

    async flush() {
      const wait = seal(buffer.subarray(0, filled));
      if (wait) await wait;
      await queue.settled();
    },
  });
}

export type DecryptFailure = 'chunk' | 'truncated';

/** What decryptChunks throws unless `options.error` says otherwise. */
export class ChunkedDecryptionError extends Error {
  constructor(
    readonly reason: DecryptFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ChunkedDecryptionError';
  }
}

export interface DecryptChunksOptions {
  /**
   * The message's (authenticated) plaintext length. With it, the input length is checked
   * exactly and `start`/`end` may select a range. Without it, the input is every chunk of a
   * message of unknown length, and the final chunk is recognised by being short.
   */
  plaintextSize?: number;
  /** Inclusive plaintext range; the input then holds exactly the chunks of `chunkSpan()`. */
  start?: number;
  end?: number;
  /** Builds the error a failure is reported with (a format layer's own error type). */
  error?: (reason: DecryptFailure, message: string) => Error;
}

/**
 * Decrypts sealed chunks (the ciphertext after salt || commitment, which the caller has checked
 * with openMessageKey) into plaintext. Each chunk's plaintext is released only after it, and every
 * chunk before it, authenticated. The stream errors with reason 'chunk' when a chunk does not
 * authenticate and 'truncated' when the input ends early or goes on past the final chunk.
 */
export function decryptChunks(key: MessageKey, options: DecryptChunksOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  const fail = options.error ?? ((reason, message) => new ChunkedDecryptionError(reason, message));
  const known = options.plaintextSize !== undefined;
  const size = options.plaintextSize ?? 0;
  let first = 0;
  let total = Infinity; // input length expected
  let received = 0;
  let finalChunk = Infinity; // index of the message's final (short) chunk
  let from = 0;
  let to = Infinity; // exclusive plaintext end
  if (known) {
    const start = options.start ?? 0;
    const end = options.end ?? size - 1;
    const span = chunkSpan(size, start, end);
    first = span.firstChunk;
    total = span.end - span.start + 1;
    finalChunk = chunkCount(size) - 1;
    from = start;
    to = end + 1;
  } else if (options.start !== undefined || options.end !== undefined) {
    throw new RangeError('a range needs plaintextSize');
  }

  const buffer = new Uint8Array(SEALED_CHUNK_SIZE);
  let filled = 0;
  let counter = first;
  let queue!: OrderedQueue;

  const expected = () => (counter < finalChunk ? SEALED_CHUNK_SIZE : size - finalChunk * CHUNK_SIZE + TAG_SIZE);

  const trim = (plaintext: Uint8Array, base: number) =>
    from <= base && to >= base + plaintext.length
      ? plaintext
      : plaintext.subarray(Math.max(0, from - base), Math.max(0, Math.min(plaintext.length, to - base)));

  const open = (sealed: Uint8Array) => {
    const k = counter++;
    if (k >= MAX_CHUNKS) throw fail('chunk', 'chunk counter reached 2^38');
    const base = k * CHUNK_SIZE;
    const onFailure = () => {
      throw fail('chunk', `chunk ${k} failed authentication`);
    };
    let result: Promise<Uint8Array> | Uint8Array;
    try {
      result = key.aead.open(chunkNonce(key.baseNonce, k), sealed);
    } catch {
      result = Promise.reject(new Error('open failed'));
    }
    return queue.push(
      result instanceof Promise ? result.then((pt) => trim(pt, base), onFailure) : trim(result, base),
    );
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      queue = new OrderedQueue(key.concurrency, controller);
    },

    async transform(input) {
      received += input.length;
      if (received > total) {
        // Checked before opening anything in this write: a longer input is the wrong object.
        await queue.settled();
        throw fail('truncated', 'data continues past the last expected chunk');
      }
      let offset = 0;
      while (offset < input.length) {
        const need = expected();
        let wait: Promise<void> | undefined;
        if (filled === 0 && input.length - offset >= need) {
          wait = open(input.subarray(offset, offset + need));
          offset += need;
        } else {
          const n = Math.min(need - filled, input.length - offset);
          buffer.set(input.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
          if (filled === need) {
            filled = 0;
            wait = open(buffer.subarray(0, need));
          }
        }
        if (wait) await wait;
      }
      queue.flush();
    },

    async flush() {
      if (!known) {
        // Unknown length: what is left must be the final chunk, shorter than a full one.
        if (filled < TAG_SIZE) {
          await queue.settled();
          throw fail('truncated', filled === 0 ? 'no final short chunk' : 'ends inside a chunk');
        }
        const wait = open(buffer.subarray(0, filled));
        filled = 0;
        if (wait) await wait;
      }
      await queue.settled();
      if (known && received < total) throw fail('truncated', 'ends before the last expected chunk');
    },
  });
}
