// File names, content dispositions and media types as tables. Names come from users and end
// up in a response header and in the widget, so each refused class (control characters,
// separators, bidi overrides, dot names, edge spaces, over 255 bytes) has a row, and the
// accepted names round-trip through the Content-Disposition we build.
import { describe, expect, it } from 'vitest';
import { FerryError } from '../src/errors.js';
import { checkFilename, contentDisposition, MAX_FILENAME_BYTES, mediaType } from '../src/file-names.js';

function refused(name: string): FerryError {
  try {
    checkFilename(name);
  } catch (e) {
    expect(e).toBeInstanceOf(FerryError);
    return e as FerryError;
  }
  throw new Error(`checkFilename(${JSON.stringify(name)}) accepted it`);
}

/** The filename* parameter of a Content-Disposition, decoded (RFC 8187). */
function extendedName(header: string): string {
  const m = /filename\*=UTF-8''([^;]*)$/.exec(header);
  expect(m, header).not.toBeNull();
  return decodeURIComponent(m![1]!);
}

describe('checkFilename', () => {
  it.each([
    'a',
    'report.pdf',
    'Résumé 2026.docx',
    '日本語のファイル.txt',
    'ж'.repeat(127), // 254 bytes of UTF-8
    'a'.repeat(MAX_FILENAME_BYTES),
    'with "quotes" and ; semicolons',
    "it's 100% (final).txt",
    '.hidden',
    '...',
    'a.b.c',
    'emoji 🎉.png',
    'tab-free name with  two spaces',
  ])('accepts %j unchanged', (name) => {
    expect(checkFilename(name)).toBe(name);
  });

  it('returns the NFC form of a decomposed name', () => {
    const decomposed = 'Re\u0301sume\u0301.txt';
    expect(checkFilename(decomposed)).toBe('Résumé.txt');
    expect(checkFilename(decomposed)).toBe(decomposed.normalize('NFC'));
  });

  it.each([
    ['', 'empty'],
    ['a'.repeat(MAX_FILENAME_BYTES + 1), '256 bytes'],
    ['ж'.repeat(128), '256 bytes of two-byte letters'],
    ['é'.repeat(128), '256 bytes once composed'],
    ['a/b', 'slash'],
    ['../etc/passwd', 'path traversal'],
    ['a\\b', 'backslash'],
    ['.', 'dot'],
    ['..', 'dot dot'],
    [' leading', 'leading space'],
    ['trailing ', 'trailing space'],
    ['trailing\u00a0', 'trailing no-break space'],
    ['a\u0000b', 'NUL'],
    ['a\r\nSet-Cookie: x', 'CRLF'],
    ['a\tb', 'tab'],
    ['a\u001fb', 'unit separator'],
    ['a\u007fb', 'DEL'],
    ['a\u0085b', 'C1 next line'],
    ['a\u009fb', 'last C1 control'],
    ['invoice\u202efdp.exe', 'right-to-left override'],
    ['a\u202ab', 'left-to-right embedding'],
    ['a\u2066b', 'left-to-right isolate'],
    ['a\u2069b', 'pop directional isolate'],
    ['a\u200eb', 'left-to-right mark'],
    ['a\u200fb', 'right-to-left mark'],
    ['a\u061cb', 'Arabic letter mark'],
    ['a\u2028b', 'line separator'],
    ['a\u2029b', 'paragraph separator'],
    ['\ufeffa', 'byte order mark'],
    ['a\ufffdb', 'replacement character (invalid UTF-8)'],
  ])('refuses %j (%s) with 400 invalid_filename', (name) => {
    const e = refused(name);
    expect(e.code).toBe('invalid_filename');
    expect(e.status).toBe(400);
  });

  it('accepts the characters right beside the refused ranges', () => {
    for (const c of ['\u0020', '\u00a0', '\u200d', '\u2065', '\u206a', '\u202f', '\ufefe', '\ufffc']) {
      const name = `a${c}b`;
      expect(checkFilename(name), JSON.stringify(name)).toBe(name);
    }
  });
});

describe('checkFilename and Bidi_Control', () => {
  // The Unicode Character Database's Bidi_Control list (PropList.txt), written out by hand so
  // the test does not trust the same regex engine it checks.
  const UCD_BIDI_CONTROL = [0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069];

  it('refuses every Bidi_Control code point, alone and inside a name', () => {
    for (const cp of UCD_BIDI_CONTROL) {
      const c = String.fromCodePoint(cp);
      for (const name of [`a${c}b`, `${c}a`, `a${c}`, `invoice${c}fdp.exe`]) {
        expect(refused(name).code, `U+${cp.toString(16)} in ${JSON.stringify(name)}`).toBe('invalid_filename');
      }
    }
  });

  it('the engine\'s \\p{Bidi_Control} over all of 0..0x10FFFF is exactly the UCD list, and each is refused', () => {
    const found: number[] = [];
    const bidi = /\p{Bidi_Control}/u;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      if (bidi.test(String.fromCodePoint(cp))) found.push(cp);
    }
    // A future Unicode may add to the class: then this list, and the docs, need the new ones.
    expect(found).toEqual(UCD_BIDI_CONTROL);
    for (const cp of found) expect(() => checkFilename(`a${String.fromCodePoint(cp)}b`)).toThrow(FerryError);
  });
});

describe('contentDisposition', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['Résumé.txt', 'R_sum_.txt'],
    ['with "quotes".txt', 'with _quotes_.txt'],
    ['back\\slash%25.txt', 'back_slash_25.txt'],
    ['日本.txt', '__.txt'],
    ["it's (1)*.txt", "it's (1)*.txt"],
  ])('builds an attachment for %j with the ASCII fallback %j', (name, fallback) => {
    const header = contentDisposition(name);
    expect(header.startsWith(`attachment; filename="${fallback}"; filename*=UTF-8''`)).toBe(true);
    expect(extendedName(header)).toBe(name);
  });

  it('keeps every accepted name safe in a header: printable ASCII only, and the exact name recoverable', () => {
    for (const name of ['a', 'x'.repeat(255), 'ж'.repeat(127), "it's 100% (final).txt", 'emoji 🎉.png', 'a;b=c,d']) {
      const header = contentDisposition(checkFilename(name));
      expect(header, name).toMatch(/^[\x20-\x7e]+$/);
      expect(extendedName(header), name).toBe(name);
      // The fallback is quoted: it holds no quote or backslash that could end or escape it.
      const fallback = /^attachment; filename="([^"]*)";/.exec(header)?.[1];
      expect(fallback, name).toBeDefined();
      expect(fallback, name).not.toMatch(/["\\%]/);
    }
  });

  it("percent-encodes ' ( ) * in filename*, which RFC 8187 does not allow bare", () => {
    const header = contentDisposition("a'(b)*");
    expect(header.endsWith("filename*=UTF-8''a%27%28b%29%2A")).toBe(true);
  });
});

describe('mediaType', () => {
  it.each([
    // [declared, filename, stored]
    ['text/plain', 'a.bin', 'text/plain'],
    ['TEXT/PLAIN', 'a.bin', 'text/plain'],
    ['text/plain; charset=utf-8', 'a.bin', 'text/plain'],
    [' image/png ', 'a.txt', 'image/png'],
    ['application/vnd.api+json', 'a.txt', 'application/vnd.api+json'],
    ['application/octet-stream', 'photo.jpg', 'image/jpeg'],
    ['application/x-www-form-urlencoded', 'photo.JPEG', 'image/jpeg'],
    [null, 'data.csv', 'text/csv'],
    [undefined, 'archive.tar', 'application/x-tar'],
    ['', 'slides.pptx', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
    ['not a type', 'a.pdf', 'application/pdf'],
    ['text/', 'a.pdf', 'application/pdf'],
    ['/plain', 'a.pdf', 'application/pdf'],
    ['text/plain/extra', 'a.pdf', 'application/pdf'],
    ['text/pl ain', 'a.pdf', 'application/pdf'],
    [`text/${'a'.repeat(128)}`, 'a.pdf', 'application/pdf'], // each half is at most 127 characters
    [`text/${'a'.repeat(127)}`, 'a.pdf', `text/${'a'.repeat(127)}`],
    [`${'a'.repeat(128)}/plain`, 'a.pdf', 'application/pdf'],
    [null, 'no-extension', 'application/octet-stream'],
    [null, 'unknown.xyz', 'application/octet-stream'],
    [null, 'trailing.', 'application/octet-stream'],
    [null, 'name.toolongext', 'application/octet-stream'],
    [null, 'archive.tar.gz', 'application/gzip'],
    [null, '.png', 'image/png'],
    [null, 'Picture.PNG', 'image/png'],
  ] as const)('declared %j for %j is stored as %j', (declared, filename, stored) => {
    expect(mediaType(declared, filename)).toBe(stored);
  });
});
