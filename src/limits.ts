// Per-app abuse limits kept in memory (one Node process). Workers deployments use
// Cloudflare's rate-limiting rules instead (docs/security.md): an isolate's memory is not
// shared, so counting there would promise more than it keeps.
// Each app has two request budgets of the same size: one for requests it authorised and one for
// requests refused for want of a valid policy or secret. Anyone who knows an app's public key
// can send the second kind, so they must not spend what the app's signed uploads need; they
// are still counted, against their own budget, so flooding them earns 429s as before.
import { FerryError } from './errors.js';

export interface Limits {
  /** Throws 429 when `app` has used its request budget; otherwise counts one request. */
  takeRequest(app: string, perMinute: number, nowMs: number): void;
  /**
   * Moves a request counted by `takeRequest` to the app's budget for refused requests: its token
   * goes back, one of the refused budget is spent. Throws 429 when that budget is used up.
   */
  chargeRefused(app: string, perMinute: number, nowMs: number): void;
  /** Reserves an upload slot; the returned function releases it. Throws 429 when full. */
  startUpload(app: string, maxConcurrent: number): () => void;
}

/** Token buckets (one per app) refilled continuously, and a counter of uploads in progress. */
export class MemoryLimits implements Limits {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly uploads = new Map<string, number>();

  takeRequest(app: string, perMinute: number, nowMs: number): void {
    this.take(app, perMinute, nowMs, 'Too many requests for this app');
  }

  chargeRefused(app: string, perMinute: number, nowMs: number): void {
    const b = this.refill(app, perMinute, nowMs);
    b.tokens = Math.min(perMinute, b.tokens + 1);
    this.take(`${app}\0refused`, perMinute, nowMs, 'Too many refused requests for this app');
  }

  private refill(key: string, perMinute: number, nowMs: number): { tokens: number; at: number } {
    const b = this.buckets.get(key) ?? { tokens: perMinute, at: nowMs };
    b.tokens = Math.min(perMinute, b.tokens + (nowMs - b.at) * (perMinute / 60_000));
    b.at = nowMs;
    this.buckets.set(key, b);
    return b;
  }

  private take(key: string, perMinute: number, nowMs: number, what: string): void {
    const b = this.refill(key, perMinute, nowMs);
    if (b.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - b.tokens) / (perMinute / 60_000) / 1000));
      throw new FerryError('rate_limited', `${what}; try again in ${wait} s.`, { 'retry-after': String(wait) });
    }
    b.tokens -= 1;
  }

  startUpload(app: string, maxConcurrent: number): () => void {
    const n = this.uploads.get(app) ?? 0;
    if (n >= maxConcurrent) {
      throw new FerryError('rate_limited', `Too many uploads in progress for this app (at most ${maxConcurrent}).`, {
        'retry-after': '1',
      });
    }
    this.uploads.set(app, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.uploads.get(app) ?? 1) - 1;
      if (left <= 0) this.uploads.delete(app);
      else this.uploads.set(app, left);
    };
  }
}
