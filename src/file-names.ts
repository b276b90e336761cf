// File names and types come from users and end up in a response header and in the widget.
// They are checked once, on upload: anything that could split a header, fake an extension
// (RTL overrides), or walk a path is refused with 400 `invalid_filename`. On the way out,
// `contentDisposition` builds an RFC 6266 header that is safe for every name we accept.
import { FerryError } from './errors.js';

export const MAX_FILENAME_BYTES = 255;

// C0 controls, DEL, C1 controls, every Bidi_Control character (marks, embeddings, overrides,
// isolates: the Unicode property, not a hand list, so U+061C ARABIC LETTER MARK and whatever a
// later Unicode adds are covered), line/paragraph separators, zero-width no-break space (BOM)
// and the replacement for invalid UTF-8.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\p{Bidi_Control}\u2028\u2029\ufeff\ufffd/\\]/u;

export function checkFilename(raw: string): string {
  const name = raw.normalize('NFC');
  if (name.length === 0) throw new FerryError('invalid_filename', 'The file name is empty.');
  if (new TextEncoder().encode(name).byteLength > MAX_FILENAME_BYTES) {
    throw new FerryError('invalid_filename', `The file name is longer than ${MAX_FILENAME_BYTES} bytes of UTF-8.`);
  }
  if (FORBIDDEN.test(name)) {
    throw new FerryError(
      'invalid_filename',
      'The file name contains a path separator, a control character or a text-direction override.',
    );
  }
  if (name === '.' || name === '..' || name.trim() !== name) {
    throw new FerryError('invalid_filename', 'The file name must not be "." or "..", nor start or end with spaces.');
  }
  return name;
}

/** `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded` (RFC 6266 / 8187). */
export function contentDisposition(name: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

const BY_EXTENSION: Record<string, string> = {
  txt: 'text/plain', csv: 'text/csv', html: 'text/html', htm: 'text/html', css: 'text/css', md: 'text/markdown',
  json: 'application/json', xml: 'application/xml', pdf: 'application/pdf', zip: 'application/zip',
  gz: 'application/gzip', tar: 'application/x-tar', js: 'text/javascript', mjs: 'text/javascript',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  svg: 'image/svg+xml', avif: 'image/avif', heic: 'image/heic', ico: 'image/vnd.microsoft.icon',
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

/**
 * The stored media type: the one the client declared when it is a well-formed `type/subtype`
 * and says something (not a form or octet-stream default), otherwise a guess from the extension.
 * Parameters (charset) are dropped: the bytes are served as an attachment anyway.
 */
export function mediaType(declared: string | null | undefined, filename: string): string {
  const base = declared?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (MIME.test(base) && base !== 'application/octet-stream' && base !== 'application/x-www-form-urlencoded') {
    return base;
  }
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(filename)?.[1]?.toLowerCase();
  return (ext && BY_EXTENSION[ext]) || 'application/octet-stream';
}
