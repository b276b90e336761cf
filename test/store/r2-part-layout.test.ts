// R2 joins a multipart object only when every part but the last has the same size (at least
// 5 MiB) and the last is no larger: Miniflare's local R2 enforces exactly that at complete, and
// so does R2. Upload sessions and tus both write into one multipart object; here their part
// layouts are checked against that rule for file sizes around every boundary that matters. The
// HTTP suites complete real sessions and tus uploads on the binding (test/api/uploads-suite.ts,
// test/tus/protocol.test.ts, target workerd+r2), and r2-store.test.ts shows R2 refusing an
// unequal layout (InvalidParts).
import { describe, expect, it } from 'vitest';
import { SEALED_CHUNK_SIZE } from '../../src/crypto/chunked.js';
import { MAX_PREFIX_SIZE } from '../../src/format-v2.js';
import { MAX_PARTS } from '../../src/store/object-store.js';
import * as tus from '../../src/tus/layout.js';
import { partCount, partRange, partSizeFor } from '../../src/uploads.js';

const MiB = 1024 * 1024;
const R2_MIN_PART = 5 * MiB;

/** What R2 demands of a list of part sizes, in part order. */
function r2Accepts(sizes: number[]): boolean {
  if (sizes.length === 0 || sizes.length > MAX_PARTS) return false;
  const first = sizes[0]!;
  const leading = sizes.slice(0, -1);
  return leading.every((s) => s === first && s >= R2_MIN_PART) && sizes.at(-1)! <= first;
}

const sizes = (() => {
  const out = new Set<number>([0, 1, 100, MAX_PREFIX_SIZE]);
  for (const base of [8 * MiB, 16 * MiB, 8 * MiB * MAX_PARTS, 9 * MiB * MAX_PARTS, tus.MIN_PART_SIZE, tus.MIN_PART_SIZE * MAX_PARTS]) {
    for (const k of [1, 2, 3, 7]) for (const d of [-1, 0, 1]) out.add(base * k + d);
  }
  out.add(1024 ** 3);
  out.add(10 * 1024 ** 3);
  out.add(50 * 1024 ** 3);
  return [...out].filter((s) => s >= 0).sort((a, b) => a - b);
})();

describe('part layouts R2 accepts', () => {
  it('upload sessions: equal parts of at least 8 MiB, the last no larger, at most 10,000', () => {
    for (const objectSize of sizes) {
      const partSize = partSizeFor(objectSize);
      const count = partCount(objectSize, partSize);
      const first = partRange(objectSize, partSize, 1);
      const last = partRange(objectSize, partSize, count);
      // The parts between are exactly partSize by construction (start = (n-1) * partSize).
      const middle = count > 2 ? partRange(objectSize, partSize, 2) : undefined;
      const layout = [first.end - first.start, ...(middle ? [middle.end - middle.start] : []), ...(count > 1 ? [last.end - last.start] : [])];
      expect(r2Accepts(count === 1 ? [layout[0]!] : layout), `${objectSize} B: ${count} parts of ${partSize}`).toBe(true);
      expect(count, `${objectSize} B`).toBeLessThanOrEqual(MAX_PARTS);
      expect(last.end, `${objectSize} B`).toBe(objectSize);
    }
  });

  it('tus: equal parts of whole sealed chunks (≥ 5 MiB), the last no larger, at most 10,000', () => {
    for (const plain of sizes) {
      const objectSize = MAX_PREFIX_SIZE + plain + Math.ceil(plain / (SEALED_CHUNK_SIZE - 16)) * 16;
      const partSize = tus.partSizeFor(objectSize);
      const count = tus.partCount(objectSize, partSize);
      expect(partSize % SEALED_CHUNK_SIZE, `${objectSize} B`).toBe(0);
      const lengths = [partSize, objectSize - (count - 1) * partSize];
      expect(r2Accepts(count === 1 ? [objectSize] : lengths), `${objectSize} B: ${count} parts of ${partSize}`).toBe(true);
      expect(count, `${objectSize} B`).toBeLessThanOrEqual(MAX_PARTS);
    }
  });

  it('the rule itself refuses what R2 refuses', () => {
    expect(r2Accepts([5 * MiB, 5 * MiB + 1, 10])).toBe(false);
    expect(r2Accepts([4 * MiB, 4 * MiB, 10])).toBe(false);
    expect(r2Accepts([5 * MiB, 6 * MiB])).toBe(false);
    expect(r2Accepts([5 * MiB, 5 * MiB, 10])).toBe(true);
    expect(r2Accepts([10])).toBe(true);
  });
});
