// Conditional requests: If-None-Match against a strong ETag, for stored files and the widget
// bundles. Weak comparison (RFC 9110 §13.1.2), so a "W/" prefix added by a proxy still matches.

export function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}
