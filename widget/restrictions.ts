// What the app allows (accept, maxSize, minFiles, maxFiles), checked before anything is sent so
// the user sees why a file was refused at once. The server checks its own limits again; these
// checks only spare the user a wasted upload. Pure functions: no DOM.

export interface Restrictions {
  accept: string[];
  maxSize?: number;
  minFiles: number;
  maxFiles?: number;
}

/** Media types the picker can infer from a name when the browser or provider gives none. */
const BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif',
  svg: 'image/svg+xml', heic: 'image/heic', bmp: 'image/bmp', tif: 'image/tiff', tiff: 'image/tiff',
  pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', md: 'text/markdown', json: 'application/json',
  zip: 'application/zip', mp4: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm', mp3: 'audio/mpeg', wav: 'audio/wav',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export function extensionOf(name: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

/** The declared type without parameters, or one inferred from the name ("" when unknown). */
export function typeOf(name: string, declared?: string | null): string {
  const t = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  if (t && t !== 'application/octet-stream') return t;
  return BY_EXTENSION[extensionOf(name)] ?? t;
}

export function normalizeAccept(accept: string | string[] | undefined): string[] {
  const list = Array.isArray(accept) ? accept : accept ? accept.split(',') : [];
  return list.map((s) => s.trim().toLowerCase()).filter(Boolean);
}

export function accepts(rules: string[], name: string, type?: string | null): boolean {
  if (rules.length === 0) return true;
  const t = typeOf(name, type);
  const lower = name.toLowerCase();
  return rules.some((rule) => {
    if (rule.startsWith('.')) return lower.endsWith(rule);
    if (rule.endsWith('/*')) return t.startsWith(rule.slice(0, -1));
    return t === rule;
  });
}

export type Refusal =
  | { reason: 'type'; name: string }
  | { reason: 'size'; name: string; size: number }
  | { reason: 'count'; name: string };

export interface Candidate {
  name: string;
  size: number | null;
  type: string;
}

/**
 * Splits `incoming` into what may be added next to `present` files, and what is refused and why.
 * Sizes unknown before upload (links) pass; the server checks them.
 */
export function screen<T extends Candidate>(r: Restrictions, present: number, incoming: T[]): { accepted: T[]; refused: Refusal[] } {
  const accepted: T[] = [];
  const refused: Refusal[] = [];
  for (const c of incoming) {
    if (!accepts(r.accept, c.name, c.type)) refused.push({ reason: 'type', name: c.name });
    else if (r.maxSize !== undefined && c.size !== null && c.size > r.maxSize) refused.push({ reason: 'size', name: c.name, size: c.size });
    else if (r.maxFiles !== undefined && present + accepted.length >= r.maxFiles) refused.push({ reason: 'count', name: c.name });
    else accepted.push(c);
  }
  return { accepted, refused };
}

/** The value for an `<input type=file accept>`. */
export function acceptAttribute(rules: string[]): string {
  return rules.join(',');
}
