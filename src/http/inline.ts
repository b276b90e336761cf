// Which stored files `?inline=1` shows in the browser instead of downloading. Only types a
// browser renders without running anything the file carries: raster images, audio and video
// (the browser's own media page), PDF (its own viewer) and plain text. SVG and HTML can carry
// script, so they, and every type not listed, stay attachments whatever the query says.
// An allowlist, not a blocklist: a type we have not thought about is downloaded.

const INLINE_TYPES = new Set([
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp',
  'audio/mpeg', 'audio/ogg', 'audio/wav', 'audio/webm', 'audio/aac', 'audio/flac', 'audio/mp4',
  'video/mp4', 'video/webm', 'video/ogg',
  'application/pdf',
  'text/plain',
]);

/** Whether a stored file of this media type may be shown inline. */
export function showsInline(type: string): boolean {
  return INLINE_TYPES.has(type.toLowerCase());
}

/** Whether this request asks to see the file (`?inline=1`, or `true`) rather than download it. */
export function wantsInline(query: string | undefined): boolean {
  return query === '1' || query === 'true';
}
