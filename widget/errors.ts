// Ferry's stable error codes (src/errors.ts) as sentences a user can act on. Codes are matched,
// never messages; an unknown code still gets a sentence that names it.
import type { FerryError, MessageKey } from './api.js';
import type { Translator } from './i18n.js';

const SENTENCES: Record<string, MessageKey> = {
  network: 'error_network',
  canceled: 'error_canceled',
  file_too_large: 'error_too_large',
  file_too_small: 'error_too_small',
  missing_policy: 'error_policy',
  malformed_policy: 'error_policy',
  invalid_signature: 'error_policy',
  policy_expired: 'error_policy',
  policy_call_denied: 'error_policy',
  policy_handle_denied: 'error_policy',
  missing_key: 'error_app',
  unknown_key: 'error_app',
  origin_not_allowed: 'error_origin_not_allowed',
  rate_limited: 'error_rate_limited',
  storage_unavailable: 'error_storage',
  storage_full: 'error_storage_full',
  origin_failed: 'error_origin_failed',
  request_timeout: 'error_network',
  upload_interrupted: 'error_network',
  origin_not_found: 'error_origin_not_found',
  not_found: 'error_origin_not_found',
  origin_rejected: 'error_origin_rejected',
  blocked_address: 'error_blocked_address',
  invalid_url: 'error_invalid_url',
  invalid_account: 'error_account',
  source_auth_expired: 'error_account',
  source_auth_denied: 'error_denied',
  source_not_enabled: 'error_source_not_enabled',
  unknown_source: 'error_source_not_enabled',
  invalid_filename: 'error_invalid_filename',
  internal_error: 'error_server',
  corrupt_object: 'error_server',
  file_expired: 'error_file_expired',
  invalid_upload: 'error_upload_damaged',
};

export function sentenceFor(t: Translator, code: string): string {
  const key = SENTENCES[code];
  return key ? t.t(key) : t.t('error_default', { code });
}

export function userError(t: Translator, code: string): FerryError {
  return { code, message: sentenceFor(t, code) };
}

/** Errors after which the account token is useless: forget it and ask to connect again. */
export function isAccountError(code: string): boolean {
  return code === 'invalid_account' || code === 'source_auth_expired' || code === 'source_auth_denied';
}
