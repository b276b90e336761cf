// Every built-in language is complete: each has every text English has and nothing else, one
// text per plural category its language has (CLDR, as Intl.PluralRules reports it; Japanese has
// only "other"), and the same placeholders as English, so no sentence loses a file's name or a
// count. Then a few sentences as a user sees them, plural rules included.
import { describe, expect, it } from 'vitest';
import { BUILT_IN, translator } from '../../widget/i18n.js';
import { en } from '../../widget/locales/en.js';

const PLURAL = /^(.*)_(zero|one|two|few|many|other)$/;
/** Counted texts: English's `_one`/`_other` pairs. */
const bases = [...new Set(Object.keys(en).flatMap((k) => (k.endsWith('_other') ? [k.slice(0, -'_other'.length)] : [])))];
const placeholders = (text: string) => [...new Set(text.match(/\{\w+\}/g) ?? [])].sort();

describe('built-in languages', () => {
  it('are at least en, fr, de, es, pt-BR and ja', () => {
    expect(Object.keys(BUILT_IN).sort()).toEqual(['de', 'en', 'es', 'fr', 'ja', 'pt-br']);
  });

  for (const [lang, table] of Object.entries(BUILT_IN)) {
    const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    const expected = [
      ...Object.keys(en).filter((k) => !bases.some((b) => PLURAL.exec(k)?.[1] === b)),
      ...bases.flatMap((b) => categories.map((c) => `${b}_${c}`)),
    ].sort();

    it(`${lang}: every text of en, no other, one per plural category (${categories.join(', ')})`, () => {
      expect(Object.keys(table).sort()).toEqual(expected);
      for (const [key, text] of Object.entries(table)) expect(text, `${lang}.${key}`).toMatch(/\S/);
    });

    it(`${lang}: the same placeholders as en in every text`, () => {
      for (const [key, text] of Object.entries(table)) {
        const m = PLURAL.exec(key);
        const reference = m && bases.includes(m[1]!) ? en[`${m[1]}_other` as keyof typeof en] : en[key as keyof typeof en];
        // English's "_one" names the file ("photo.jpg added."); the other forms count ("3 files added.").
        const english = m && m[2] === 'one' && bases.includes(m[1]!) ? en[key as keyof typeof en] : reference;
        expect(placeholders(text!), `${lang}.${key}`).toEqual(placeholders(english));
      }
    });

    if (lang !== 'en') {
      it(`${lang}: is translated, not copied (most texts differ from English)`, () => {
        const same = Object.keys(en).filter((k) => table[k as keyof typeof table] === en[k as keyof typeof en]);
        expect(same.length, same.join(', ')).toBeLessThan(12);
      });
    }
  }
});

describe('sentences in each language', () => {
  it('follow each language’s plural rules', () => {
    const upload = (lang: string, n: number) => translator(lang).plural('upload', n);
    expect([upload('de', 1), upload('de', 3)]).toEqual(['1 Datei hochladen', '3 Dateien hochladen']);
    expect([upload('es', 1), upload('es', 3), upload('es', 1_000_000)]).toEqual(['Subir 1 archivo', 'Subir 3 archivos', 'Subir 1.000.000 de archivos']);
    expect([upload('pt-BR', 1), upload('pt-BR', 2)]).toEqual(['Enviar 1 arquivo', 'Enviar 2 arquivos']);
    expect([upload('fr', 1), upload('fr', 2)]).toEqual(['Envoyer 1 fichier', 'Envoyer 2 fichiers']);
    // One form in Japanese, for 1 as for 5: English's "_one" never shows through.
    expect([upload('ja', 1), upload('ja', 5)]).toEqual(['1 件のファイルをアップロード', '5 件のファイルをアップロード']);
    expect(translator('ja').plural('announce_added', 1, { name: 'a.jpg' })).toBe('1 件のファイルを追加しました。');
  });

  it('fill placeholders and format sizes the local way', () => {
    expect(translator('de').t('limit_size', { name: 'a.pdf', size: translator('de').bytes(2_500_000), max: translator('de').bytes(1_000_000) })).toBe('„a.pdf“ ist 2,5 MB groß; Dateien dürfen höchstens 1 MB groß sein.');
    expect(translator('ja').t('remove', { name: 'a.pdf' })).toBe('a.pdf を削除');
  });
});
