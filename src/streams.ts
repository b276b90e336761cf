// Small Web-stream tools used on the file paths. Nothing here buffers more than one chunk, or
// (coalesce) a fixed number of bytes.
import { joinAdjacent } from './crypto/byte-runs.js';
import { FerryError } from './errors.js';

/**
 * The request body as read by an upload: counts bytes as they pass and, once more than
 * `maxBytes` have arrived, errors with 413 `file_too_large` — so an oversized upload stops as
 * soon as it shows, even without a Content-Length. A failure to read the body (the client went
 * away, the connection broke) becomes 400 `upload_interrupted`, so it is never mistaken for a
 * fault of ours. `counted()` tells how many bytes passed; `failure()`, why the body failed
 * (whatever error a store wraps it in).
 */
export function countedBody(
  source: ReadableStream<Uint8Array>,
  maxBytes: number,
): {
  body: ReadableStream<Uint8Array>;
  counted(): number;
  failure(): FerryError | undefined;
  /** After a 413: reads and discards what the client is still sending, within bounds, so it gets the answer. */
  drain(limits?: { bytes: number; ms: number }): Promise<void>;
} {
  let total = 0;
  let failure: FerryError | undefined;
  const reader = source.getReader();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (e) {
          failure = e instanceof FerryError ? e : new FerryError('upload_interrupted', 'The upload was interrupted before it ended.');
          controller.error(failure);
          return;
        }
        if (result.done) return controller.close();
        total += result.value.byteLength;
        if (total > maxBytes) {
          // The source stays open: drain() may read on, so the client sees the 413, not a reset.
          failure = tooLarge(maxBytes);
          controller.error(failure);
          return;
        }
        controller.enqueue(result.value);
      },
      cancel(reason) {
        // Cancelled from downstream because of our own 413: keep the source for drain().
        if (failure?.code === 'file_too_large') return;
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const drain = async ({ bytes, ms } = { bytes: 8 * 1024 * 1024, ms: 2000 }) => {
    let drained = 0;
    const deadline = Date.now() + ms;
    try {
      while (drained <= bytes && Date.now() < deadline) {
        const { done, value } = await reader.read();
        if (done) return;
        drained += value.byteLength;
      }
    } catch {
      return;
    }
    await reader.cancel().catch(() => {});
  };
  return { body, counted: () => total, failure: () => failure, drain };
}

export function tooLarge(maxBytes: number): FerryError {
  return new FerryError('file_too_large', `The file is larger than the limit of ${maxBytes} bytes.`);
}

/**
 * Reads a small stream whole (sealed metadata, object prefixes, JSON request bodies); past
 * `maxBytes` it cancels the stream and throws `tooLarge()`.
 */
export async function readSmall(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: () => Error = () => new FerryError('corrupt_object', 'A stored object is larger than it can be.'),
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/**
 * Reads the first chunk of `stream` before a response is committed, so a failure there (a
 * damaged first chunk, the store going away) becomes a proper error status instead of a
 * broken transfer. Returns a stream that replays that chunk, then the rest.
 */
export async function primeStream(stream: ReadableStream<Uint8Array>): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const first = await reader.read();
  let pending: Uint8Array | undefined = first.done ? undefined : first.value;
  const finished = first.done;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        if (finished) {
          controller.close();
          return;
        }
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Reads the first `n` bytes of `stream` (fewer if it ends first) and returns them, with a stream
 * of everything after them that reads on only when asked.
 */
export async function readPrefix(
  stream: ReadableStream<Uint8Array>,
  n: number,
): Promise<{ prefix: Uint8Array; rest: ReadableStream<Uint8Array> }> {
  const head = new StreamHead(stream);
  const prefix = await head.read(n);
  return { prefix, rest: head.rest() };
}

/**
 * The head of a stream read in steps (a format's lead, then the prefix it announces), and then
 * the rest of it as one stream: a single stage however many steps were read, where nesting
 * readPrefix would add a stage per step to every chunk that follows.
 */
export class StreamHead {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #leftover: Uint8Array | undefined;
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next `n` bytes, or fewer if the stream ends first. */
  async read(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      let value = this.#leftover;
      this.#leftover = undefined;
      if (!value) {
        if (this.#ended) break;
        const next = await this.#reader.read();
        if (next.done) {
          this.#ended = true;
          break;
        }
        value = next.value;
      }
      const take = Math.min(n - got, value.byteLength);
      out.set(value.subarray(0, take), got);
      got += take;
      if (take < value.byteLength) this.#leftover = value.subarray(take);
    }
    return out.subarray(0, got);
  }

  /** Everything not yet read, read on only when asked. Call once. */
  rest(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const leftover = this.#leftover;
          if (leftover) {
            this.#leftover = undefined;
            controller.enqueue(leftover);
            return;
          }
          const { done, value } = this.#ended ? { done: true, value: undefined } : await this.#reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel: (reason) => this.#reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
  }

  /** Gives up on the stream (nothing further will be read). */
  cancel(reason?: unknown): Promise<void> {
    return this.#reader.cancel(reason);
  }
}

/** A stream of one byte array. */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.byteLength) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/**
 * Hands a stream on in pieces as large as they come together. While the consumer is busy (a
 * store writing the previous piece), up to `maxBytes` are read ahead; pieces that lie back to
 * back in one buffer (node-crypto carves its output from 256 KiB slabs) are joined without a
 * copy (joinAdjacent: the contract is in crypto/byte-runs.ts), so the consumer gets one write's
 * worth where it would have got four or five. A consumer that is waiting gets whatever has
 * arrived at once. An error upstream reaches the consumer on its next read; cancelling cancels
 * upstream.
 */
export function coalesce(stream: ReadableStream<Uint8Array>, maxBytes: number): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  /** Read ahead and not yet handed on; each entry is one contiguous run. */
  const runs: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let failure: { error: unknown } | undefined;
  let reading = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const add = (b: Uint8Array) => {
    if (b.byteLength === 0) return;
    const last = runs.at(-1);
    const joined = last && joinAdjacent(last, b);
    if (joined) runs[runs.length - 1] = joined;
    else runs.push(b);
    queued += b.byteLength;
  };
  const readAhead = async () => {
    if (reading) return;
    reading = true;
    try {
      while (!ended && !failure && queued < maxBytes) {
        const { done, value } = await reader.read();
        if (done) ended = true;
        else add(value);
        notify();
      }
    } catch (error) {
      failure ??= { error };
    } finally {
      reading = false;
      notify();
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        void readAhead();
        while (!failure && runs.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve));
        if (failure) {
          runs.length = 0;
          controller.error(failure.error);
          return;
        }
        const next = runs.shift();
        if (next) {
          queued -= next.byteLength;
          controller.enqueue(next);
          void readAhead();
        } else {
          controller.close();
        }
      },
      cancel(reason) {
        failure ??= { error: reason };
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
