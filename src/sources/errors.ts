// The one place where a remote origin's failure becomes a Ferry error. Each provider's adapter
// reads its own error body only to say what kind of failure it was (Dropbox answers 409 for a
// missing path, Google 403 for rate limits, Microsoft and Box 401 for an expired token) and
// hands that reading here; the status the client sees is decided by this table alone:
//
//   token expired or revoked  → 401 source_auth_expired (the widget reconnects)
//   rate limited              → 429 rate_limited, with the origin's Retry-After
//   not found / gone          → 404 origin_not_found
//   origin 5xx, network error → 502 origin_failed
//   any other 4xx, or a refusal that is not about the user's grant → 424 origin_rejected
import { FerryError } from '../errors.js';

export type UpstreamKind = 'auth_expired' | 'rate_limited' | 'not_found' | 'rejected';

export interface UpstreamFailure {
  /** Source name, for the message. */
  source: string;
  /** The origin's HTTP status. */
  status: number;
  /** The adapter's reading of the provider's error body, when it says more than the status. */
  kind?: UpstreamKind;
  /** The origin's Retry-After header, as sent. */
  retryAfter?: string | null;
  /** A short, non-secret summary from the provider (its error code), for the message. */
  detail?: string;
}

const DEFAULT_RETRY_AFTER = '60';

export function upstreamError(f: UpstreamFailure): FerryError {
  const from = `${f.source}${f.detail ? ` (${clean(f.detail)})` : ''}`;
  if (f.kind === 'rejected') {
    return new FerryError('origin_rejected', `${from} refused the request with HTTP ${f.status}.`);
  }
  if (f.kind === 'auth_expired' || (f.kind === undefined && f.status === 401)) {
    return new FerryError('source_auth_expired', `The connection to ${from} has expired or was revoked; connect again.`);
  }
  if (f.kind === 'rate_limited' || f.status === 429) {
    return new FerryError('rate_limited', `${from} is rate limiting requests; try again later.`, {
      'retry-after': retryAfter(f.retryAfter),
    });
  }
  if (f.kind === 'not_found' || f.status === 404 || f.status === 410) {
    return new FerryError('origin_not_found', `${from} has no such file or folder.`);
  }
  if (f.status >= 500 && f.status <= 599) {
    return new FerryError('origin_failed', `${from} failed with HTTP ${f.status}.`);
  }
  if (f.status >= 400 && f.status <= 499) {
    return new FerryError('origin_rejected', `${from} refused the request with HTTP ${f.status}.`);
  }
  return new FerryError('origin_failed', `${from} answered with an unexpected HTTP ${f.status}.`);
}

/** A request that never got an answer (connection refused, reset, timed out, bad JSON). */
export function networkError(source: string, cause?: unknown): FerryError {
  if (cause instanceof FerryError) return cause;
  const why = cause instanceof Error && cause.name === 'AbortError' ? 'timed out or was cancelled' : 'could not be reached';
  return new FerryError('origin_failed', `${source} ${why}.`);
}

/** Retry-After is delta-seconds or an HTTP date; anything else (or nothing) becomes a default. */
function retryAfter(value: string | null | undefined): string {
  const v = value?.trim();
  if (v && /^\d{1,9}$/.test(v)) return v;
  if (v && /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(v)) return v;
  return DEFAULT_RETRY_AFTER;
}

/** Provider text goes into our message: printable ASCII only, and short. */
function clean(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, 120);
}

/**
 * Reads a small JSON error body without trusting it: at most 64 KiB, any parse failure gives
 * undefined. Used by adapters to classify failures; never echoed whole to clients.
 */
export async function readErrorBody(res: Response): Promise<{ json?: unknown; text: string }> {
  let text = '';
  try {
    const reader = res.body?.getReader();
    if (reader) {
      const decoder = new TextDecoder();
      let total = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        text += decoder.decode(value, { stream: true });
        if (total > 64 * 1024) {
          await reader.cancel();
          break;
        }
      }
    }
  } catch {
    // a broken error body is still an error; classify on the status alone
  }
  try {
    return { json: JSON.parse(text), text };
  } catch {
    return { text };
  }
}
