// The 413 `file_too_large` answer. Its plain wording is the upload counter's (streams.ts
// `tooLarge`); when the cap that bit is the platform's (Cloudflare's plan limit), the message
// names the platform instead, so the developer knows which limit it is.
import type { AppConfig } from '../context.js';
import { FerryError } from '../errors.js';
import { tooLarge } from '../streams.js';

export function fileTooLarge(maxBytes: number, platform?: AppConfig['platformBodyLimit']): FerryError {
  if (platform && maxBytes === platform.bytes) {
    return new FerryError('file_too_large', `The file is larger than ${platform.name} allows (${platform.bytes} bytes).`);
  }
  return tooLarge(maxBytes);
}
