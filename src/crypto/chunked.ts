// C2SP chunked encryption (https://c2sp.org/chunked-encryption) with SHA-256 and
// AES-128-GCM, in typage's STREAM shape: pure size and offset functions beside the two
// TransformStream factories. Each transform keeps one fixed buffer, seals (or opens) full chunks
// as soon as they fill, and handles the final (short, possibly empty) chunk in flush(). The key
// schedule is in message-key.ts; the in-flight window that keeps chunk order for slow providers
// (WebCrypto on Node) is in ordered-queue.ts.
import { COMMITMENT_SIZE, NONCE_SIZE, SALT_SIZE, type MessageKey } from './message-key.js';
import { OrderedQueue } from './ordered-queue.js';

export const CHUNK_SIZE = 16384;
export const TAG_SIZE = 16;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
/** salt || commitment, before the first chunk. */
export const PREFIX_SIZE = SALT_SIZE + COMMITMENT_SIZE;
/** The spec's ceiling: chunk counters must stay below 2^38. */
export const MAX_CHUNKS = 2 ** 38;
/** The final chunk is short, so the longest message is 2^38 chunks minus one byte. */
export const MAX_PLAINTEXT_SIZE = MAX_CHUNKS * CHUNK_SIZE - 1;

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

// ---- streams -----------------------------------------------------------------------------

export interface EncryptChunksOptions {
  /** Bytes emitted before the salt, in the same first chunk (an application header). */
  header?: Uint8Array;
  /**
   * Continue a message from chunk `fromChunk` (its plaintext byte 16384 · fromChunk), as a tus
   * PATCH does: chunk k only needs the key and k, so nothing of the chunks before it is needed.
   * No header, salt or commitment is emitted then (even from chunk 0): the caller writes them.
   */
  fromChunk?: number;
  /**
   * Asked when the input ends: true (the default) seals what is left as the message's final,
   * short chunk; false means the message goes on in a later stream, and a partial last chunk is
   * dropped unsealed (its plaintext is sent again from the chunk boundary).
   */
  isEnd?: () => boolean;
  /** Sees every input before it is sealed, and may throw to fail the stream (a length cap). */
  onInput?: (input: Uint8Array) => void;
}

/**
 * Encrypts a plaintext stream into salt || commitment || sealed chunks (preceded by
 * `options.header`), or, with `fromChunk`, continues one from that chunk (see the options).
 * `key` may be a function: it is then called once, in start(), so that asynchronous key
 * derivation happens when the stream is built without blocking the caller.
 */
export function encryptChunks(
  key: MessageKey | (() => Promise<MessageKey>),
  options: EncryptChunksOptions = {},
): TransformStream<Uint8Array, Uint8Array> {
  let k!: MessageKey;
  let queue!: OrderedQueue;
  const buffer = new Uint8Array(CHUNK_SIZE);
  let filled = 0;
  let counter = options.fromChunk ?? 0;
  const { isEnd, onInput } = options;

  const seal = (plaintext: Uint8Array) => queue.push(k.aead.seal(chunkNonce(k.baseNonce, counter++), plaintext));

  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      k = typeof key === 'function' ? await key() : key;
      queue = new OrderedQueue(k.concurrency, controller);
      if (options.fromChunk !== undefined) return; // a continuation: the prefix is not this stream's
      const header = options.header ?? new Uint8Array(0);
      const first = new Uint8Array(header.length + PREFIX_SIZE);
      first.set(header, 0);
      first.set(k.salt, header.length);
      first.set(k.commitment, header.length + SALT_SIZE);
      controller.enqueue(first);
    },

    async transform(input) {
      onInput?.(input);
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
      if (!isEnd || isEnd()) {
        const wait = seal(buffer.subarray(0, filled));
        if (wait) await wait;
      }
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
  /** The message's (authenticated) plaintext length: the input length is checked against it exactly. */
  plaintextSize: number;
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
export function decryptChunks(key: MessageKey, options: DecryptChunksOptions): TransformStream<Uint8Array, Uint8Array> {
  const fail = options.error ?? ((reason, message) => new ChunkedDecryptionError(reason, message));
  const size = options.plaintextSize;
  const from = options.start ?? 0;
  const end = options.end ?? size - 1;
  const span = chunkSpan(size, from, end);
  const total = span.end - span.start + 1; // input length expected
  const finalChunk = chunkCount(size) - 1;
  const to = end + 1; // exclusive plaintext end
  let received = 0;

  const buffer = new Uint8Array(SEALED_CHUNK_SIZE);
  let filled = 0;
  let counter = span.firstChunk;
  let queue!: OrderedQueue;

  const expected = () => (counter < finalChunk ? SEALED_CHUNK_SIZE : size - finalChunk * CHUNK_SIZE + TAG_SIZE);

  const trim = (plaintext: Uint8Array, base: number) =>
    from <= base && to >= base + plaintext.length
      ? plaintext
      : plaintext.subarray(Math.max(0, from - base), Math.max(0, Math.min(plaintext.length, to - base)));

  const failed = (k: number) => fail('chunk', `chunk ${k} failed authentication`);

  // No closures on the synchronous path: this runs once per 16 KiB chunk.
  const open = (sealed: Uint8Array) => {
    const k = counter++;
    const base = k * CHUNK_SIZE;
    let result: Promise<Uint8Array> | Uint8Array;
    try {
      result = key.aead.open(chunkNonce(key.baseNonce, k), sealed);
    } catch {
      return queue.push(Promise.reject(failed(k)));
    }
    if (!(result instanceof Promise)) return queue.push(trim(result, base));
    return queue.push(
      result.then(
        (pt) => trim(pt, base),
        () => {
          throw failed(k);
        },
      ),
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
      await queue.settled();
      if (received < total) throw fail('truncated', 'ends before the last expected chunk');
    },
  });
}
