// FERRY_KEYS parsing: what a valid ring looks like, every way a value can be wrong (each with a
// message that says what is wrong and never repeats key material), and the generated ring of the
// embedded mode.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatKeyring, generateKeyring, isValidKid, parseKeyring } from '../../src/crypto/keyring.js';

const key = (fill: number, length = 32) => Buffer.alloc(length, fill).toString('base64');
const K1 = key(1);
const K2 = key(2);

describe('parseKeyring', () => {
  it('takes the first kid as current and keeps every kid for decryption, in order', () => {
    const ring = parseKeyring(`new:${K2},old:${K1}`);
    expect(ring.current).toBe('new');
    expect(ring.kids).toEqual(['new', 'old']);
    expect(ring.key('new')).toEqual(new Uint8Array(32).fill(2));
    expect(ring.key('old')).toEqual(new Uint8Array(32).fill(1));
    expect(ring.key('other')).toBeUndefined();
  });

  it('accepts a single key, spaces around entries, unpadded and url-safe base64', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => 250 - i); // has + and / in base64
    const std = Buffer.from(bytes).toString('base64');
    expect(std).toMatch(/[+/]/);
    for (const value of [
      `k1:${std}`,
      ` k1 : ${std} `,
      `k1:${std.replace(/=+$/, '')}`,
      `k1:${Buffer.from(bytes).toString('base64url')}`,
      `k1:${std}\n`,
    ]) {
      const ring = parseKeyring(value);
      expect(ring.kids).toEqual(['k1']);
      expect(ring.key('k1')).toEqual(bytes);
    }
  });

  it('accepts kids of 1 to 10 printable characters', () => {
    const ring = parseKeyring(`a:${K1},0123456789:${K2},k-26_a.~!:${key(3)}`);
    expect(ring.kids).toEqual(['a', '0123456789', 'k-26_a.~!']);
  });

  it('hands out copies: changing one does not change the ring', () => {
    const ring = parseKeyring(`k1:${K1}`);
    ring.key('k1')!.fill(9);
    expect(ring.key('k1')).toEqual(new Uint8Array(32).fill(1));
  });

  it('never shows keys when logged or serialised', () => {
    const secret = Buffer.from(Uint8Array.from({ length: 32 }, (_, i) => i * 7));
    const ring = parseKeyring(`k1:${secret.toString('base64')}`);
    const shown = JSON.stringify(ring) + inspect(ring, { depth: 10, showHidden: true });
    expect(shown).toContain('k1');
    expect(shown).not.toContain(secret.toString('base64'));
    expect(shown).not.toContain(secret.toString('hex'));
    expect(shown).not.toContain([...secret].join(', '));
  });

  const SECRET = 'c2VjcmV0LWtleS1tYXRlcmlhbC0xMjM0NTY3ODkwYWI='; // 32 bytes of "secret-key-material-…"
  it.each([
    ['', /no keys/],
    ['   ', /no keys/],
    [`k1:${K1},`, /entry 2: empty entry/],
    [`k1:${K1},,k2:${K2}`, /entry 2: empty entry/],
    [SECRET, /missing ':'/],
    [`:${SECRET}`, /kid must be 1–10 printable ASCII/],
    [`${SECRET}:${SECRET}`, /kid must be 1–10 .*got 44 characters/],
    [`k 1:${SECRET}`, /kid must be/],
    [`ké:${SECRET}`, /kid must be/],
    ['k1:not base64!', /key for kid "k1" is not valid base64/],
    [`k1:${SECRET.slice(0, 20)}=${SECRET.slice(20)}`, /not valid base64/],
    [`k1:${key(1, 16)}`, /key for kid "k1" is 16 bytes; keys must be 32 bytes/],
    [`k1:${key(1, 33)}`, /is 33 bytes/],
    ['k1:', /is 0 bytes/],
    [`k1:${SECRET},k1:${K2}`, /entry 2: kid "k1" appears more than once/],
  ])('refuses %j', (value, message) => {
    let error: unknown;
    try {
      parseKeyring(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    const text = (error as Error).message;
    expect(text).toMatch(message);
    // Never echo key material, not even a piece of it.
    expect(text).not.toContain(SECRET.slice(0, 12));
    expect(text).not.toContain(K1.slice(0, 12));
    expect(text).not.toContain('not base64!');
  });
});

describe('isValidKid', () => {
  it.each([
    ['k1', true],
    ['0123456789', true],
    ['~!#$%&', true],
    ['', false],
    ['01234567890', false],
    ['a:b', false],
    ['a,b', false],
    ['a b', false],
    ['a\tb', false],
    ['é', false],
    ['a\0', false],
  ])('%j → %s', (kid, valid) => {
    expect(isValidKid(kid)).toBe(valid);
  });
});

describe('generateKeyring and formatKeyring', () => {
  it('generate one random 32-byte key under a dated kid', () => {
    const a = generateKeyring();
    const b = generateKeyring();
    expect(a.kids).toHaveLength(1);
    expect(a.current).toMatch(/^k\d{8}$/);
    expect(a.key(a.current)).toHaveLength(32);
    expect(a.key(a.current)).not.toEqual(b.key(b.current));
    expect(generateKeyring('local').current).toBe('local');
    expect(() => generateKeyring('way-too-long-kid')).toThrow();
  });

  it('format a ring as FERRY_KEYS that parses back to the same ring', () => {
    const generated = generateKeyring();
    const again = parseKeyring(formatKeyring(generated));
    expect(again.kids).toEqual(generated.kids);
    expect(again.key(generated.current)).toEqual(generated.key(generated.current));

    const value = `new:${K2},old:${K1}`;
    expect(formatKeyring(parseKeyring(value))).toBe(value);
  });
});
