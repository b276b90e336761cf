// One `Range: bytes=…` header against a representation of `size` bytes (RFC 9110 §14).
// Other units are ignored (a full 200, as the RFC allows). One range gives that range (206).
// Several ranges, at least one of them satisfiable, give the whole file (200): the RFC lets a
// server ignore Range, and the whole file is the simplest correct answer for download managers
// and players that ask for several (multipart/byteranges would add a framing nobody here needs).
// Bad syntax, and ranges that all miss the file, are 416 with `Content-Range: bytes */size`.
import { FerryError } from './errors.js';
import type { ByteRange } from './store/object-store.js';

/** The range to send; undefined for the whole file (no header, another unit, several ranges). */
export function parseRange(header: string | null | undefined, size: number): ByteRange | undefined {
  if (header == null) return undefined;
  const value = header.trim();
  const eq = value.indexOf('=');
  if (eq < 0 || value.slice(0, eq).trim().toLowerCase() !== 'bytes') return undefined;
  const unsatisfiable = (why: string) =>
    new FerryError('range_not_satisfiable', why, { 'content-range': `bytes */${size}` });
  const specs = value.slice(eq + 1).split(',').map((s) => s.trim());
  if (specs.length === 1) {
    const one = parseSpec(specs[0]!, size);
    if (typeof one === 'string') throw unsatisfiable(one);
    return one;
  }
  let firstMiss: string | undefined;
  let anySatisfiable = false;
  for (const spec of specs) {
    const r = parseSpec(spec, size, true);
    if (r === MALFORMED) throw unsatisfiable(`Malformed range ${JSON.stringify(spec)}.`);
    if (typeof r === 'string') firstMiss ??= r;
    else anySatisfiable = true;
  }
  if (!anySatisfiable) throw unsatisfiable(firstMiss ?? 'No range is satisfiable.');
  return undefined;
}

const MALFORMED = 'malformed';

/** One range-spec: the range, or why it selects nothing (MALFORMED for bad syntax, when asked to tell). */
function parseSpec(spec: string, size: number, tellMalformed = false): ByteRange | string {
  const m = /^(\d{0,15})-(\d{0,15})$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return tellMalformed ? MALFORMED : `Malformed range ${JSON.stringify(spec)}.`;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'The range is empty.';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return 'The range ends before it starts.';
  if (start >= size) return `The range starts at or past the end of the file (${size} bytes).`;
  return { start, end: m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1) };
}
