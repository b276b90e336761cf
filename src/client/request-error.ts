// The one failure type of Ferry's client side (the widget and `ferry/client`): Ferry's stable
// error code when it answered (src/errors.ts), "network" when nothing answered, "canceled" when
// the caller stopped. Callers branch on `code`, never on messages.
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** Ferry's `{"error":{"code","message"}}`, or a code from the status when a proxy answered. */
export function errorFrom(status: number, body: string): RequestError {
  try {
    const e = JSON.parse(body)?.error;
    if (e && typeof e.code === 'string') return new RequestError(e.code, String(e.message ?? e.code), status);
  } catch {
    // not JSON: a proxy, the platform or a bucket answered
  }
  return new RequestError(status >= 500 ? 'internal_error' : 'bad_request', `HTTP ${status}`, status);
}
