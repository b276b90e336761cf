// Provider tokens are refreshed on the way through: before a call when they have expired, and
// once after a call the provider refused as expired; never in a loop.
import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src/errors.js';
import { withFreshTokens } from '../../src/sources/session.js';
import type { AccountSource, ProviderTokens } from '../../src/sources/types.js';

function stubSource(refreshes: ProviderTokens[]) {
  const seen: string[] = [];
  const source = {
    refresh: async (t: ProviderTokens) => {
      seen.push(`refresh ${t.refresh}`);
      const next = refreshes.shift();
      if (!next) throw new FerryError('source_auth_expired', 'gone');
      return next;
    },
  } as unknown as AccountSource;
  return { source, seen };
}

const now = () => new Date('2026-11-22T12:00:00Z');
const nowSeconds = Date.parse('2026-11-22T12:00:00Z') / 1000;

describe('withFreshTokens', () => {
  it('uses tokens that have not expired as they are', async () => {
    const { source, seen } = stubSource([]);
    const tokens = { access: 'a1', refresh: 'r1', expiresAt: nowSeconds + 3600 };
    const out = await withFreshTokens(source, tokens, now, async (t) => t.access);
    expect(out).toEqual({ result: 'a1', tokens, refreshed: false });
    expect(seen).toEqual([]);
  });

  it('refreshes first when the access token has expired (or is about to)', async () => {
    const { source, seen } = stubSource([{ access: 'a2', refresh: 'r1', expiresAt: nowSeconds + 3600 }]);
    const out = await withFreshTokens(source, { access: 'a1', refresh: 'r1', expiresAt: nowSeconds + 30 }, now, async (t) => t.access);
    expect(out.result).toBe('a2');
    expect(out.refreshed).toBe(true);
    expect(seen).toEqual(['refresh r1']);
  });

  it('refreshes once when the provider says the token expired, then gives up', async () => {
    const { source, seen } = stubSource([{ access: 'a2', refresh: 'r2' }]);
    const calls: string[] = [];
    const err = await withFreshTokens(source, { access: 'a1', refresh: 'r1' }, now, async (t) => {
      calls.push(t.access);
      throw new FerryError('source_auth_expired', 'expired');
    }).catch((e) => e);
    expect(err.code).toBe('source_auth_expired');
    expect(calls).toEqual(['a1', 'a2']);
    expect(seen).toEqual(['refresh r1']);
  });

  it('does not refresh without a refresh token, nor for other errors', async () => {
    const { source, seen } = stubSource([{ access: 'a2' }]);
    const expired = await withFreshTokens(source, { access: 'a1' }, now, async () => {
      throw new FerryError('source_auth_expired', 'expired');
    }).catch((e) => e);
    expect(expired.code).toBe('source_auth_expired');
    const other = await withFreshTokens(source, { access: 'a1', refresh: 'r1' }, now, async () => {
      throw new FerryError('origin_failed', 'down');
    }).catch((e) => e);
    expect(other.code).toBe('origin_failed');
    expect(seen).toEqual([]);
  });
});
