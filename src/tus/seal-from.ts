// C2SP sealing that starts at chunk `first` instead of 0, for a tus PATCH that continues an
// upload (encryptChunks with `fromChunk`): chunk k is sealed with AES-128-GCM(key, baseNonce
// XOR k), so nothing about the chunks before it is needed. It emits no prefix, and a body that
// stops short of the upload's end seals nothing of its last partial chunk (dropped: the durable
// offset stays on the chunk boundary and the client sends it again). Only when the body reaches
// the upload's length exactly is the final short (possibly empty) chunk sealed, in flush().
import { encryptChunks } from '../crypto/chunked.js';
import type { MessageKey } from '../crypto/message-key.js';

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
  let received = 0;
  let finished = false;
  const stream = encryptChunks(key, {
    fromChunk: first,
    onInput: (input) => {
      received += input.length;
      if (received > remaining) throw new PastLength();
    },
    isEnd: () => (finished = received === remaining),
  });
  return { stream, received: () => received, finished: () => finished };
}
