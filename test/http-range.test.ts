// `Range` header parsing as a table: every accepted form with the bytes it selects, every
// refused form with its 416 and `Content-Range: bytes */size`, and the boundaries at 0, the
// last byte and past the end. The HTTP suites check the same rules end to end; this pins them
// where they live, so a change to the parser fails here with the exact header that broke.
import { describe, expect, it } from 'vitest';
import { FerryError } from '../src/errors.js';
import { parseRange } from '../src/http-range.js';

const SIZE = 1000;

function refusal(header: string, size = SIZE): FerryError {
  try {
    parseRange(header, size);
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    return e as FerryError;
  }
  throw new Error(`parseRange(${JSON.stringify(header)}, ${size}) did not throw`);
}

describe('parseRange', () => {
  it('answers undefined (a full 200) when there is no header or the unit is not bytes', () => {
    for (const header of [null, undefined, '', 'items=0-5', 'bytes', 'bytes 0-5', 'byte=0-5', 'bytesx=0-5']) {
      expect(parseRange(header, SIZE), String(header)).toBeUndefined();
    }
  });

  it.each([
    // [header, size, start, end]
    ['bytes=0-0', SIZE, 0, 0],
    ['bytes=0-999', SIZE, 0, 999],
    ['bytes=0-', SIZE, 0, 999],
    ['bytes=999-', SIZE, 999, 999],
    ['bytes=999-999', SIZE, 999, 999],
    ['bytes=10-19', SIZE, 10, 19],
    ['bytes=500-100000', SIZE, 500, 999], // an end past the file is clamped (RFC 9110 §14.1.2)
    ['bytes=0-999999999999999', SIZE, 0, 999],
    ['bytes=-1', SIZE, 999, 999],
    ['bytes=-10', SIZE, 990, 999],
    ['bytes=-1000', SIZE, 0, 999],
    ['bytes=-5000', SIZE, 0, 999], // a suffix longer than the file is the whole file
    ['bytes=0-0', 1, 0, 0],
    ['bytes=-1', 1, 0, 0],
    ['  bytes=2-3  ', SIZE, 2, 3],
    ['BYTES=2-3', SIZE, 2, 3],
    ['Bytes = 2-3', SIZE, 2, 3],
    ['bytes=007-008', SIZE, 7, 8],
  ] as const)('%j of %i bytes selects %i–%i', (header, size, start, end) => {
    expect(parseRange(header, size)).toEqual({ start, end });
  });

  it.each([
    // [header, size]: each is a 416
    ['bytes=1000-', SIZE], // starts exactly at the end
    ['bytes=1000-1000', SIZE],
    ['bytes=5000-6000', SIZE],
    ['bytes=0-', 0], // nothing to select in an empty file
    ['bytes=-1', 0],
    ['bytes=-0', SIZE],
    ['bytes=9-2', SIZE],
    ['bytes=1-0', SIZE],
    ['bytes=1000-,2000-3000', SIZE], // several ranges, none in the file
    ['bytes=-0, 5000-', SIZE],
    ['bytes=0-1,a-b', SIZE], // several ranges, one malformed
    ['bytes=0-1,,3-4', SIZE],
    ['bytes=0-1,3-4', 0],
    ['bytes=', SIZE],
    ['bytes=-', SIZE],
    ['bytes=--1', SIZE],
    ['bytes=1-2-3', SIZE],
    ['bytes=a-b', SIZE],
    ['bytes=1.5-2', SIZE],
    ['bytes=+1-2', SIZE],
    ['bytes=0x10-', SIZE],
    ['bytes=1 - 2', SIZE],
    ['bytes=1234567890123456-', SIZE], // 16 digits: refused before any number loses precision
    ['bytes=99999999999999999999-', SIZE],
    ['bytes=-1234567890123456', SIZE],
  ] as const)('refuses %j of %i bytes with 416 and bytes */size', (header, size) => {
    const e = refusal(header, size);
    expect(e.code).toBe('range_not_satisfiable');
    expect(e.status).toBe(416);
    expect(e.headers).toEqual({ 'content-range': `bytes */${size}` });
    expect(e.message.length).toBeGreaterThan(0);
  });

  it('answers several ranges with the whole file (undefined: a 200) when any of them is satisfiable', () => {
    for (const header of ['bytes=0-1,3-4', 'bytes=0-1, 3-4', 'bytes=0-0,-1', 'bytes=5000-6000, 10-20', 'bytes=0-,0-', 'bytes=-5,1-2,999-']) {
      expect(parseRange(header, SIZE), header).toBeUndefined();
    }
  });

  it('accepts 15-digit positions, the longest it reads', () => {
    const big = 10 ** 15;
    expect(parseRange('bytes=999999999999998-', big)).toEqual({ start: 999_999_999_999_998, end: big - 1 });
    expect(parseRange('bytes=-999999999999999', big)).toEqual({ start: 1, end: big - 1 });
  });

  it('always returns a range inside the file, for every start and end around a small size', () => {
    const size = 7;
    for (let a = 0; a <= 9; a++) {
      for (const b of ['', ...Array.from({ length: 10 }, (_, i) => String(i))]) {
        const header = `bytes=${a}-${b}`;
        const valid = a < size && (b === '' || Number(b) >= a);
        if (!valid) {
          expect(refusal(header, size).code, header).toBe('range_not_satisfiable');
          continue;
        }
        const r = parseRange(header, size)!;
        expect(r.start, header).toBe(a);
        expect(r.end, header).toBe(b === '' ? size - 1 : Math.min(Number(b), size - 1));
        expect(r.end, header).toBeLessThan(size);
        expect(r.start, header).toBeLessThanOrEqual(r.end);
      }
    }
  });
});
