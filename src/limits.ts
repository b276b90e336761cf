// Per-app abuse limits kept in memory (one Node process). Workers deployments use
// Cloudflare's rate-limiting rules instead (docs/security.md): an isolate's memory is not
// shared, so counting there would promise more than it keeps.
import { FerryError } from './errors.js';

export interface Limits {
  /** Throws 429 when `app` has used its request budget; otherwise counts one request. */
  takeRequest(app: string, perMinute: number, nowMs: number): void;
  /** Reserves an upload slot; the returned function releases it. Throws 429 when full. */
  startUpload(app: string, maxConcurrent: number): () => void;
}

/** Token buckets (one per app) refilled continuously, and a counter of uploads in progress. */
export class MemoryLimits implements Limits {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly uploads = new Map<string, number>();

  takeRequest(app: string, perMinute: number, nowMs: number): void {
    const rate = perMinute / 60_000;
    const b = this.buckets.get(app) ?? { tokens: perMinute, at: nowMs };
    b.tokens = Math.min(perMinute, b.tokens + (nowMs - b.at) * rate);
    b.at = nowMs;
    if (b.tokens < 1) {
      this.buckets.set(app, b);
      const wait = Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
      throw new FerryError('rate_limited', `Too many requests for this app; try again in ${wait} s.`, {
        'retry-after': String(wait),
      });
    }
    b.tokens -= 1;
    this.buckets.set(app, b);
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
