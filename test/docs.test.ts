// The README is the front door: it must list every error code Ferry can answer, with its
// status, and every documentation page it links to must exist.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '../src/errors.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('README', () => {
  it('lists every error code on the row of its status', () => {
    const rows = readme.split('\n').filter((l) => /^\| [0-9][0-9 /]*\|/.test(l));
    for (const [code, status] of Object.entries(ERRORS)) {
      const row = rows.find((r) => r.includes(`\`${code}\``));
      expect(row, `README error table lacks ${code}`).toBeDefined();
      expect(row!.split('|')[1], `${code} is on the wrong row`).toContain(String(status));
    }
  });

  it('links only to documents that exist', () => {
    for (const [, target] of readme.matchAll(/\]\(((?:docs|test|infra)\/[^)#]+)\)/g)) {
      expect(existsSync(join(root, target!)), target).toBe(true);
    }
  });
});
