// Every Content-Security-Policy Ferry sends, in one place so a page's allowances are reviewed
// together. API answers and downloads allow nothing; the two HTML pages allow exactly what they
// use, their inline script by a per-response nonce.

/** JSON answers: nothing may load, and no page may frame them. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Downloads (stored files and picks): a file opened in the browser runs sandboxed, with nothing. */
export const DOWNLOAD_CSP = "default-src 'none'; sandbox";

/**
 * Files shown inline (`?inline=1`, allowlisted types only): still sandboxed and script-less.
 * `allow-same-origin` because Chromium's media page otherwise re-requests the file from an opaque
 * origin under CORS and fails; with no `allow-scripts` that origin gives the file nothing to use.
 * The image, media and PDF viewers may load the file itself and style their own page; nothing else.
 */
export const INLINE_CSP = "sandbox allow-same-origin; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'";

/** The OAuth callback page: its one inline script, nothing else. */
export function callbackPageCsp(nonce: string): string {
  return `default-src 'none'; script-src 'nonce-${nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;
}

/** The demo page: its scripts, fetches to this origin, blob: thumbnails and its data: icon. */
export function demoPageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    // blob: for the picker's thumbnails, data: for the page's own icon.
    "img-src 'self' blob: data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
