// The picker's texts: one table per language in ./locales/ (English complete by its type, the
// others checked against it by test/widget/locales.test.ts), any other language through
// `translations`. Numbers, sizes, speeds and plurals are formatted by the browser's Intl for the
// chosen language, so no table needs its own number rules; a table gives one text per plural
// category its language has (Japanese: only `_other`).
import type { MessageKey, Translation } from './api.js';
import { de } from './locales/de.js';
import { en } from './locales/en.js';
import { es } from './locales/es.js';
import { fr } from './locales/fr.js';
import { ja } from './locales/ja.js';
import { ptBR } from './locales/pt-br.js';

/** Built-in tables by lower-case language tag. */
export const BUILT_IN: Record<string, Translation> = { en, fr, de, es, 'pt-br': ptBR, ja };

export type Params = Record<string, string | number>;

export interface Translator {
  readonly lang: string;
  t(key: MessageKey, params?: Params): string;
  /** For `_one`/`_other` pairs: `plural('upload', 3)`. */
  plural(base: string, count: number, params?: Params): string;
  bytes(n: number): string;
  speed(bytesPerSecond: number): string;
  percent(fraction: number): string;
  date(iso: string): string;
}

/** The first of `wanted` (then "en") that has a table, matching "fr-CA" to "fr". */
function resolveLang(wanted: string | undefined, tables: Record<string, Translation>): string {
  const candidates = [wanted, typeof document !== 'undefined' ? document.documentElement.lang : undefined, typeof navigator !== 'undefined' ? navigator.language : undefined];
  for (const c of candidates) {
    if (!c) continue;
    const lower = c.toLowerCase();
    if (tables[lower]) return lower;
    const base = lower.split('-')[0]!;
    if (tables[base]) return base;
    // "pt-PT" has no table of its own: "pt-BR" is nearer than English.
    const sibling = Object.keys(tables).find((k) => k.split('-')[0] === base);
    if (sibling) return sibling;
    // An explicit choice wins over the page's language even if we only know its base.
    if (c === wanted) break;
  }
  return 'en';
}

export function translator(wanted: string | undefined, extra: Record<string, Translation> = {}): Translator {
  const tables: Record<string, Translation> = { ...BUILT_IN };
  for (const [k, v] of Object.entries(extra)) tables[k.toLowerCase()] = { ...tables[k.toLowerCase()], ...v };
  const lang = resolveLang(wanted, tables);
  const own = { ...(lang === 'en' ? tables.en : {}), ...tables[lang] } as Record<string, string | undefined>;
  const table = { ...en, ...tables.en, ...tables[lang] } as Record<string, string>;
  const locale = safeLocale(lang);
  const plurals = new Intl.PluralRules(locale);
  const fill = (text: string, params: Params = {}) =>
    text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  const number = (n: number, unit: string, digits: number) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: digits }).format(n);
  const bytes = (n: number, suffix = '') => {
    const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'];
    let i = 0;
    let v = n;
    while (v >= 1000 && i < units.length - 1) {
      v /= 1000;
      i++;
    }
    // "11 bytes" reads better than "11 byte"; larger units read best short ("1.2 MB").
    if (i === 0) return new Intl.NumberFormat(locale, { style: 'unit', unit: 'byte' + suffix, unitDisplay: 'long' }).format(v);
    return number(v, units[i]! + suffix, v < 10 ? 1 : 0);
  };
  return {
    lang: locale,
    t: (key, params) => fill(table[key] ?? key, params),
    plural(base, count, params = {}) {
      const category = plurals.select(count);
      // The language's own forms first: English's "_one" must not stand in for a language that has none.
      const text = own[`${base}_${category}`] ?? own[`${base}_other`] ?? table[`${base}_${category}`] ?? table[`${base}_other`] ?? base;
      return fill(text, { count: new Intl.NumberFormat(locale).format(count), ...params });
    },
    bytes: (n) => bytes(n),
    speed: (n) => bytes(n, '-per-second'),
    percent: (f) => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(f),
    date: (iso) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso)),
  };
}

function safeLocale(lang: string): string {
  try {
    return Intl.getCanonicalLocales(lang)[0] ?? 'en';
  } catch {
    return 'en';
  }
}
