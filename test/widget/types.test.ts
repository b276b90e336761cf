// The widget's public types (widget/api.d.ts, shipped verbatim as dist/widget/picker.d.ts) against
// the server's wire types (src/wire.ts). api.d.ts must stay self-contained, so it repeats the
// source names and the file JSON; these checks make a name or a field added on one side only fail
// twice: in `tsc --noEmit` (the type assertions) and in vitest (the names read from the shipped file).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SOURCE_NAMES, type FileJson, type FileSourceName, type PickJson, type SourceName } from '../../src/wire.js';
import type { FerryFile, FerrySource, MessageKey, SelectedFile } from '../../widget/api.js';
import { en } from '../../widget/locales/en.js';

/** True when each type is assignable to the other; anything else is `false`, and `true` does not fit. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// Each line fails to compile when the two sides drift apart.
const sourcesMatch: Same<FerrySource, FileSourceName> = true;
const remoteSourcesMatch: Same<Exclude<FerrySource, 'local'>, SourceName> = true;
const fileFieldsMatch: Same<keyof FerryFile, keyof FileJson | 'source'> = true;
const fileMatches: Same<Omit<FerryFile, 'source'>, FileJson> = true;
const pickFitsFile: Same<PickJson extends FerryFile ? true : false, true> = true;
const selectedSourceMatches: Same<SelectedFile['source'], FileSourceName> = true;
const everySourceHasATitle: Same<`source_${FileSourceName}` extends MessageKey ? true : false, true> = true;

const root = join(import.meta.dirname, '..', '..');

describe('the widget’s public types and the server’s wire types', () => {
  it('agree, as tsc checks them', () => {
    expect([sourcesMatch, remoteSourcesMatch, fileFieldsMatch, fileMatches, pickFitsFile, selectedSourceMatches, everySourceHasATitle]).not.toContain(false);
  });

  it('name the same sources: FerrySource in the shipped file is "local" plus the server’s SOURCE_NAMES', () => {
    const types = readFileSync(join(root, 'widget', 'api.d.ts'), 'utf8');
    const union = /export type FerrySource =([^;]+);/.exec(types);
    expect(union, 'api.d.ts declares FerrySource as a union of names').not.toBeNull();
    const names = [...union![1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    expect(new Set(names)).toEqual(new Set(['local', ...SOURCE_NAMES]));
    expect(names).toHaveLength(SOURCE_NAMES.length + 1);
  });

  it('ship self-contained: the public types file imports nothing, and every source has an English title', () => {
    const types = readFileSync(join(root, 'widget', 'api.d.ts'), 'utf8');
    expect(types).not.toMatch(/^\s*import\b/m);
    for (const name of ['local', ...SOURCE_NAMES] as const) expect(en[`source_${name}`], name).toMatch(/\S/);
  });
});
