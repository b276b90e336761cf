// The widget as shipped: the bundle's size against its budget and against what the README says,
// nothing fetched from elsewhere, types present, and the routes that serve it (content types,
// caching, CORS, the demo page's CSP) on Node and on the Worker, which has no filesystem and
// serves the same bytes from the generated module.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GZIP_BUDGET_BYTES } from '../../scripts/build-widget.mjs';
import { nodeFs, workerdS3, type Target } from '../helpers/targets.js';

const root = join(import.meta.dirname, '..', '..');
const dist = (name: string) => readFileSync(join(root, 'dist', 'widget', name), 'utf8');

describe('the bundle', () => {
  it('stays under 60 KiB gzipped, and the README states its size', () => {
    const js = dist('picker.js');
    const gzip = gzipSync(js, { level: 9 }).byteLength;
    expect(GZIP_BUDGET_BYTES).toBe(60 * 1024);
    expect(gzip).toBeLessThan(GZIP_BUDGET_BYTES);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const stated = /picker\.js` is about (\d+) KiB gzipped/.exec(readme);
    expect(stated, 'README says "`picker.js` is about N KiB gzipped"').not.toBeNull();
    expect(Math.abs(Number(stated![1]) * 1024 - gzip), `README says ${stated![1]} KiB; it is ${(gzip / 1024).toFixed(1)} KiB`).toBeLessThan(2048);
  });

  it('loads nothing from anywhere: no URLs, fonts, stylesheets or images of its own', () => {
    for (const file of ['picker.js', 'picker.mjs']) {
      const code = dist(file);
      // URLs with a host (the texts mention "http://" alone, which is no address).
      const urls = code.match(/https?:\/\/[a-z0-9-]+(\.[a-z0-9-]+)+[^\s"'`)]*/gi) ?? [];
      // The only URL is SVG's XML namespace, an identifier that is never fetched.
      expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
      expect(code).not.toMatch(/@import|@font-face|url\(|<link|import\(/);
    }
  });

  it('ships its types, and the ES module build loads and says its version', async () => {
    const types = dist('picker.d.ts');
    expect(types).toContain('export declare function picker(options: PickerOptions): Picker;');
    expect(types).toContain('onUploadDone?(result: UploadDone): void;');
    expect(dist('picker.d.mts')).toBe(types);
    const mod = await import(join(root, 'dist', 'widget', 'picker.mjs'));
    expect(typeof mod.picker).toBe('function');
    expect(mod.version).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    // The script build exposes the same API as window.Ferry.
    expect(dist('picker.js').startsWith('"use strict";var Ferry=(')).toBe(true);
  });
});

function servesTheWidget(name: string, start: () => Promise<Target>) {
  describe(`the widget routes on ${name}`, () => {
    let target: Target;
    beforeAll(async () => {
      target = await start();
    });
    afterAll(() => target?.close());

    it('serves picker.js and picker.mjs: JavaScript, cacheable, revalidated by ETag, loadable from any origin', async () => {
      for (const [path, file] of [
        ['/picker.js', 'picker.js'],
        ['/picker.mjs', 'picker.mjs'],
      ]) {
        const res = await fetch(target.url + path, { headers: { origin: 'https://somewhere.example' } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        expect(res.headers.get('cache-control')).toBe('public, max-age=3600, stale-while-revalidate=86400');
        expect(res.headers.get('access-control-allow-origin')).toBe('*');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(await res.text()).toBe(dist(file));
        const etag = res.headers.get('etag')!;
        expect(etag).toMatch(/^"[\w-]+"$/);
        const again = await fetch(target.url + path, { headers: { 'if-none-match': etag } });
        expect(again.status).toBe(304);
        expect(await again.text()).toBe('');
        const head = await fetch(target.url + path, { method: 'HEAD' });
        expect(head.status).toBe(200);
      }
    });

    it('serves the demo page with a fresh nonce each time and a CSP that allows only what it uses', async () => {
      const pages = await Promise.all([fetch(target.url + '/'), fetch(target.url + '/')]);
      const nonces = [];
      for (const res of pages) {
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(res.headers.get('cache-control')).toBe('no-store');
        const csp = res.headers.get('content-security-policy')!;
        const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
        nonces.push(nonce);
        expect(csp).toBe(
          `default-src 'none'; script-src 'self' 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' blob: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
        );
        const html = await res.text();
        expect(html.match(/<script nonce="([^"]+)">/)![1]).toBe(nonce);
        expect(html).toContain('<script src="picker.js"></script>');
      }
      expect(nonces[0]).not.toBe(nonces[1]);
    });

    it("names the app the demo uses: ?key= if given and well-formed, else none (there is no dev app here)", async () => {
      const config = async (query: string) => {
        const html = await (await fetch(target.url + '/' + query)).text();
        return JSON.parse(/<script type="application\/json" id="ferry-demo-config">(.*?)<\/script>/s.exec(html)![1]!);
      };
      expect(await config('')).toEqual({ key: null });
      expect(await config('?key=test-key')).toEqual({ key: 'test-key' });
      expect(await config('?key=%3C/script%3E%3Cscript%3Ealert(1)')).toEqual({ key: null });
    });
  });
}

servesTheWidget('Node', () => nodeFs());
servesTheWidget('workerd (the Worker, no filesystem)', () => workerdS3());
