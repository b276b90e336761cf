// The HTTP contract of remote sources, run against every target (Node with each store, and
// workerd): Connect through each provider's OAuth fake, browse, pick, and fetch picks streamed
// from the origin, with every refusal the contract promises. All traffic stays on loopback:
// the providers and the link origin are the fakes in test/fakes.
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Of, slice } from '../fakes/content.js';
import { startFakes, type Fakes } from '../fakes/server.js';
import { OTHER_APP, TEST_APP, type Target, type TargetFactory } from '../helpers/targets.js';

const PROVIDERS = ['dropbox', 'google-drive', 'onedrive', 'box'] as const;
type Provider = (typeof PROVIDERS)[number];

const LIMITED_APP = {
  name: 'limited',
  key: 'limited-key',
  secret: 'limited-secret-0123456789abcdef',
  origins: ['http://limited.test'],
  sources: ['url'],
  maxFileBytes: 1000,
};
const APPS = JSON.stringify([TEST_APP, OTHER_APP, LIMITED_APP]);
const ORIGIN = TEST_APP.origins[0]!;

interface ErrorJson {
  error: { code: string; message: string };
}

interface PickJson {
  handle: string;
  url: string;
  source: string;
  filename: string;
  size: number | null;
  type: string;
  createdAt: string;
  expiresAt: string;
}

async function errorCode(res: Response): Promise<string> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await res.json()) as ErrorJson).error.code;
}

/** The data block of the callback page: where it posts, and what. */
function callbackData(html: string): { origin: string | null; message: Record<string, unknown> | null } {
  const m = /<script type="application\/json" id="ferry-result">(.*?)<\/script>/s.exec(html);
  expect(m, 'callback page data').not.toBeNull();
  return JSON.parse(m![1]!);
}

export function describeSourcesApi(name: string, makeTarget: TargetFactory) {
  describe(`sources API (${name})`, () => {
    let t: Target;
    let fakes: Fakes;
    const key = `key=${TEST_APP.key}`;

    beforeAll(async () => {
      fakes = await startFakes();
      t = await makeTarget({ ...fakes.env(), FERRY_APPS: APPS });
    });
    afterAll(async () => {
      await t?.close();
      await fakes?.close();
    });

    /** Connect as a user would: Ferry → provider consent (auto-approved by the fake) → callback page. */
    async function connect(provider: Provider, origin = ORIGIN): Promise<string> {
      const start = await fetch(`${t.url}/v1/connect/${provider}?${key}&origin=${encodeURIComponent(origin)}`, { redirect: 'manual' });
      expect(start.status).toBe(302);
      const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
      expect(consent.status).toBe(302);
      const callback = await fetch(consent.headers.get('location')!);
      expect(callback.status).toBe(200);
      const data = callbackData(await callback.text());
      expect(data.origin).toBe(origin);
      expect(data.message).toMatchObject({ type: 'ferry:connect', provider });
      return data.message!.account as string;
    }

    async function list(provider: Provider, account: string, query = '', appKey = TEST_APP.key) {
      return fetch(`${t.url}/v1/sources/${provider}/list?key=${appKey}${query}`, { headers: { authorization: `Bearer ${account}` } });
    }

    async function pick(body: unknown, query = key): Promise<Response> {
      return fetch(`${t.url}/v1/picks?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    }

    async function pickOk(body: unknown, query = key): Promise<PickJson> {
      const res = await pick(body, query);
      if (res.status !== 201) expect.fail(`pick answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as PickJson;
    }

    const link = (seed: number, size: number, filename: string, extra = '') => `${fakes.url}/origin/files/${seed}/${size}/${encodeURIComponent(filename)}${extra}`;

    describe('GET /v1/sources', () => {
      it('lists the enabled sources for the app', async () => {
        const res = await fetch(`${t.url}/v1/sources?${key}`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { sources: { name: string; title: string; account: boolean }[] };
        expect(body.sources.map((s) => s.name)).toEqual(['url', 'dropbox', 'google-drive', 'onedrive', 'box']);
        expect(body.sources[0]).toEqual({ name: 'url', title: 'Link', account: false });
        expect(body.sources[1]).toEqual({ name: 'dropbox', title: 'Dropbox', account: true });
      });

      it("shows an app only the sources it may use, and needs the app's key", async () => {
        const limited = (await (await fetch(`${t.url}/v1/sources?key=${LIMITED_APP.key}`)).json()) as { sources: { name: string }[] };
        expect(limited.sources.map((s) => s.name)).toEqual(['url']);
        expect(await errorCode(await fetch(`${t.url}/v1/sources`))).toBe('missing_key');
      });
    });

    describe('Connect', () => {
      it('redirects to the provider with a sealed state, the callback URI and PKCE', async () => {
        const res = await fetch(`${t.url}/v1/connect/dropbox?${key}&origin=${encodeURIComponent(ORIGIN)}`, { redirect: 'manual' });
        expect(res.status).toBe(302);
        expect(res.headers.get('cache-control')).toBe('no-store');
        const to = new URL(res.headers.get('location')!);
        expect(to.origin + to.pathname).toBe(`${fakes.url}/dropbox/oauth2/authorize`);
        expect(to.searchParams.get('redirect_uri')).toBe(`${t.url}/v1/connect/dropbox/callback`);
        expect(to.searchParams.get('token_access_type')).toBe('offline');
        expect(to.searchParams.get('code_challenge_method')).toBe('S256');
        expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const state = to.searchParams.get('state')!;
        expect(state).toMatch(/^[A-Za-z0-9_-]{60,}$/);
        // Sealed: nothing of the origin, app or verifier shows through.
        expect(Buffer.from(state, 'base64url').toString('latin1')).not.toContain('app.test');
      });

      it('refuses origins the app does not allow, unknown and disabled sources', async () => {
        const go = (path: string) => fetch(`${t.url}${path}`, { redirect: 'manual' });
        expect(await errorCode(await go(`/v1/connect/dropbox?${key}&origin=${encodeURIComponent('https://evil.example')}`))).toBe('origin_not_allowed');
        expect(await errorCode(await go(`/v1/connect/dropbox?${key}`))).toBe('bad_request');
        expect(await errorCode(await go(`/v1/connect/icloud?${key}&origin=${encodeURIComponent(ORIGIN)}`))).toBe('unknown_source');
        expect(await errorCode(await go(`/v1/connect/dropbox?key=${LIMITED_APP.key}&origin=${encodeURIComponent('http://limited.test')}`))).toBe(
          'source_not_enabled',
        );
        expect(await errorCode(await go(`/v1/connect/dropbox?origin=${encodeURIComponent(ORIGIN)}`))).toBe('missing_key');
      });

      for (const provider of PROVIDERS) {
        it(`${provider}: the callback hands a sealed account to the opener, at the exact origin`, async () => {
          const start = await fetch(`${t.url}/v1/connect/${provider}?${key}&origin=${encodeURIComponent(ORIGIN)}`, { redirect: 'manual' });
          const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
          const res = await fetch(consent.headers.get('location')!);
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toMatch(/^text\/html/);
          expect(res.headers.get('cache-control')).toBe('no-store');
          const csp = res.headers.get('content-security-policy')!;
          const nonce = /script-src 'nonce-([A-Za-z0-9_-]+)'/.exec(csp)?.[1];
          expect(nonce).toBeTruthy();
          expect(csp).toContain("default-src 'none'");
          expect(csp).toContain("frame-ancestors 'none'");
          const html = await res.text();
          expect(html).toContain(`<script nonce="${nonce}">`);
          expect(html).toContain('window.opener.postMessage(r.message, r.origin)');
          expect(html).not.toContain("'*'");
          const data = callbackData(html);
          expect(data.origin).toBe(ORIGIN);
          expect(data.message).toMatchObject({ type: 'ferry:connect', provider });
          expect(Date.parse(data.message!.expiresAt as string)).toBeGreaterThan(Date.now());
          const listing = await list(provider, data.message!.account as string);
          expect(listing.status).toBe(200);
        });
      }

      it('tells the opener when the user says no', async () => {
        const start = await fetch(`${t.url}/v1/connect/box?${key}&origin=${encodeURIComponent(ORIGIN)}`, { redirect: 'manual' });
        const consent = new URL(start.headers.get('location')!);
        consent.searchParams.set('fake_decision', 'deny');
        const back = await fetch(consent, { redirect: 'manual' });
        const data = callbackData(await (await fetch(back.headers.get('location')!)).text());
        expect(data.origin).toBe(ORIGIN);
        expect(data.message).toMatchObject({ type: 'ferry:connect', provider: 'box', error: { code: 'source_auth_denied' } });
        expect(data.message).not.toHaveProperty('account');
      });

      it('posts nothing anywhere for a state it did not seal, or one meant for another provider', async () => {
        const forged = await fetch(`${t.url}/v1/connect/dropbox/callback?code=abc&state=${'A'.repeat(80)}`);
        expect(forged.status).toBe(400);
        expect(callbackData(await forged.text())).toEqual({ origin: null, message: null });
        const start = await fetch(`${t.url}/v1/connect/dropbox?${key}&origin=${encodeURIComponent(ORIGIN)}`, { redirect: 'manual' });
        const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
        const swapped = await fetch(`${t.url}/v1/connect/box/callback?code=abc&state=${state}`);
        expect(swapped.status).toBe(400);
        expect(callbackData(await swapped.text()).message).toBeNull();
      });
    });

    describe('browsing', () => {
      it('lists a folder page by page with the cursor', async () => {
        const account = await connect('dropbox');
        const root = (await (await list('dropbox', account)).json()) as { items: { id: string; name: string; kind: string }[]; cursor: string | null };
        const docs = root.items.find((i) => i.name === 'Documents')!;
        expect(docs.kind).toBe('folder');
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const res = await list('dropbox', account, `&folder=${encodeURIComponent(docs.id)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          expect(res.status).toBe(200);
          expect(res.headers.get('cache-control')).toBe('no-store');
          const page = (await res.json()) as { items: { name: string }[]; cursor: string | null };
          seen.push(...page.items.map((i) => i.name));
          cursor = page.cursor;
        } while (cursor);
        expect(seen).toHaveLength(230);
      });

      it('refuses a missing, forged, foreign or mismatched account token', async () => {
        const account = await connect('google-drive');
        expect(await errorCode(await fetch(`${t.url}/v1/sources/google-drive/list?${key}`))).toBe('invalid_account');
        expect(await errorCode(await list('google-drive', 'AQJrMW5' + 'x'.repeat(100)))).toBe('invalid_account');
        expect(await errorCode(await list('google-drive', account, '', OTHER_APP.key))).toBe('invalid_account');
        expect(await errorCode(await list('box', account))).toBe('invalid_account');
      });

      it('refreshes an expired provider token and hands back a new account token', async () => {
        const account = await connect('onedrive');
        fakes.providers.onedrive.oauth.expireAccessTokens();
        const res = await list('onedrive', account);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { items: unknown[]; account?: string };
        expect(body.items.length).toBeGreaterThan(0);
        expect(body.account).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(body.account).not.toBe(account);
        expect((await list('onedrive', body.account!)).status).toBe(200);
      });

      it('says 401 source_auth_expired when the grant is gone', async () => {
        const account = await connect('box');
        fakes.providers.box.oauth.expireAccessTokens();
        fakes.providers.box.oauth.revokeRefreshTokens();
        const res = await list('box', account);
        expect(res.status).toBe(401);
        expect(await errorCode(res)).toBe('source_auth_expired');
      });

      it('passes a provider rate limit on as 429 with Retry-After', async () => {
        const account = await connect('dropbox');
        fakes.providers.dropbox.rateLimitNext(1, '21');
        const res = await list('dropbox', account);
        expect(res.status).toBe(429);
        expect(res.headers.get('retry-after')).toBe('21');
        expect(await errorCode(res)).toBe('rate_limited');
      });

      it('answers 502 when the provider fails', async () => {
        const account = await connect('google-drive');
        fakes.providers['google-drive'].failNext(1);
        expect((await list('google-drive', account)).status).toBe(502);
      });
    });

    describe('link picks', () => {
      it('picks a link and streams it from the origin with the documented headers', async () => {
        const p = await pickOk({ source: 'url', url: link(21, 100_000, 'report final.pdf', '?cd=1') });
        expect(Object.keys(p).sort()).toEqual(['createdAt', 'expiresAt', 'filename', 'handle', 'size', 'source', 'type', 'url']);
        expect(p).toMatchObject({ source: 'url', filename: 'report final.pdf', size: 100_000, type: 'application/pdf' });
        expect(p.handle).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(p.url).toBe(`${t.url}/v1/picks/${p.handle}?key=${TEST_APP.key}`);
        const lifetime = Date.parse(p.expiresAt) - Date.parse(p.createdAt);
        expect(lifetime).toBeGreaterThan(0);
        expect(lifetime).toBeLessThanOrEqual(86_400_000);

        const res = await fetch(p.url);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('application/pdf');
        expect(res.headers.get('content-length')).toBe('100000');
        expect(res.headers.get('content-disposition')).toBe(`attachment; filename="report final.pdf"; filename*=UTF-8''report%20final.pdf`);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('content-security-policy')).toMatch(/sandbox/);
        // Nothing of the origin's own cookies or auth challenges comes through.
        expect(res.headers.get('set-cookie')).toBeNull();
        expect(res.headers.get('www-authenticate')).toBeNull();
        expect(res.headers.get('x-origin-internal')).toBeNull();
        const bytes = new Uint8Array(await res.arrayBuffer());
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256Of(21, 100_000));
      });

      it('passes Range through, and answers HEAD without a body', async () => {
        const p = await pickOk({ source: 'url', url: link(22, 50_000, 'data.bin') });
        const part = await fetch(p.url, { headers: { range: 'bytes=10000-10099' } });
        expect(part.status).toBe(206);
        expect(part.headers.get('content-range')).toBe('bytes 10000-10099/50000');
        expect(part.headers.get('content-length')).toBe('100');
        expect(Buffer.from(await part.arrayBuffer()).equals(slice(22, 10_000, 10_100))).toBe(true);
        expect(fakes.origin.requests.at(-1)!.headers.range).toBe('bytes=10000-10099');
        const head = await fetch(p.url, { method: 'HEAD' });
        expect(head.status).toBe(200);
        expect(head.headers.get('content-length')).toBe('50000');
        expect(await head.text()).toBe('');
        const unsatisfiable = await fetch(p.url, { headers: { range: 'bytes=60000-' } });
        expect(unsatisfiable.status).toBe(416);
      });

      it('follows redirects and still names the file after the final location', async () => {
        const p = await pickOk({ source: 'url', url: `${fakes.url}/origin/redirect/3/23/777/notes.txt` });
        expect(p).toMatchObject({ filename: 'notes.txt', size: 777, type: 'text/plain' });
        expect((await (await fetch(p.url)).arrayBuffer()).byteLength).toBe(777);
      });

      it('refuses private, loopback and metadata addresses, and credentials, before any request', async () => {
        const before = fakes.origin.requests.length;
        for (const url of [
          'http://169.254.169.254/latest/meta-data/',
          'http://127.0.0.1:1/x',
          'http://[::1]/x',
          'http://[::ffff:169.254.169.254]/x',
          'http://2130706433/x',
          'http://0x7f.1/x',
          'http://10.0.0.1/x',
          'http://192.168.1.1/x',
          'http://localhost/x',
          'http://metadata.google.internal/computeMetadata/v1/',
        ]) {
          const res = await pick({ source: 'url', url });
          expect(res.status, url).toBe(403);
          expect(await errorCode(res), url).toBe('blocked_address');
        }
        for (const url of ['ftp://example.com/a', `http://user:pw@${fakes.host}/origin/files/1/1/a`, 'not a url']) {
          expect(await errorCode(await pick({ source: 'url', url })), url).toBe('invalid_url');
        }
        expect(fakes.origin.requests.length).toBe(before);
      });

      it('refuses a redirect to the metadata service', async () => {
        const url = `${fakes.url}/origin/redirect-to?location=${encodeURIComponent('http://169.254.169.254/latest/meta-data/iam/security-credentials/')}`;
        const res = await pick({ source: 'url', url });
        expect(res.status).toBe(403);
        expect(await errorCode(res)).toBe('blocked_address');
      });

      it('normalises origin errors', async () => {
        const status = async (code: number) => (await pick({ source: 'url', url: `${fakes.url}/origin/status/${code}` })).status;
        expect(await status(404)).toBe(404);
        expect(await status(500)).toBe(502);
        expect(await status(418)).toBe(424);
        const limited = await pick({ source: 'url', url: `${fakes.url}/origin/status/429` });
        expect(limited.status).toBe(429);
        expect(limited.headers.get('retry-after')).toBe('9');
      });

      it("holds picks to the app's size limit and sources", async () => {
        const big = await pick({ source: 'url', url: link(24, 5000, 'a.bin') }, `key=${LIMITED_APP.key}`);
        expect(big.status).toBe(413);
        expect(await errorCode(big)).toBe('file_too_large');
        expect((await pick({ source: 'url', url: link(24, 999, 'a.bin') }, `key=${LIMITED_APP.key}`)).status).toBe(201);
        const account = await connect('dropbox');
        expect(await errorCode(await pick({ source: 'dropbox', account, id: 'id:x' }, `key=${LIMITED_APP.key}`))).toBe('source_not_enabled');
      });

      it('refuses malformed pick requests', async () => {
        expect(await errorCode(await pick({}))).toBe('bad_request');
        expect(await errorCode(await pick({ source: 'url' }))).toBe('bad_request');
        expect(await errorCode(await pick({ source: 'gopher', url: 'x' }))).toBe('unknown_source');
        const notJson = await fetch(`${t.url}/v1/picks?${key}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
        expect(await errorCode(notJson)).toBe('invalid_json');
        const wrongType = await fetch(`${t.url}/v1/picks?${key}`, { method: 'POST', body: 'x' });
        expect(wrongType.status).toBe(415);
      });

      it('lets the app rename a pick, checking the name like an upload', async () => {
        const p = await pickOk({ source: 'url', url: link(24, 1000, 'scan.bin'), filename: 'receipt 2026.pdf' });
        expect(p.filename).toBe('receipt 2026.pdf');
        const res = await fetch(p.url, { method: 'HEAD' });
        expect(res.headers.get('content-disposition')).toContain(`filename="receipt 2026.pdf"`);
        for (const filename of ['../etc/passwd', 'a\r\nb', 42]) {
          expect(await errorCode(await pick({ source: 'url', url: link(24, 1000, 'scan.bin'), filename }))).toBe('invalid_filename');
        }
      });

      it('opens a pick only for its own app, unchanged, before it expires', async () => {
        const p = await pickOk({ source: 'url', url: link(25, 10, 'a.txt') }, `${key}&ttl=1`);
        expect(Date.parse(p.expiresAt) - Date.parse(p.createdAt)).toBe(1000);
        const other = await fetch(`${t.url}/v1/picks/${p.handle}?key=${OTHER_APP.key}`);
        expect(other.status).toBe(404);
        const changed = p.handle.slice(0, 30) + (p.handle[30] === 'A' ? 'B' : 'A') + p.handle.slice(31);
        expect((await fetch(`${t.url}/v1/picks/${changed}?${key}`)).status).toBe(404);
        expect((await fetch(`${t.url}/v1/picks/${p.handle}`)).status).toBe(401);
        await new Promise((r) => setTimeout(r, 1100));
        const expired = await fetch(p.url);
        expect(expired.status).toBe(410);
        expect(await errorCode(expired)).toBe('file_expired');
        expect(await errorCode(await pick({ source: 'url', url: link(25, 10, 'a.txt') }, `${key}&ttl=86401`))).toBe('invalid_ttl');
      });

      it('breaks the response, never ends it cleanly, when the origin fails mid-stream', async () => {
        const p = await pickOk({ source: 'url', url: `${fakes.url}/origin/fail/26/2000000/700000/broken.bin` });
        const res = await fetch(p.url);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-length')).toBe('2000000');
        await expect(res.arrayBuffer()).rejects.toThrow();
      });

      it('reads the origin only as fast as a slow client reads', async () => {
        // Under the 100 MB that Workers' default limits allow, far over any buffer on the way.
        const size = 90 * 1024 * 1024;
        const p = await pickOk({ source: 'url', url: link(27, size, 'slow.bin') });
        let written = 0;
        fakes.origin.onWrite = (n) => (written += n);
        try {
          const u = new URL(p.url);
          await new Promise<void>((resolve, reject) => {
            const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname + u.search }, (res) => {
              expect(res.statusCode).toBe(200);
              res.pause();
              setTimeout(() => {
                const stalled = written;
                setTimeout(() => {
                  try {
                    // Socket and stream buffers hold some MiB; the origin waits for the rest.
                    expect(written - stalled).toBeLessThan(1024 * 1024);
                    expect(written).toBeLessThan(48 * 1024 * 1024);
                    console.info(`slow client (${name}): the origin sent ${(written / 1048576).toFixed(1)} MiB of ${size / 1048576} MiB`);
                    resolve();
                  } catch (e) {
                    reject(e);
                  } finally {
                    req.destroy();
                  }
                }, 400);
              }, 800);
            });
            req.on('error', () => {});
            req.end();
          });
        } finally {
          fakes.origin.onWrite = undefined;
        }
      });
    });

    describe('cloud picks', () => {
      for (const provider of PROVIDERS) {
        it(`${provider}: picks a file from the account and streams it, ranges included`, async () => {
          const account = await connect(provider);
          const node = fakes.providers[provider].tree.byName('report.pdf');
          const p = await pickOk({ source: provider, account, id: node.id });
          expect(p).toMatchObject({ source: provider, filename: 'report.pdf', size: 100_000, type: 'application/pdf' });
          // The handle is sealed: provider tokens do not show through. (Not a check for the
          // tokens' `at-` prefix: a random handle holds those three characters one time in a
          // few hundred.)
          const tokens = fakes.providers[provider].oauth.issuedTokens();
          expect(tokens.length).toBeGreaterThan(0);
          for (const token of tokens) expect(p.handle).not.toContain(token);
          const res = await fetch(p.url);
          expect(res.status).toBe(200);
          expect(res.headers.get('content-type')).toBe('application/pdf');
          expect(res.headers.get('content-length')).toBe('100000');
          expect(res.headers.get('set-cookie')).toBeNull();
          expect(createHash('sha256').update(new Uint8Array(await res.arrayBuffer())).digest('hex')).toBe(sha256Of(node.seed, 100_000));
          const part = await fetch(p.url, { headers: { range: 'bytes=-10' } });
          expect(part.status).toBe(206);
          expect(part.headers.get('content-range')).toBe('bytes 99990-99999/100000');
          expect(Buffer.from(await part.arrayBuffer()).equals(slice(node.seed, 99_990, 100_000))).toBe(true);
        });
      }

      it('refreshes the provider token inside a pick when it has expired', async () => {
        const account = await connect('dropbox');
        const node = fakes.providers.dropbox.tree.byName('naïve café.txt');
        const p = await pickOk({ source: 'dropbox', account, id: node.id });
        expect(p.filename).toBe('naïve café.txt');
        fakes.providers.dropbox.oauth.expireAccessTokens();
        const res = await fetch(p.url);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-disposition')).toBe(`attachment; filename="na_ve caf_.txt"; filename*=UTF-8''na%C3%AFve%20caf%C3%A9.txt`);
        expect((await res.arrayBuffer()).byteLength).toBe(1234);
      });

      it('refuses folders, missing files and another provider id', async () => {
        const dropbox = await connect('dropbox');
        const docs = fakes.providers.dropbox.tree.byName('Documents');
        expect(await errorCode(await pick({ source: 'dropbox', account: dropbox, id: docs.id }))).toBe('bad_request');
        const account = await connect('box');
        expect(await errorCode(await pick({ source: 'box', account, id: '123456' }))).toBe('origin_not_found');
        expect(await errorCode(await pick({ source: 'box', account }))).toBe('bad_request');
        expect(await errorCode(await pick({ source: 'dropbox', account, id: 'id:x' }))).toBe('invalid_account');
      });

      it('breaks the response when the provider fails mid-download', async () => {
        const account = await connect('google-drive');
        const node = fakes.providers['google-drive'].tree.byName('big.bin');
        const p = await pickOk({ source: 'google-drive', account, id: node.id });
        fakes.providers['google-drive'].failDownloadsAfter = 1_000_000;
        try {
          const res = await fetch(p.url);
          expect(res.status).toBe(200);
          await expect(res.arrayBuffer()).rejects.toThrow();
        } finally {
          fakes.providers['google-drive'].failDownloadsAfter = undefined;
        }
      });
    });

    it('stored nothing: no object in the store for any of it', async () => {
      expect(await t.residue()).toEqual([]);
    });
  });
}
