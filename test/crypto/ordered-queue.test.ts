// The in-flight window on its own, driven by hand-resolved promises: results leave in
// submission order however they finish, at most `limit` are in flight, the first failure errors
// the stream and nothing behind it leaves, and synchronous results that touch leave as one chunk.
import { describe, expect, it } from 'vitest';
import { OrderedQueue } from '../../src/crypto/ordered-queue.js';

function deferred() {
  let resolve!: (v: Uint8Array) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<Uint8Array>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A queue on the controller of a fresh TransformStream, and a way to see what it released. */
function harness(limit: number) {
  let controller!: TransformStreamDefaultController<Uint8Array>;
  const ts = new TransformStream<Uint8Array, Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const queue = new OrderedQueue(limit, controller);
  const released: Uint8Array[] = [];
  let error: unknown;
  const reading = (async () => {
    const reader = ts.readable.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        released.push(value);
      }
    } catch (e) {
      error = e;
    }
  })();
  // Lets the reader take everything already enqueued.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { queue, released, settle, error: () => error, close: () => controller.terminate(), reading };
}

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('OrderedQueue', () => {
  it('releases results in submission order while they finish in reverse', async () => {
    const h = harness(8);
    const d = [deferred(), deferred(), deferred()];
    for (const x of d) expect(h.queue.push(x.promise)).toBeUndefined();
    d[2]!.resolve(bytes(3));
    d[1]!.resolve(bytes(2));
    await h.settle();
    expect(h.released).toEqual([]);
    d[0]!.resolve(bytes(1));
    await h.queue.settled();
    await h.settle();
    expect(h.released.map((b) => b[0])).toEqual([1, 2, 3]);
  });

  it('asks the caller to wait once `limit` results are in flight, until one leaves', async () => {
    const h = harness(2);
    const a = deferred();
    const b = deferred();
    expect(h.queue.push(a.promise)).toBeUndefined();
    const wait = h.queue.push(b.promise);
    expect(wait).toBeInstanceOf(Promise);
    let waited = false;
    void wait!.then(() => (waited = true));
    b.resolve(bytes(2)); // finished, but behind a: still in flight as far as order goes
    await h.settle();
    expect(waited).toBe(false);
    a.resolve(bytes(1));
    await h.settle();
    expect(waited).toBe(true);
  });

  it('errors the stream with the first failure and never releases what finished behind it', async () => {
    const h = harness(8);
    const a = deferred();
    const b = deferred();
    const c = deferred();
    for (const x of [a, b, c]) void h.queue.push(x.promise);
    c.resolve(bytes(3));
    const failure = new Error('chunk 1 failed');
    b.reject(failure);
    a.resolve(bytes(1));
    await expect(h.queue.settled()).rejects.toBe(failure);
    await h.reading;
    expect(h.released.map((x) => x[0])).toEqual([1]);
    expect(h.error()).toBe(failure);
    expect(() => h.queue.push(bytes(4))).toThrow(failure);
  });

  it('joins synchronous results that lie back to back in one buffer into one chunk, at flush()', async () => {
    const h = harness(1);
    const slab = Uint8Array.from({ length: 30 }, (_, i) => i);
    void h.queue.push(slab.subarray(0, 10));
    void h.queue.push(slab.subarray(10, 20));
    await h.settle();
    expect(h.released).toEqual([]); // held until flush, so later pieces can still join
    void h.queue.push(slab.subarray(21, 30)); // a gap: the run so far leaves, a new one starts
    await h.settle();
    expect(h.released.map((x) => [x.byteOffset, x.byteLength])).toEqual([[0, 20]]);
    h.queue.flush();
    await h.settle();
    expect(h.released.map((x) => [x.byteOffset, x.byteLength])).toEqual([
      [0, 20],
      [21, 9],
    ]);
  });

  it('keeps a synchronous result behind a pending one, and drops empty results', async () => {
    const h = harness(8);
    const a = deferred();
    void h.queue.push(bytes(0)); // synchronous, nothing ahead: held as the current run
    void h.queue.push(a.promise); // flushes the run first
    void h.queue.push(new Uint8Array(0));
    void h.queue.push(bytes(2));
    a.resolve(bytes(1));
    await h.queue.settled();
    await h.settle();
    expect(h.released.map((x) => Array.from(x))).toEqual([[0], [1], [2]]);
  });
});
