// How a link's file gets its name: Content-Disposition (RFC 6266, filename* first), else the
// last path segment; names from origins are cleaned of paths, controls and direction overrides.
import { describe, expect, it } from 'vitest';
import { filenameFrom, safeName } from '../../../src/sources/url/index.js';

describe('link file names', () => {
  it.each([
    [`attachment; filename="report.pdf"`, 'report.pdf'],
    [`attachment; filename=report.pdf`, 'report.pdf'],
    [`attachment; filename="fallback.txt"; filename*=UTF-8''na%C3%AFve%20caf%C3%A9.txt`, 'naïve café.txt'],
    [`inline; filename*=utf-8''%E2%82%AC%20rates.csv`, '€ rates.csv'],
    [`attachment; filename="say \\"hi\\".txt"`, 'say "hi".txt'],
    [`attachment; filename="../../etc/passwd"`, 'passwd'],
    [`attachment; filename="C:\\\\Windows\\\\evil.exe"`, 'evil.exe'],
    [`attachment; filename*=UTF-8''%E2%80%AEfdp.exe`, 'fdp.exe'],
    [`attachment`, undefined],
    [`attachment; filename=""`, undefined],
  ])('%s → %s', (header, name) => {
    expect(filenameFrom(header)).toBe(name);
  });

  it('cleans names and keeps them within 255 bytes', () => {
    expect(safeName('a\u0000b\nc.txt')).toBe('abc.txt');
    expect(safeName('..')).toBeUndefined();
    // Every Bidi_Control character, U+061C ARABIC LETTER MARK included, as checkFilename refuses them.
    for (const c of ['\u061c', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069']) {
      expect(safeName(`invoice${c}fdp.exe`)).toBe('invoicefdp.exe');
    }
    expect(new TextEncoder().encode(safeName('é'.repeat(300))!).byteLength).toBeLessThanOrEqual(255);
  });
});
