// C2SP sealing that starts at chunk `first` instead of 0, for a tus PATCH that continues an
// upload: chunk k is sealed with AES-128-GCM(key, baseNonce XOR k), so nothing about the chunks
// before it is needed. Unlike encryptChunks it emits no prefix, and a body that stops short of the
// upload's end seals nothing of its last partial chunk (that plaintext is dropped: the durable
// offset stays on the chunk boundary and the client sends it again). Only when the body reaches
// the upload's length exactly is the final short (possibly empty) chunk sealed, in flush().
import { CHUNK_SIZE, chunkNonce } from '../crypto/chunked.js';
import type { MessageKey } from '../crypto/message-key.js';
import { OrderedQueue } from '../crypto/ordered-queue.js';

/** The body ran past the upload's declared length. */
export class PastLength extends Error {
  constructor() {
    super('body runs past Upload-Length');
    this.name = 'PastLength';
  }
}

export interface SealFrom {
  stream: TransformStream<Uint8Array, Uint8Array>;
  /** Plaintext bytes received so far. */
  received(): number;
  /** True once flush() sealed the final chunk (the body reached the upload's end). */
  finished(): boolean;
}

/** Seals plaintext from chunk `first`; `remaining` is the plaintext left to the upload's end. */
export function sealFrom(key: MessageKey, first: number, remaining: number): SealFrom {
  let queue!: OrderedQueue;
  const buffer = new Uint8Array(CHUNK_SIZE);
  let filled = 0;
  let counter = first;
  let received = 0;
  let finished = false;
  const seal = (plaintext: Uint8Array) => queue.push(key.aead.seal(chunkNonce(key.baseNonce, counter++), plaintext));

  const stream = new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      queue = new OrderedQueue(key.concurrency, controller);
    },
    async transform(input) {
      received += input.length;
      if (received > remaining) throw new PastLength();
      let offset = 0;
      while (offset < input.length) {
        let wait: Promise<void> | undefined;
        if (filled === 0 && input.length - offset >= CHUNK_SIZE) {
          wait = seal(input.subarray(offset, offset + CHUNK_SIZE));
          offset += CHUNK_SIZE;
        } else {
          const n = Math.min(CHUNK_SIZE - filled, input.length - offset);
          buffer.set(input.subarray(offset, offset + n), filled);
          filled += n;
          offset += n;
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
      if (received === remaining) {
        const wait = seal(buffer.subarray(0, filled));
        if (wait) await wait;
        finished = true;
      }
      await queue.settled();
    },
  });
  return { stream, received: () => received, finished: () => finished };
}
