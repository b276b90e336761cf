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
