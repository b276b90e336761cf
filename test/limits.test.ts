// The in-memory abuse limits on an explicit clock: a full bucket on first sight, refill at
// `perMinute / 60 s`, a 429 with a whole-second Retry-After when empty, apps counted apart,
// and upload slots that are released once, however often the release is called.
import { describe, expect, it } from 'vitest';
import { FerryError } from '../src/errors.js';
import { MemoryLimits } from '../src/limits.js';

const T0 = 1_700_000_000_000;

function rateLimited(f: () => unknown): FerryError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    expect((e as FerryError).code).toBe('rate_limited');
    expect((e as FerryError).status).toBe(429);
    return e as FerryError;
  }
  throw new Error('expected a 429');
}

/** How many requests pass in a row at `nowMs` before the first 429. */
function burst(limits: MemoryLimits, app: string, perMinute: number, nowMs: number, max = 1000): number {
  for (let n = 0; n < max; n++) {
    try {
      limits.takeRequest(app, perMinute, nowMs);
    } catch (e) {
      expect((e as FerryError).code).toBe('rate_limited');
      return n;
    }
  }
  return max;
}

describe('MemoryLimits.takeRequest', () => {
  it.each([1, 2, 5, 60, 600])('lets a new app make %i requests at once, then answers 429', (perMinute) => {
    const limits = new MemoryLimits();
    expect(burst(limits, 'a', perMinute, T0)).toBe(perMinute);
    rateLimited(() => limits.takeRequest('a', perMinute, T0));
  });

  it.each([
    // [perMinute, ms after the bucket emptied, Retry-After seconds]
    [60, 0, 1], // one token a second
    [60, 500, 1], // half a token left to wait for: still rounded up to a whole second
    [6, 0, 10], // one token every 10 s
    [6, 2_500, 8], // 7.5 s left, rounded up
    [6, 9_999, 1],
    [1, 0, 60],
    [1, 59_000, 1],
  ])('at %i/min, %i ms after emptying, says Retry-After: %s', (perMinute, after, seconds) => {
    const limits = new MemoryLimits();
    burst(limits, 'a', perMinute, T0);
    const e = rateLimited(() => limits.takeRequest('a', perMinute, T0 + after));
    expect(e.headers).toEqual({ 'retry-after': String(seconds) });
    expect(e.message).toContain(`${seconds} s`);
  });

  it('refills continuously at perMinute / 60 s and never above perMinute', () => {
    const limits = new MemoryLimits();
    expect(burst(limits, 'a', 60, T0)).toBe(60);
    // 999 ms is not a whole token; 1000 ms is.
    rateLimited(() => limits.takeRequest('a', 60, T0 + 999));
    expect(() => limits.takeRequest('a', 60, T0 + 1000)).not.toThrow();
    rateLimited(() => limits.takeRequest('a', 60, T0 + 1000));
    // 10 s later, 10 tokens.
    expect(burst(limits, 'a', 60, T0 + 11_000)).toBe(10);
    // An hour idle refills to the cap, not to 3600.
    expect(burst(limits, 'a', 60, T0 + 3_600_000)).toBe(60);
  });

  it('does not count refused requests against the refill', () => {
    const limits = new MemoryLimits();
    burst(limits, 'a', 60, T0);
    // A client hammering while empty must not push its own next slot further out.
    for (let i = 0; i < 50; i++) rateLimited(() => limits.takeRequest('a', 60, T0 + 10 * i));
    expect(() => limits.takeRequest('a', 60, T0 + 1000)).not.toThrow();
  });

  it('counts each app apart', () => {
    const limits = new MemoryLimits();
    expect(burst(limits, 'a', 3, T0)).toBe(3);
    expect(burst(limits, 'b', 3, T0)).toBe(3);
    rateLimited(() => limits.takeRequest('a', 3, T0));
    rateLimited(() => limits.takeRequest('b', 3, T0));
  });
});

describe('MemoryLimits.chargeRefused', () => {
  it('gives the token back to the app and spends one of its refused budget instead', () => {
    const limits = new MemoryLimits();
    // 10 requests counted on arrival, all refused afterwards: the app's budget is whole again.
    for (let i = 0; i < 10; i++) {
      limits.takeRequest('a', 10, T0);
      limits.chargeRefused('a', 10, T0);
    }
    expect(burst(limits, 'a', 10, T0)).toBe(10);
  });

  it('answers 429 once the refused budget is spent, with its own Retry-After, and refills it', () => {
    const limits = new MemoryLimits();
    for (let i = 0; i < 60; i++) {
      limits.takeRequest('a', 60, T0);
      limits.chargeRefused('a', 60, T0);
    }
    limits.takeRequest('a', 60, T0);
    const e = rateLimited(() => limits.chargeRefused('a', 60, T0));
    expect(e.headers).toEqual({ 'retry-after': '1' });
    expect(e.message).toContain('refused');
    // A flood of refused requests left the authorised budget alone (the last one's token came back).
    expect(burst(limits, 'a', 60, T0)).toBe(60);
    // A second later the refused budget has one token again.
    limits.takeRequest('a', 60, T0 + 1000);
    expect(() => limits.chargeRefused('a', 60, T0 + 1000)).not.toThrow();
  });

  it('never lets a refund raise the budget above perMinute', () => {
    const limits = new MemoryLimits();
    limits.chargeRefused('a', 5, T0);
    expect(burst(limits, 'a', 5, T0)).toBe(5);
  });
});

describe('MemoryLimits.startUpload', () => {
  it.each([1, 2, 5])('allows %i uploads in progress per app, then answers 429 with Retry-After: 1', (max) => {
    const limits = new MemoryLimits();
    const releases = Array.from({ length: max }, () => limits.startUpload('a', max));
    const e = rateLimited(() => limits.startUpload('a', max));
    expect(e.headers).toEqual({ 'retry-after': '1' });
    expect(e.message).toContain(`at most ${max}`);
    // Another app has its own slots.
    expect(() => limits.startUpload('b', max)).not.toThrow();
    releases[0]!();
    expect(() => limits.startUpload('a', max)).not.toThrow();
    rateLimited(() => limits.startUpload('a', max));
  });

  it('releases a slot once, however often its release is called', () => {
    const limits = new MemoryLimits();
    const first = limits.startUpload('a', 2);
    const second = limits.startUpload('a', 2);
    first();
    first();
    first();
    // Only one slot came back: a third upload fits, a fourth does not.
    const third = limits.startUpload('a', 2);
    rateLimited(() => limits.startUpload('a', 2));
    second();
    third();
    // Both slots are free again, and no release went below zero.
    limits.startUpload('a', 2);
    limits.startUpload('a', 2);
    rateLimited(() => limits.startUpload('a', 2));
  });

  it('refuses every upload when the limit is 0', () => {
    rateLimited(() => new MemoryLimits().startUpload('a', 0));
  });
});
