// The tus 1.0.0 wire format (tus.io/protocols/resumable-upload): versions, extensions, and the
// parsers of its headers. Kept apart from the routes so the rules a header must follow are in
// one place and testable without HTTP.
import { FerryError } from '../errors.js';

export const TUS_VERSION = '1.0.0';
/** What Ferry speaks; checksum, concatenation and deferred length are left out (docs/tus.md says why). */
export const TUS_EXTENSIONS = 'creation,creation-with-upload,termination,expiration';
export const OFFSET_CONTENT_TYPE = 'application/offset+octet-stream';
/** The header a finished upload answers with: the file JSON's `url`. */
export const FILE_URL_HEADER = 'ferry-file-url';

/** The request headers tus clients send, and the response headers they read (for CORS). */
export const TUS_REQUEST_HEADERS = 'tus-resumable, upload-length, upload-offset, upload-metadata, upload-defer-length, upload-concat, x-http-method-override, x-requested-with';
export const TUS_RESPONSE_HEADERS = 'tus-resumable, tus-version, tus-extension, tus-max-size, upload-offset, upload-length, upload-expires, upload-metadata, ferry-file-url';

function badHeader(message: string): FerryError {
  return new FerryError('tus_invalid_header', message);
}

/** 412 unless the client speaks 1.0.0 (every tus request but OPTIONS carries Tus-Resumable). */
export function checkTusResumable(value: string | undefined): void {
  if (value === TUS_VERSION) return;
  throw new FerryError(
    'tus_version_unsupported',
    value === undefined ? 'Send Tus-Resumable: 1.0.0.' : `tus ${value} is not supported; Ferry speaks tus ${TUS_VERSION}.`,
    { 'tus-version': TUS_VERSION, 'tus-resumable': TUS_VERSION },
  );
}

/** A non-negative whole number header (Upload-Length, Upload-Offset). */
export function parseCount(name: string, value: string | undefined): number {
  if (value === undefined || !/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw badHeader(`${name} must be a whole number of bytes.`);
  }
  return Number(value);
}

/**
 * Upload-Metadata: comma-separated `key base64value` pairs (the value may be absent). Keys are
 * unique ASCII without spaces or commas; values must be valid base64 of UTF-8 text for the keys
 * Ferry reads. Anything malformed is a 400 rather than a guess.
 */
export function parseMetadata(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (value === undefined || value.trim() === '') return out;
  if (value.length > 8192) throw badHeader('Upload-Metadata is longer than 8192 characters.');
  for (const pair of value.split(',')) {
    const m = /^\s*([!-+\--~]+)(?: ([A-Za-z0-9+/]*={0,2}))?\s*$/.exec(pair);
    if (!m || out.has(m[1]!)) throw badHeader('Upload-Metadata must be "key base64,key base64" with each key once.');
    out.set(m[1]!, m[2] ?? '');
  }
  return out;
}

/** The UTF-8 text of one base64 metadata value. */
export function metadataText(b64: string): string {
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw badHeader('An Upload-Metadata value is not valid base64.');
  }
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badHeader('An Upload-Metadata value is not UTF-8 text.');
  }
}
