// One `Range: bytes=…` header against a representation of `size` bytes (RFC 9110 §14).
// Other units are ignored (a full 200, as the RFC allows); several ranges, bad syntax and
// ranges that miss the file are 416 with `Content-Range: bytes */size`.
import { FerryError } from './errors.js';
import type { ByteRange } from './store/object-store.js';

export function parseRange(header: string | null | undefined, size: number): ByteRange | undefined {
  if (header == null) return undefined;
  const value = header.trim();
  const eq = value.indexOf('=');
  if (eq < 0 || value.slice(0, eq).trim().toLowerCase() !== 'bytes') return undefined;
  const spec = value.slice(eq + 1).trim();
  const unsatisfiable = (why: string) =>
    new FerryError('range_not_satisfiable', why, { 'content-range': `bytes */${size}` });
  if (spec.includes(',')) throw unsatisfiable('Only a single byte range is supported.');
  const m = /^(\d{0,15})-(\d{0,15})$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable(`Malformed range ${JSON.stringify(spec)}.`);
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable('The range is empty.');
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) throw unsatisfiable('The range ends before it starts.');
    if (start >= size) throw unsatisfiable(`The range starts at or past the end of the file (${size} bytes).`);
  }
  return { start, end };
}
