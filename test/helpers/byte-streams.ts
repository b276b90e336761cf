// Tools for testing byte-stream transforms: deterministic random write sizes, running a
// TransformStream write by write while reading, and byte equality that stays fast for megabytes.
import { expect } from 'vitest';

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A small seeded generator (mulberry32), so failures replay. */
export function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random write sizes: mostly small and odd, sometimes bigger than a chunk. */
export function split(b: Uint8Array, seed: number): Uint8Array[] {
  const r = rng(seed);
  const parts: Uint8Array[] = [];
  for (let o = 0; o < b.length; ) {
    const x = r();
    const n = x < 0.5 ? 1 + Math.floor(r() * 100) : x < 0.9 ? 1 + Math.floor(r() * 20000) : 1 + Math.floor(r() * 100000);
    parts.push(b.subarray(o, o + n));
    o += n;
  }
  return parts;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte equality that stays fast for megabytes, and shows where two arrays first differ. */
export function expectBytes(actual: Uint8Array, expected: Uint8Array) {
  if (actual.length === expected.length && Buffer.compare(actual, expected) === 0) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  expect({ length: actual.length, at: i, bytes: hex(actual.subarray(i, i + 16)) }).toEqual({
    length: expected.length,
    at: i,
    bytes: hex(expected.subarray(i, i + 16)),
  });
}

/** Writes `parts` one by one while reading; returns what came out, and the error if any. */
export async function run(ts: TransformStream<Uint8Array, Uint8Array>, parts: Uint8Array[]) {
  const writer = ts.writable.getWriter();
  const writing = (async () => {
    for (const p of parts) await writer.write(p);
    await writer.close();
  })();
  writing.catch(() => {});
  const chunks: Uint8Array[] = [];
  let error: unknown;
  const reader = ts.readable.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch (e) {
    error = e;
  }
  if (error === undefined) await writing;
  return { out: concat(chunks), chunks, error };
}

/** What a fakeSource saw: how often it was pulled, and whether (and why) it was cancelled. */
export interface SourceLog {
  pulls: number;
  /** Bytes handed out so far. */
  given: number;
  cancelled: boolean;
  cancelReason: unknown;
}

/**
 * A byte source that records what its consumer does (node-server's fake-stream style): every
 * pull is counted and hands out one chunk, `chunk(i)` for the i-th, until `count` chunks
 * (Infinity: forever); `failAt` errors the stream at that pull instead; `signal` errors it with
 * the signal's reason when aborted, as a request body does when the client goes away.
 * highWaterMark 0: it is pulled only when someone downstream asks, so `pulls` measures read-ahead.
 */
export function fakeSource(
  options: {
    chunk?: (i: number) => Uint8Array;
    count?: number;
    failAt?: number;
    error?: unknown;
    signal?: AbortSignal;
  } = {},
): { stream: ReadableStream<Uint8Array>; log: SourceLog } {
  const { chunk = () => new Uint8Array(1024), count = Infinity, failAt, error = new Error('source failed'), signal } = options;
  const log: SourceLog = { pulls: 0, given: 0, cancelled: false, cancelReason: undefined };
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        signal?.addEventListener('abort', () => controller.error(signal.reason), { once: true });
      },
      pull(controller) {
        const i = log.pulls++;
        if (i === failAt) return controller.error(error);
        if (i >= count) return controller.close();
        const value = chunk(i);
        log.given += value.byteLength;
        controller.enqueue(value);
      },
      cancel(reason) {
        log.cancelled = true;
        log.cancelReason = reason;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, log };
}

/** Lets pending stream work (pulls, pipes, promise chains) run until nothing more happens. */
export async function idle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** Reads a stream to its end: the chunks, their bytes joined, and the error if it failed. */
export async function readAll(stream: ReadableStream<Uint8Array>) {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  } catch (error) {
    return { chunks, out: concat(chunks), error };
  }
  return { chunks, out: concat(chunks), error: undefined as unknown };
}
