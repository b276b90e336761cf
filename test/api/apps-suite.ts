// Apps, signed policies, CORS and tenant separation, run against every target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPolicy } from '../../lib/policy.mjs';
import { OTHER_APP, SIGNED_APP, TEST_APP, type Target, type TargetFactory } from '../helpers/targets.js';
import { expectBytes, metaOf, pattern, upload, uploadRaw, type FileJson } from './files-suite.js';

async function code(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

function withKey(fileUrl: string, key: string): string {
  const u = new URL(fileUrl);
  u.searchParams.set('key', key);
  return u.href;
}

export function describeAppsApi(name: string, makeTarget: TargetFactory) {
  describe(`apps, policies and separation (${name})`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await makeTarget();
    });
    afterAll(async () => t?.close());

    it('needs a known app key to upload, by query or header', async () => {
      const none = await fetch(`${t.url}/v1/files?filename=a`, { method: 'POST', body: 'x' });
      expect(none.status).toBe(401);
      expect(await code(none)).toBe('missing_key');
      const wrong = await uploadRaw(t.url, pattern(1), 'filename=a', {}, 'nope');
      expect(wrong.status).toBe(401);
      expect(await code(wrong)).toBe('unknown_key');
      const header = await fetch(`${t.url}/v1/files?filename=a.txt`, {
        method: 'POST',
        body: 'hello',
        headers: { 'x-ferry-key': TEST_APP.key },
      });
      expect(header.status).toBe(201);
    });

    it("walls one app's files off from another's, even with the handle", async () => {
      const file = await upload(t.url, pattern(5000));
      const foreign = withKey(file.url, OTHER_APP.key);
      for (const [url, init] of [
        [foreign, {}],
        [foreign, { method: 'HEAD' }],
        [metaOf(foreign), {}],
        [foreign, { method: 'DELETE' }],
      ] as [string, RequestInit][]) {
        const res = await fetch(url, init);
        expect(res.status, `${init.method ?? 'GET'} ${url}`).toBe(404);
      }
      const own = await fetch(file.url);
      expectBytes(await own.arrayBuffer(), pattern(5000));
      // The app is bound into where the file lives.
      const id = Buffer.from(file.handle, 'base64url').subarray(0, 16).toString('hex');
      const keys: string[] = [];
      for await (const o of t.store.list('')) if (o.key.includes(id)) keys.push(o.key);
      expect(keys.sort()).toEqual([`apps/test/data/${id}`]);
    });

    it('answers CORS only for the app’s exact origins', async () => {
      const pre = await fetch(`${t.url}/v1/files?key=${TEST_APP.key}`, {
        method: 'OPTIONS',
        headers: { origin: 'http://app.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('http://app.test');
      expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
      expect(pre.headers.get('access-control-allow-headers')).toMatch(/x-ferry-key/);

      for (const origin of ['http://evil.test', 'http://app.test.evil.test', 'https://app.test', 'http://other.test']) {
        const res = await fetch(`${t.url}/v1/files?key=${TEST_APP.key}`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
        expect(res.status, origin).toBe(403);
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
      }
      // Preflights with the key in a header carry no key: any app's origin may proceed to the real check.
      const headerPre = await fetch(`${t.url}/v1/files`, {
        method: 'OPTIONS',
        headers: { origin: 'http://other.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-ferry-key' },
      });
      expect(headerPre.status).toBe(204);

      const before = (await t.residue()).length;
      const foreign = await fetch(`${t.url}/v1/files?key=${TEST_APP.key}&filename=a`, {
        method: 'POST',
        body: 'x',
        headers: { origin: 'http://other.test' },
      });
      expect(foreign.status).toBe(403);
      // Readable by that page (its origin belongs to another app), so a widget can explain it.
      expect(foreign.headers.get('access-control-allow-origin')).toBe('http://other.test');
      expect(await code(foreign)).toBe('origin_not_allowed');
      const stranger = await fetch(`${t.url}/v1/files?key=nope`, { method: 'POST', body: 'x', headers: { origin: 'http://evil.test' } });
      expect(stranger.status).toBe(401);
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
      const wrongKey = await fetch(`${t.url}/v1/files?key=nope`, { method: 'POST', body: 'x', headers: { origin: 'http://app.test' } });
      expect(await code(wrongKey)).toBe('unknown_key');
      expect(wrongKey.headers.get('access-control-allow-origin')).toBe('http://app.test');
      expect((await t.residue()).length).toBe(before);

      const ok = await fetch(`${t.url}/v1/files?key=${TEST_APP.key}&filename=a.txt`, {
        method: 'POST',
        body: 'x',
        headers: { origin: 'http://app.test' },
      });
      expect(ok.status).toBe(201);
      expect(ok.headers.get('access-control-allow-origin')).toBe('http://app.test');
      expect(ok.headers.get('access-control-expose-headers')).toMatch(/etag.*content-range.*content-length.*content-disposition/);
      expect(ok.headers.get('vary')).toMatch(/origin/i);
      const file = (await ok.json()) as FileJson;
      const get = await fetch(file.url, { headers: { origin: 'http://app.test', range: 'bytes=0-0' } });
      expect(get.status).toBe(206);
      expect(get.headers.get('access-control-allow-origin')).toBe('http://app.test');
    });

    it('lets a page on a known origin read unknown_key for a mistyped key; strangers still get no CORS', async () => {
      // The preflight of a request whose key is wrong passes for an origin some app registered, so
      // the browser sends the request and the page reads the real error instead of a status 0.
      for (const [origin, app] of [['http://app.test', 'test'], ['http://other.test', 'other']]) {
        const pre = await fetch(`${t.url}/v1/files?key=tset-key`, {
          method: 'OPTIONS',
          headers: { origin: origin!, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        });
        expect(pre.status, app).toBe(204);
        expect(pre.headers.get('access-control-allow-origin'), app).toBe(origin);
        expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
        const before = (await t.residue()).length;
        const res = await fetch(`${t.url}/v1/files?key=tset-key&filename=a.txt`, { method: 'POST', body: 'x', headers: { origin: origin! } });
        expect(res.status, app).toBe(401);
        expect(res.headers.get('access-control-allow-origin'), app).toBe(origin);
        expect(await code(res)).toBe('unknown_key');
        expect((await t.residue()).length).toBe(before);
        // The same for a download with the key in a header.
        const get = await fetch(`${t.url}/v1/files/${'A'.repeat(43)}`, { headers: { origin: origin!, 'x-ferry-key': 'tset-key' } });
        expect(get.status).toBe(401);
        expect(get.headers.get('access-control-allow-origin')).toBe(origin);
        expect(await code(get)).toBe('unknown_key');
      }
      for (const origin of ['http://evil.test', 'https://app.test', 'http://app.test:8080', 'null']) {
        const pre = await fetch(`${t.url}/v1/files?key=tset-key`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
        expect(pre.status, origin).toBe(403);
        expect(pre.headers.get('access-control-allow-origin'), origin).toBeNull();
        expect(pre.headers.get('access-control-allow-methods'), origin).toBeNull();
        const res = await fetch(`${t.url}/v1/files?key=tset-key&filename=a.txt`, { method: 'POST', body: 'x', headers: { origin } });
        expect(res.status).toBe(401);
        expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      }
    });

    it('sets the security headers on API responses', async () => {
      const res = await fetch(`${t.url}/v1/files?key=${TEST_APP.key}&filename=a.txt`, { method: 'POST', body: 'x' });
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const file = (await res.json()) as FileJson;
      const get = await fetch(file.url);
      expect(get.headers.get('content-security-policy')).toMatch(/sandbox/);
      expect(get.headers.get('content-disposition')).toMatch(/^attachment;/);
      await get.arrayBuffer();
      const html = await uploadRaw(t.url, new TextEncoder().encode('<script>alert(1)</script>') as Uint8Array<ArrayBuffer>, 'filename=x.html', {
        'content-type': 'text/html',
      });
      const page = await fetch(((await html.json()) as FileJson).url);
      expect(page.headers.get('content-type')).toBe('text/html');
      expect(page.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(page.headers.get('content-security-policy')).toMatch(/sandbox/);
      await page.arrayBuffer();
    });

    describe('a default app (FERRY_DEFAULT_APP) for requests naming none', () => {
      let d: Target;
      beforeAll(async () => {
        d = await makeTarget({
          FERRY_APPS: JSON.stringify([{ ...TEST_APP, maxFileBytes: 1000 }, OTHER_APP, SIGNED_APP]),
          FERRY_DEFAULT_APP: TEST_APP.name,
        });
      });
      afterAll(async () => d?.close());

      it('stores and serves without a key, under that app and its rules', async () => {
        const bytes = pattern(900, 3);
        const res = await fetch(`${d.url}/v1/files?filename=a.bin`, { method: 'POST', body: bytes });
        expect(res.status).toBe(201);
        const file = (await res.json()) as FileJson;
        // The URL still names its app, so it works whatever the default becomes.
        expect(file.url).toBe(`${d.url}/v1/files/${file.handle}?key=${TEST_APP.key}`);
        expectBytes(await (await fetch(file.url)).arrayBuffer(), bytes);
        const bare = await fetch(`${d.url}/v1/files/${file.handle}`);
        expect(bare.status).toBe(200);
        expectBytes(await bare.arrayBuffer(), bytes);
        expect((await fetch(`${d.url}/v1/files/${file.handle}/meta`)).status).toBe(200);
        // Its limits apply: this app takes at most 1000 bytes.
        const before = (await d.residue()).length;
        const big = await fetch(`${d.url}/v1/files?filename=a.bin`, { method: 'POST', body: pattern(1001) });
        expect(big.status).toBe(413);
        expect(await code(big)).toBe('file_too_large');
        expect((await d.residue()).length).toBe(before);
        // Another app's file is not the default app's, even with its handle.
        const theirs = await upload(d.url, pattern(10), 'b.bin', OTHER_APP.key);
        expect((await fetch(`${d.url}/v1/files/${theirs.handle}`)).status).toBe(404);
        // A named key still wins, and a wrong one is still refused.
        expect((await fetch(`${d.url}/v1/files/${theirs.handle}?key=${OTHER_APP.key}`)).status).toBe(200);
        expect(await code(await fetch(`${d.url}/v1/files/${file.handle}?key=nope`))).toBe('unknown_key');
      });

      it('keeps its origin rules: a page it does not allow is not its caller', async () => {
        const mine = await fetch(`${d.url}/v1/files?filename=a.txt`, { method: 'POST', body: 'x', headers: { origin: 'http://app.test' } });
        expect(mine.status).toBe(201);
        expect(mine.headers.get('access-control-allow-origin')).toBe('http://app.test');
        const before = (await d.residue()).length;
        for (const origin of ['http://other.test', 'http://evil.test']) {
          const res = await fetch(`${d.url}/v1/files?filename=a.txt`, { method: 'POST', body: 'x', headers: { origin } });
          expect(res.status, origin).toBe(401);
          expect(await code(res), origin).toBe('missing_key');
        }
        expect((await d.residue()).length).toBe(before);
      });
    });

    describe('signed policies', () => {
      const key = SIGNED_APP.key;
      const sign = (p: Parameters<typeof signPolicy>[1], secret = SIGNED_APP.secret) => signPolicy(secret, p);
      const q = (s: { policy: string; signature: string }) => `policy=${s.policy}&signature=${s.signature}`;
      const post = (query: string, body: BodyInit = 'hello', headers: Record<string, string> = {}) =>
        fetch(`${t.url}/v1/files?key=${key}&filename=a.txt&${query}`, { method: 'POST', body, headers });

      it('stores only with a valid policy for "store"', async () => {
        const cases: [string, number, string][] = [
          ['', 401, 'missing_policy'],
          [`policy=${(await sign({ call: ['store'] })).policy}`, 401, 'malformed_policy'],
          ['policy=!!!&signature=' + 'a'.repeat(64), 401, 'malformed_policy'],
          [`policy=${(await sign({ call: ['store'] })).policy}&signature=xyz`, 401, 'malformed_policy'],
          [q(await sign({ call: ['store'] }, TEST_APP.secret)), 401, 'invalid_signature'],
          [q(await sign({ call: ['store'], expiry: Math.floor(Date.now() / 1000) - 5 })), 401, 'policy_expired'],
          [q(await sign({ call: ['read'] })), 403, 'policy_call_denied'],
        ];
        // A policy whose JSON is not a policy, correctly signed.
        const junk = Buffer.from('{"call":"store"}').toString('base64url');
        const { createHmac } = await import('node:crypto');
        cases.push([`policy=${junk}&signature=${createHmac('sha256', SIGNED_APP.secret).update(junk).digest('hex')}`, 401, 'malformed_policy']);
        // Tampered: a valid signature over a different policy.
        const a = await sign({ call: ['read'] });
        const b = await sign({ call: ['store'] });
        cases.push([`policy=${b.policy}&signature=${a.signature}`, 401, 'invalid_signature']);
        const before = (await t.residue()).length;
        for (const [query, status, c] of cases) {
          const res = await post(query);
          expect(res.status, query).toBe(status);
          expect(await code(res), query).toBe(c);
        }
        expect((await t.residue()).length).toBe(before);

        const ok = await post(q(await sign({ call: ['store'] })));
        expect(ok.status).toBe(201);
        const viaHeaders = await sign({ call: ['store'] });
        const ok2 = await post('', 'hi', { 'x-ferry-policy': viaHeaders.policy, 'x-ferry-signature': viaHeaders.signature });
        expect(ok2.status).toBe(201);
      });

      it('applies maxSize and minSize, storing nothing when they fail', async () => {
        const before = (await t.residue()).length;
        const big = await post(q(await sign({ call: ['store'], maxSize: 10 })), 'x'.repeat(11));
        expect(big.status).toBe(413);
        expect(await code(big)).toBe('file_too_large');
        const small = await post(q(await sign({ call: ['store'], minSize: 100 })), 'x'.repeat(99));
        expect(small.status).toBe(400);
        expect(await code(small)).toBe('file_too_small');
        expect((await t.residue()).length).toBe(before);
        const fits = await post(q(await sign({ call: ['store'], minSize: 5, maxSize: 10 })), 'x'.repeat(10));
        expect(fits.status).toBe(201);
      });

      it('reads and removes only with a policy for that call and that handle', async () => {
        const stored = (await (await post(q(await sign({ call: ['store'] })), 'secret bytes')).json()) as FileJson;
        const other = (await (await post(q(await sign({ call: ['store'] })), 'other bytes')).json()) as FileJson;
        expect((await fetch(stored.url)).status).toBe(401);
        const readOther = await fetch(`${stored.url}&${q(await sign({ call: ['read'], handle: other.handle }))}`);
        expect(readOther.status).toBe(403);
        expect(await code(readOther)).toBe('policy_handle_denied');
        const read = await fetch(`${stored.url}&${q(await sign({ call: ['read'], handle: stored.handle }))}`);
        expect(read.status).toBe(200);
        expect(await read.text()).toBe('secret bytes');
        const removeWithRead = await fetch(`${stored.url}&${q(await sign({ call: ['read'] }))}`, { method: 'DELETE' });
        expect(removeWithRead.status).toBe(403);
        expect(await code(removeWithRead)).toBe('policy_call_denied');
        const remove = await fetch(`${stored.url}&${q(await sign({ call: ['remove'], handle: stored.handle }))}`, { method: 'DELETE' });
        expect(remove.status).toBe(204);
        expect((await fetch(`${stored.url}&${q(await sign({ call: ['read'] }))}`)).status).toBe(404);
      });

      it('honours a policy sent to an app that does not require one', async () => {
        const res = await fetch(`${t.url}/v1/files?key=${TEST_APP.key}&filename=a.txt&${q(await sign({ call: ['store'], maxSize: 3 }, TEST_APP.secret))}`, {
          method: 'POST',
          body: 'four',
        });
        expect(res.status).toBe(413);
        const forged = await fetch(`${t.url}/v1/files?key=${TEST_APP.key}&filename=a.txt&${q(await sign({ call: ['store'] }, OTHER_APP.secret))}`, {
          method: 'POST',
          body: 'x',
        });
        expect(forged.status).toBe(401);
        expect(await code(forged)).toBe('invalid_signature');
      });
    });

    it('lets an app list its live files by secret and delete any by id', async () => {
      const a = await upload(t.url, pattern(12_345), 'Private-Name-Quokka.pdf');
      const id = Buffer.from(a.handle, 'base64url').subarray(0, 16).toString('hex');
      const list = async (secret: string) => fetch(`${t.url}/v1/app/files`, { headers: { authorization: `Bearer ${secret}` } });
      const mine = await list(TEST_APP.secret);
      expect(mine.status).toBe(200);
      const text = await mine.text();
      expect(text).not.toMatch(/Quokka/);
      const { files } = JSON.parse(text) as { files: { id: string; size: number; expiresAt: string }[] };
      expect(files.find((f) => f.id === id)).toEqual({ id, size: 12_345, expiresAt: new Date(a.expiresAt).toISOString() });
      const theirs = (await (await list(OTHER_APP.secret)).json()) as { files: { id: string }[] };
      expect(theirs.files.some((f) => f.id === id)).toBe(false);

      expect(await code(await fetch(`${t.url}/v1/app/files`))).toBe('missing_secret');
      expect((await list('not-a-secret-of-anyone')).status).toBe(401);
      expect((await fetch(`${t.url}/v1/app/files`, { headers: { authorization: `Bearer ${TEST_APP.key}` } })).status).toBe(401);

      const del = (secret: string, which = id) =>
        fetch(`${t.url}/v1/app/files/${which}`, { method: 'DELETE', headers: { authorization: `Bearer ${secret}` } });
      expect((await del(OTHER_APP.secret)).status).toBe(404);
      expect((await fetch(a.url)).status).toBe(200);
      expect((await del(TEST_APP.secret, 'zz')).status).toBe(404);
      expect((await del(TEST_APP.secret)).status).toBe(204);
      expect((await fetch(a.url)).status).toBe(404);
      expect((await del(TEST_APP.secret)).status).toBe(404);
    });
  });
}
