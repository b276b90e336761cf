// Every error Ferry answers with comes from this one table: a stable `code` that clients and
// the widget can switch on, and the HTTP status that fits it. Code throws `FerryError`; one
// `onError` (in app.ts) renders `{"error":{"code","message"}}`. Nothing matches on message text.

export const ERRORS = {
  bad_request: 400,
  invalid_ttl: 400,
  invalid_filename: 400,
  invalid_multipart: 400,
  upload_interrupted: 400,
  missing_file: 400,
  invalid_json: 400,
  invalid_url: 400,
  invalid_state: 400,
  file_too_small: 400,
  invalid_part: 400,
  tus_wrong_endpoint: 400,
  tus_invalid_header: 400,
  tus_chunk_too_small: 400,
  missing_key: 401,
  unknown_key: 401,
  missing_secret: 401,
  unknown_secret: 401,
  missing_policy: 401,
  malformed_policy: 401,
  invalid_signature: 401,
  policy_expired: 401,
  invalid_account: 401,
  source_auth_expired: 401,
  origin_not_allowed: 403,
  policy_call_denied: 403,
  policy_handle_denied: 403,
  blocked_address: 403,
  source_not_enabled: 403,
  source_auth_denied: 403,
  not_found: 404,
  unknown_source: 404,
  origin_not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  upload_incomplete: 409,
  tus_offset_mismatch: 409,
  file_expired: 410,
  tus_version_unsupported: 412,
  file_too_large: 413,
  body_too_large: 413,
  upload_past_length: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  expectation_failed: 417,
  invalid_upload: 422,
  origin_rejected: 424,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  corrupt_object: 500,
  origin_failed: 502,
  storage_unavailable: 503,
  storage_full: 507,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERRORS;

export class FerryError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers, e.g. `Retry-After` or `Content-Range` for 416. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'FerryError';
    this.status = ERRORS[code];
  }
}

export function isFerryError(e: unknown): e is FerryError {
  return e instanceof FerryError;
}

/** The JSON body of an error response. */
export function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

export function errorResponse(err: FerryError): Response {
  return new Response(errorBody(err.code, err.message), {
    status: err.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...err.headers },
  });
}
