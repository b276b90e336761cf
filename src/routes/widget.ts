// The picker widget and the first-run page, served from memory (src/generated/widget.ts, made by
// scripts/build-widget.mjs) so Node and Workers serve the same bytes without a filesystem.
//
//   GET /picker.js   the script-tag build (window.Ferry)
//   GET /picker.mjs  the ES module build
//   GET /            a demo page that opens the picker against this Ferry
//
// The bundles are public and identical for everyone: any page may load them (CORS `*`, which
// module scripts need), browsers revalidate them hourly by ETag. The demo page allows exactly
// what it uses: its own scripts (the inline one by a per-response nonce), fetches to this
// origin, blob: thumbnails and its data: icon, and nothing else.
import { Hono, type Context } from 'hono';
import { APP_KEY_PATTERN } from '../apps.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { DEMO_HTML, PICKER_JS, PICKER_JS_ETAG, PICKER_MJS, PICKER_MJS_ETAG } from '../generated/widget.js';
import { ifNoneMatch } from '../http/conditional.js';
import { demoPageCsp } from '../http/csp.js';

export function widgetRoutes(deps: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/picker.js', (c) => script(c, PICKER_JS, PICKER_JS_ETAG));
  app.get('/picker.mjs', (c) => script(c, PICKER_MJS, PICKER_MJS_ETAG));

  app.get('/', (c) => {
    // ?key= tries the page with one of your apps (its origins must include this origin);
    // otherwise the embedded dev app, when Ferry runs without FERRY_APPS.
    const asked = c.req.query('key');
    const key = asked !== undefined && APP_KEY_PATTERN.test(asked) ? asked : (deps.apps.apps.find((a) => a.localhostOrigins)?.key ?? null);
    const nonce = randomNonce();
    const config = JSON.stringify({ key }).replace(/</g, '\\u003c');
    const html = DEMO_HTML.replaceAll('__NONCE__', nonce).replace('__CONFIG__', () => config);
    return c.body(html, 200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': demoPageCsp(nonce),
    });
  });

  return app;
}

function script(c: Context<AppEnv>, body: string, etag: string): Response {
  const headers: Record<string, string> = {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=3600, stale-while-revalidate=86400',
    etag,
    'access-control-allow-origin': '*',
    'cross-origin-resource-policy': 'cross-origin',
  };
  if (ifNoneMatch(c.req.header('if-none-match'), etag)) {
    return new Response(null, { status: 304, headers });
  }
  return c.body(body, 200, headers);
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}
