// The widget's pure parts, without a browser: what the restrictions accept and refuse, how the
// texts are chosen and formatted, and that every error code Ferry can answer has a sentence.
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { sentenceFor } from '../../widget/errors.js';
import { translator } from '../../widget/i18n.js';
import { splitName } from '../../widget/names.js';
import { accepts, normalizeAccept, screen, typeOf } from '../../widget/restrictions.js';

describe('restrictions', () => {
  it('match MIME types, wildcards and extensions, inferring types from names when none is given', () => {
    const rules = normalizeAccept('image/*, .PDF ,text/csv');
    expect(rules).toEqual(['image/*', '.pdf', 'text/csv']);
    const table: [string, string | null, boolean][] = [
      ['photo.jpg', 'image/jpeg', true],
      ['photo.JPG', null, true],
      ['scan', 'image/png', true],
      ['report.pdf', 'application/octet-stream', true],
      ['report.PDF', null, true],
      ['data.csv', 'text/csv; charset=utf-8', true],
      ['notes.txt', 'text/plain', false],
      ['archive.pdf.zip', null, false],
      ['image', null, false],
    ];
    for (const [name, type, ok] of table) expect([name, type, accepts(rules, name, type)]).toEqual([name, type, ok]);
    expect(accepts([], 'anything.exe', null)).toBe(true);
    expect(typeOf('x.heic', '')).toBe('image/heic');
  });

  it('refuse by type, then size, then count, in order, and let unknown sizes through', () => {
    const r = { accept: ['image/*'], maxSize: 100, minFiles: 1, maxFiles: 3 };
    const files = [
      { name: 'a.png', size: 10, type: 'image/png' },
      { name: 'b.txt', size: 10, type: 'text/plain' },
      { name: 'c.png', size: 101, type: 'image/png' },
      { name: 'd.png', size: null, type: 'image/png' },
      { name: 'e.png', size: 5, type: 'image/png' },
    ];
    const { accepted, refused } = screen(r, 1, files);
    expect(accepted.map((f) => f.name)).toEqual(['a.png', 'd.png']);
    expect(refused).toEqual([
      { reason: 'type', name: 'b.txt' },
      { reason: 'size', name: 'c.png', size: 101 },
      { reason: 'count', name: 'e.png' },
    ]);
  });
});

describe('long names', () => {
  it('are split so that the end, never cut, keeps the extension and what sets the name apart', () => {
    const table: [string, [string, string]][] = [
      ['IMG_20261201_093512_HDR_final_album.jpg', ['IMG_20261201_093512_HDR_final_', 'album.jpg']],
      ['WhatsApp Document 2026-11-20 at 14.19.09 (10).pdf', ['WhatsApp Document 2026-11-20 at 14.19.09 ', '(10).pdf']],
      ['scan 0412.tar.gz', ['scan 041', '2.tar.gz']],
      // A dot far from the end is no extension: the last six characters are kept.
      ['archive.backup-2026-12-01T10:00', ['archive.backup-2026-12-01', 'T10:00']],
      ['README', ['', 'README']],
      ['a.pdf', ['', 'a.pdf']],
      ['.bashrc_of_a_very_long_name', ['.bashrc_of_a_very_lon', 'g_name']],
      // Counted in code points: no emoji is split in two.
      ['été-à-la-plage-😀😀😀😀.jpeg', ['été-à-la-plage', '-😀😀😀😀.jpeg']],
      ['', ['', '']],
    ];
    for (const [name, parts] of table) {
      expect([name, splitName(name)]).toEqual([name, parts]);
      expect(splitName(name).join('')).toBe(name);
    }
  });
});

describe('texts', () => {
  it('pick the language asked for (or its base), fall back to English key by key, and take new tables', () => {
    expect(translator('fr-CA').t('title')).toBe('Envoyer des fichiers');
    expect(translator('nl').lang).toBe('en');
    expect([translator('pt-PT').lang, translator('pt').lang, translator('ja-JP').lang]).toEqual(['pt-BR', 'pt-BR', 'ja']);
    const eo = translator('eo', { eo: { title: 'Alŝuti' } });
    expect([eo.lang, eo.t('title'), eo.t('browse')]).toEqual(['eo', 'Alŝuti', 'Browse files']);
    expect(translator('en', { en: { done: 'Finished' } }).t('done')).toBe('Finished');
  });

  it('use plural rules and Intl formats', () => {
    const t = translator('en');
    expect([t.plural('upload', 1), t.plural('upload', 2), t.plural('upload', 1200)]).toEqual(['Upload 1 file', 'Upload 2 files', 'Upload 1,200 files']);
    expect([t.bytes(0), t.bytes(1), t.bytes(999), t.bytes(1500), t.bytes(25_000_000)]).toEqual(['0 bytes', '1 byte', '999 bytes', '1.5 kB', '25 MB']);
    expect(t.speed(1_250_000)).toBe('1.3 MB/s');
    expect(t.percent(0.456)).toBe('46%');
    const f = translator('fr');
    expect(f.plural('upload', 2)).toBe('Envoyer 2 fichiers');
    expect(f.bytes(1500)).toMatch(/^1,5\sko$/u);
  });

  it('have a sentence for every error code in the server table, and name unknown ones', () => {
    const t = translator('en');
    for (const code of Object.keys(ERRORS)) {
      if (['bad_request', 'invalid_ttl', 'invalid_multipart', 'missing_file', 'invalid_json', 'invalid_state', 'missing_secret', 'unknown_secret', 'method_not_allowed', 'unsupported_media_type', 'range_not_satisfiable', 'headers_too_large', 'body_too_large', 'invalid_part', 'upload_incomplete', 'tus_wrong_endpoint', 'tus_invalid_header', 'tus_chunk_too_small', 'tus_offset_mismatch', 'tus_version_unsupported', 'upload_past_length', 'expectation_failed'].includes(code)) {
        // Requests the widget itself builds (it does not speak tus): if one of these ever happens it is a bug, named by its code.
        expect(sentenceFor(t, code)).toBe(`The upload failed (${code}).`);
      } else {
        expect(sentenceFor(t, code), code).not.toMatch(/The upload failed/);
      }
    }
  });
});
