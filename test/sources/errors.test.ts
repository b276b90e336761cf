// The one normaliser: what status and code a client sees for each kind of upstream failure.
import { describe, expect, it } from 'vitest';
import { networkError, upstreamError } from '../../src/sources/errors.js';

describe('upstream error normaliser', () => {
  it.each([
    [500, undefined, 502, 'origin_failed'],
    [502, undefined, 502, 'origin_failed'],
    [503, undefined, 502, 'origin_failed'],
    [404, undefined, 404, 'origin_not_found'],
    [410, undefined, 404, 'origin_not_found'],
    [409, 'not_found', 404, 'origin_not_found'],
    [429, undefined, 429, 'rate_limited'],
    [403, 'rate_limited', 429, 'rate_limited'],
    [401, undefined, 401, 'source_auth_expired'],
    [400, 'auth_expired', 401, 'source_auth_expired'],
    [400, undefined, 424, 'origin_rejected'],
    [403, undefined, 424, 'origin_rejected'],
    [409, undefined, 424, 'origin_rejected'],
    [401, 'rejected', 424, 'origin_rejected'],
    [302, undefined, 502, 'origin_failed'],
  ] as const)('HTTP %i read as %s → %i %s', (status, kind, expected, code) => {
    const e = upstreamError({ source: 'Dropbox', status, kind });
    expect(e.status).toBe(expected);
    expect(e.code).toBe(code);
  });

  it('passes Retry-After through, or supplies one', () => {
    expect(upstreamError({ source: 'Box', status: 429, retryAfter: '17' }).headers['retry-after']).toBe('17');
    expect(upstreamError({ source: 'Box', status: 429, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT' }).headers['retry-after']).toBe(
      'Wed, 21 Oct 2026 07:28:00 GMT',
    );
    expect(upstreamError({ source: 'Box', status: 429, retryAfter: 'soon\r\nSet-Cookie: x' }).headers['retry-after']).toBe('60');
    expect(upstreamError({ source: 'Box', status: 429 }).headers['retry-after']).toBe('60');
  });

  it('keeps provider text short and printable', () => {
    const e = upstreamError({ source: 'Dropbox', status: 409, detail: 'path/\u0000evil\u202e' + 'x'.repeat(500) });
    expect(e.message).not.toMatch(/[^\x20-\x7e]/);
    expect(e.message.length).toBeLessThan(220);
  });

  it('turns a failed connection into 502', () => {
    expect(networkError('Google Drive', new TypeError('fetch failed')).code).toBe('origin_failed');
  });
});
