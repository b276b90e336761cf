// The one constant-time compare: equal only for the same length and the same bytes, whichever
// byte differs.
import { describe, expect, it } from 'vitest';
import { equalBytes } from '../../src/crypto/equal-bytes.js';

describe('equalBytes', () => {
  const a = Uint8Array.from({ length: 32 }, (_, i) => i * 7);

  it('is true for the same bytes in another buffer, and for two empty arrays', () => {
    expect(equalBytes(a, a.slice())).toBe(true);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it.each([0, 15, 31])('is false when byte %i differs by one bit', (i) => {
    const b = a.slice();
    b[i]! ^= 0x01;
    expect(equalBytes(a, b)).toBe(false);
  });

  it('is false for a prefix, either way round', () => {
    expect(equalBytes(a, a.subarray(0, 31))).toBe(false);
    expect(equalBytes(a.subarray(0, 31), a)).toBe(false);
  });
});
