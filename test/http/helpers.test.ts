// The HTTP layer's small rules, each owned by one file now that files and picks share them:
// ?ttl= parsing, If-None-Match, Bearer tokens, the 405 fallback and the 413 wording.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/context.js';
import { errorResponse, type FerryError } from '../../src/errors.js';
import { bearerToken } from '../../src/http/bearer.js';
import { ifNoneMatch } from '../../src/http/conditional.js';
import { allowOnly } from '../../src/http/method-not-allowed.js';
import { fileTooLarge } from '../../src/http/too-large.js';
import { parseTtl } from '../../src/http/ttl.js';

function ttlCode(raw: string | undefined, max: number): number | string {
  try {
    return parseTtl(raw, max);
  } catch (e) {
    return (e as FerryError).code;
  }
}

describe('parseTtl', () => {
  it.each([
    [undefined, 3600, 3600],
    [undefined, 100_000, 86_400],
    ['1', 3600, 1],
    ['3600', 3600, 3600],
    ['3601', 3600, 'invalid_ttl'],
    ['86401', 100_000, 'invalid_ttl'],
    ['0', 3600, 'invalid_ttl'],
    ['-1', 3600, 'invalid_ttl'],
    ['1e3', 3600, 'invalid_ttl'],
    ['0x10', 3600, 'invalid_ttl'],
    ['', 3600, 'invalid_ttl'],
  ] as const)('ttl=%s under %i gives %s', (raw, max, want) => {
    expect(ttlCode(raw, max)).toBe(want);
  });
});

describe('ifNoneMatch', () => {
  it.each([
    [undefined, false],
    ['"a"', true],
    ['W/"a"', true],
    ['"b", "a"', true],
    ['*', true],
    ['"b"', false],
    ['a', false],
  ] as const)('%s against "a" is %s', (header, want) => {
    expect(ifNoneMatch(header, '"a"')).toBe(want);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer   abc', 'abc'],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['Basic abc', undefined],
    [undefined, undefined],
  ] as const)('%s gives %s', (header, want) => {
    expect(bearerToken(header)).toBe(want);
  });
});

describe('allowOnly', () => {
  it('answers other methods with 405 and the Allow header, and leaves the allowed ones alone', async () => {
    const app = new Hono<AppEnv>();
    app.get('/x', (c) => c.text('ok'));
    allowOnly(app, '/x', ['GET', 'HEAD']);
    app.onError((err) => errorResponse(err as FerryError));
    expect((await app.request('/x')).status).toBe(200);
    const res = await app.request('/x', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
  });
});

describe('fileTooLarge', () => {
  it('names the platform only when its cap is the one that bit', () => {
    const plan = { name: "Cloudflare's Free plan", bytes: 100 };
    expect(fileTooLarge(100, plan).message).toContain("Cloudflare's Free plan");
    expect(fileTooLarge(50, plan).message).toBe('The file is larger than the limit of 50 bytes.');
    expect(fileTooLarge(50).status).toBe(413);
  });
});
