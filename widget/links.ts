// What the Link pane makes of what the user typed: a web link (a bare "example.com/a.pdf" gets
// https://) and the name the file is shown under until Ferry has looked at it. Pure functions on
// the URL parser, so they are tested in Node (test/widget/links.test.ts).

/** A web link from what the user typed, or undefined when it is not one. */
export function parseLink(raw: string): URL | undefined {
  const text = raw.trim();
  if (!text || /\s/.test(text)) return undefined;
  const schemed = /^[a-z][a-z0-9+.-]*:/i.test(text);
  try {
    const url = new URL(schemed ? text : `https://${text}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    const host = url.hostname;
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9_-]+(\.[a-z0-9_-]+)*)$/i.test(host)) return undefined;
    // Without a scheme, insist on a dotted name, so a stray word is not taken for a host.
    return schemed || host.includes('.') ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The link's last path segment, decoded when it can be, else its host. */
export function nameFromUrl(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).pop();
  if (last) {
    try {
      return decodeURIComponent(last);
    } catch {
      return last;
    }
  }
  return url.hostname;
}
