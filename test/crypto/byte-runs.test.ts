// The rejoin contract of byte-runs.ts: joinAdjacent joins exactly the views that touch in one
// buffer, in order, without a copy; slabCarver hands out back-to-back, zero-filled, never
// reused views, so consecutive outputs are joinable and each stays what it was.
import { describe, expect, it } from 'vitest';
import { joinAdjacent, slabCarver } from '../../src/crypto/byte-runs.js';

describe('joinAdjacent', () => {
  const buffer = Uint8Array.from({ length: 100 }, (_, i) => i);

  it('joins a view with the one that starts where it ends, as one view of the same buffer', () => {
    const joined = joinAdjacent(buffer.subarray(10, 20), buffer.subarray(20, 35))!;
    expect(joined.buffer).toBe(buffer.buffer);
    expect([joined.byteOffset, joined.byteLength]).toEqual([10, 25]);
    expect(Array.from(joined)).toEqual(Array.from(buffer.subarray(10, 35)));
  });

  it.each([
    ['a gap of one byte', buffer.subarray(0, 10), buffer.subarray(11, 20)],
    ['the later piece first', buffer.subarray(10, 20), buffer.subarray(0, 10)],
    ['overlapping pieces', buffer.subarray(0, 10), buffer.subarray(9, 20)],
    ['equal bytes in another buffer', buffer.subarray(0, 10), buffer.slice(10, 20)],
  ])('refuses %s', (_, a, b) => {
    expect(joinAdjacent(a, b)).toBeUndefined();
  });

  it('joins back-to-back views of a Buffer-like offset view (byteOffset counts from the buffer)', () => {
    const inner = new Uint8Array(buffer.buffer, 40, 30);
    expect(joinAdjacent(inner.subarray(0, 5), inner.subarray(5, 9))?.byteOffset).toBe(40);
  });
});

describe('slabCarver', () => {
  it('carves consecutive outputs back to back, so each joins the one before', () => {
    const carve = slabCarver(1000, 100);
    const a = carve(300);
    const b = carve(300);
    const c = carve(400);
    expect(joinAdjacent(joinAdjacent(a, b)!, c)?.byteLength).toBe(1000);
  });

  it('opens a new slab when the current one is full, and never hands a byte out twice', () => {
    const carve = slabCarver(1000, 100);
    const a = carve(600);
    const b = carve(600);
    expect(b.buffer).not.toBe(a.buffer);
    expect(b.byteOffset).toBe(0);
    a.fill(1);
    b.fill(2);
    const c = carve(400);
    expect(c.buffer).toBe(b.buffer);
    expect(Array.from(new Set(c))).toEqual([0]); // zero-filled, not b's bytes
    expect(Array.from(new Set(a))).toEqual([1]);
  });

  it('gives a small output that does not fit its own exact buffer, keeping the slab for later', () => {
    const carve = slabCarver(1000, 100);
    const a = carve(950);
    const small = carve(60);
    expect(small.buffer).not.toBe(a.buffer);
    expect(small.buffer.byteLength).toBe(60);
    expect(carve(50).buffer).toBe(a.buffer);
  });

  it('opens a slab as large as an output bigger than the slab size', () => {
    const carve = slabCarver(1000, 100);
    const big = carve(5000);
    expect(big.byteLength).toBe(5000);
    expect(big.buffer.byteLength).toBe(5000);
  });
});
