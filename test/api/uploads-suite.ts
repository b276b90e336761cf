// The HTTP contract of upload sessions (DESIGN.md "Upload sessions", docs/uploads.md), run
// against every target: Node with the filesystem store (parts through Ferry's own PUT), Node
// with S3 and workerd with S3 (parts straight to s3rver through presigned URLs). The parts are
// built by test/helpers/session-parts.ts from the session's JSON alone, as a client would, and
// sent to whatever URL Ferry hands out: the same client code for every store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPolicy } from '../../lib/policy.mjs';
import { OTHER_APP, SIGNED_APP, TEST_APP, type Target, type TargetFactory } from '../helpers/targets.js';
import { headersOnly } from '../helpers/early-answer.js';
import { partCountOf, patternText, sessionPart, type Plaintext, type SessionJson } from '../helpers/session-parts.js';
import { expectBytes, metaOf } from './files-suite.js';

const KEY = TEST_APP.key;
const MiB = 1024 * 1024;
const json = { 'content-type': 'application/json' };

export interface Client {
  create(body: unknown, query?: string, headers?: Record<string, string>): Promise<Response>;
  session(size: number, filename?: string): Promise<SessionJson>;
  urls(s: SessionJson, parts: unknown[], key?: string): Promise<Response>;
  put(s: SessionJson, n: number, bytes?: Uint8Array<ArrayBuffer>): Promise<Response>;
  list(s: SessionJson, key?: string): Promise<Response>;
  complete(s: SessionJson, parts?: { n: number; etag: string }[], key?: string): Promise<Response>;
  abort(s: SessionJson, key?: string): Promise<Response>;
}

export function sessionClient(t: Target, text: Plaintext = patternText()): Client {
  const at = (path: string, key = KEY) => `${t.url}${path}${path.includes('?') ? '&' : '?'}key=${key}`;
  const c: Client = {
    create: (body, query = '', headers = {}) =>
      fetch(at(`/v1/uploads${query}`, headers['x-ferry-key'] ?? KEY), { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) }),
    async session(size, filename = 'data.bin') {
      const res = await c.create({ filename, size });
      expect(res.status).toBe(201);
      return (await res.json()) as SessionJson;
    },
    urls: (s, parts, key) => fetch(at(`/v1/uploads/${s.upload}/parts`, key), { method: 'POST', headers: json, body: JSON.stringify({ parts }) }),
    async put(s, n, bytes = sessionPart(s, text, n)) {
      const res = await c.urls(s, [n]);
      expect(res.status).toBe(200);
      const { urls } = (await res.json()) as { urls: Record<string, string> };
      return fetch(urls[String(n)]!, { method: 'PUT', body: bytes });
    },
    list: (s, key) => fetch(at(`/v1/uploads/${s.upload}`, key)),
    complete: (s, parts, key) =>
      fetch(at(`/v1/uploads/${s.upload}/complete`, key), { method: 'POST', headers: json, body: JSON.stringify(parts ? { parts } : {}) }),
    abort: (s, key) => fetch(at(`/v1/uploads/${s.upload}`, key), { method: 'DELETE' }),
  };
  return c;
}

export async function errorCode(res: Response): Promise<string> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await res.json()) as { error: { code: string } }).error.code;
}

/** Uploads every part (in the order given) and returns the client's record. */
export async function uploadParts(c: Client, s: SessionJson, order?: number[]): Promise<{ n: number; etag: string }[]> {
  const record: { n: number; etag: string }[] = [];
  for (const n of order ?? Array.from({ length: partCountOf(s) }, (_, i) => i + 1)) {
    const res = await c.put(s, n);
    expect(res.status, `part ${n}`).toBe(200);
    const etag = res.headers.get('etag');
    expect(etag, `part ${n} etag`).toBeTruthy();
    await res.arrayBuffer();
    record.push({ n, etag: etag! });
  }
  return record.sort((a, b) => a.n - b.n);
}

export function describeUploadsApi(name: string, makeTarget: TargetFactory) {
  describe(`upload sessions (${name})`, () => {
    let t: Target;
    let c: Client;
    const text = patternText(3);
    beforeAll(async () => {
      t = await makeTarget();
      c = sessionClient(t, text);
    });
    afterAll(async () => t?.close());

    /** Objects and pending uploads under a session's file. */
    async function traces(s: SessionJson): Promise<string[]> {
      const id = Buffer.from(s.handle, 'base64url').subarray(0, 16).toString('hex');
      const found = (await t.residue()).filter((k) => k.includes(id));
      for await (const u of t.store.listMultipart('')) if (u.key.includes(id)) found.push(`pending:${u.key}`);
      return found;
    }

    it('round-trips a file of several parts, sent out of order, byte-exact and with ranges', async () => {
      const size = 2 * 8 * MiB + 12345;
      const s = await c.session(size, 'film.mp4');
      expect(s).toMatchObject({ size, partSize: 8 * MiB, handle: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      expect(Buffer.from(s.chunkKey, 'base64')).toHaveLength(16);
      expect(Buffer.from(s.baseNonce, 'base64')).toHaveLength(12);
      expect(s.objectSize).toBe(Buffer.from(s.prefix, 'base64').length + size + Math.ceil((size + 1) / 16384) * 16);
      expect(partCountOf(s)).toBe(3);
      expect(Date.parse(s.expiresAt) - Date.now()).toBeGreaterThan(86_000_000);

      await uploadParts(c, s, [3, 1]);
      const listed = await c.list(s);
      expect(listed.status).toBe(200);
      expect(await listed.json()).toEqual([
        { n: 1, size: 8 * MiB },
        { n: 3, size: s.objectSize - 2 * 8 * MiB },
      ]);
      await uploadParts(c, s, [2]);
      const done = await c.complete(s);
      expect(done.status).toBe(201);
      const file = (await done.json()) as { handle: string; url: string; filename: string; size: number; type: string };
      expect(file).toMatchObject({ handle: s.handle, url: s.url, filename: 'film.mp4', size, type: 'video/mp4' });

      const whole = await fetch(s.url);
      expect(whole.status).toBe(200);
      expect(whole.headers.get('content-length')).toBe(String(size));
      expectBytes(await whole.arrayBuffer(), text(0, size));
      // A range across the boundary of parts 1 and 2, and the last bytes.
      for (const [from, to] of [[8 * MiB - 100, 8 * MiB + 100], [size - 10, size - 1]] as const) {
        const part = await fetch(s.url, { headers: { range: `bytes=${from}-${to}` } });
        expect(part.status).toBe(206);
        expectBytes(await part.arrayBuffer(), text(from, to + 1));
      }
      const meta = await fetch(metaOf(s.url));
      expect(await meta.json()).toMatchObject({ filename: 'film.mp4', size });
      // One object, no upload left.
      expect(await traces(s)).toEqual([expect.stringContaining('data/')]);
      // Completing again (an answer lost on the way) answers the same file.
      const again = await c.complete(s);
      expect(again.status).toBe(201);
      expect(await again.json()).toEqual(file);
      expect((await c.list(s)).status).toBe(404);
    });

    it('stores small and empty files as one part', async () => {
      for (const size of [0, 1, 16384, 40000]) {
        const s = await c.session(size);
        expect(partCountOf(s)).toBe(1);
        await uploadParts(c, s);
        const done = await c.complete(s);
        expect(done.status, String(size)).toBe(201);
        const res = await fetch(s.url);
        expectBytes(await res.arrayBuffer(), text(0, size));
      }
    });

    it('refuses bad session requests with clear codes, storing nothing', async () => {
      const before = (await t.residue()).length;
      const cases: [unknown, string, number, string][] = [
        [{ size: 10 }, '', 400, 'invalid_filename'],
        [{ filename: 'a/b', size: 10 }, '', 400, 'invalid_filename'],
        [{ filename: 'a.bin' }, '', 400, 'bad_request'],
        [{ filename: 'a.bin', size: -1 }, '', 400, 'bad_request'],
        [{ filename: 'a.bin', size: 1.5 }, '', 400, 'bad_request'],
        [{ filename: 'a.bin', size: '10' }, '', 400, 'bad_request'],
        [{ filename: 'a.bin', size: 10, type: 5 }, '', 400, 'bad_request'],
        [{ filename: 'a.bin', size: 10, ttl: 0 }, '', 400, 'invalid_ttl'],
        [{ filename: 'a.bin', size: 10, ttl: 86401 }, '', 400, 'invalid_ttl'],
        [{ filename: 'a.bin', size: 10 }, '?ttl=abc', 400, 'invalid_ttl'],
        // Over the app's limit (10 GiB by default): refused before anything is stored.
        [{ filename: 'a.bin', size: 11 * 1024 ** 3 }, '', 413, 'file_too_large'],
        [[1, 2], '', 400, 'invalid_json'],
      ];
      for (const [body, query, status, code] of cases) {
        const res = await c.create(body, query);
        expect(res.status, JSON.stringify(body)).toBe(status);
        expect(await errorCode(res), JSON.stringify(body)).toBe(code);
      }
      const notJson = await fetch(`${t.url}/v1/uploads?key=${KEY}`, { method: 'POST', body: '{"filename":"a","size":1}' });
      expect(notJson.status).toBe(415);
      const broken = await fetch(`${t.url}/v1/uploads?key=${KEY}`, { method: 'POST', headers: json, body: '{' });
      expect(await errorCode(broken)).toBe('invalid_json');
      const noKey = await fetch(`${t.url}/v1/uploads`, { method: 'POST', headers: json, body: '{"filename":"a","size":1}' });
      expect([noKey.status, await errorCode(noKey)]).toEqual([401, 'missing_key']);
      const wrongOrigin = await c.create({ filename: 'a', size: 1 }, '', { origin: 'http://evil.test' });
      expect([wrongOrigin.status, await errorCode(wrongOrigin)]).toEqual([403, 'origin_not_allowed']);
      expect((await t.residue()).length).toBe(before);
      let pending = 0;
      for await (const _ of t.store.listMultipart('')) pending++;
      const sessions = await c.session(1);
      let after = 0;
      for await (const _ of t.store.listMultipart('')) after++;
      expect(after).toBe(pending + 1);
      expect((await c.abort(sessions)).status).toBe(204);
    });

    it('applies signed policies (store, maxSize, minSize) to create', async () => {
      const key = SIGNED_APP.key;
      const headers = { 'x-ferry-key': key };
      const q = (s: { policy: string; signature: string }) => `?policy=${s.policy}&signature=${s.signature}`;
      const missing = await c.create({ filename: 'a', size: 10 }, '', headers);
      expect([missing.status, await errorCode(missing)]).toEqual([401, 'missing_policy']);
      const read = await c.create({ filename: 'a', size: 10 }, q(await signPolicy(SIGNED_APP.secret, { call: ['read'] })), headers);
      expect([read.status, await errorCode(read)]).toEqual([403, 'policy_call_denied']);
      const capped = q(await signPolicy(SIGNED_APP.secret, { call: ['store'], maxSize: 1000, minSize: 10 }));
      const big = await c.create({ filename: 'a', size: 1001 }, capped, headers);
      expect([big.status, await errorCode(big)]).toEqual([413, 'file_too_large']);
      const small = await c.create({ filename: 'a', size: 9 }, capped, headers);
      expect([small.status, await errorCode(small)]).toEqual([400, 'file_too_small']);
      const ok = await c.create({ filename: 'a', size: 1000 }, capped, headers);
      expect(ok.status).toBe(201);
      const s = (await ok.json()) as SessionJson;
      // Later calls need no policy: the token is the authority, for its own app only.
      const urls = await c.urls(s, [1], key);
      expect(urls.status).toBe(200);
      expect((await c.abort(s, key)).status).toBe(204);
    });

    it('answers the same 404 for a tampered, foreign, expired or unknown token', async () => {
      const s = await c.session(100);
      const flip = (tok: string, i: number) => tok.slice(0, i) + (tok[i] === 'A' ? 'B' : 'A') + tok.slice(i + 1);
      const variants: [string, SessionJson, string][] = [
        ['tampered start', { ...s, upload: flip(s.upload, 5) }, KEY],
        ['tampered middle', { ...s, upload: flip(s.upload, Math.floor(s.upload.length / 2)) }, KEY],
        ['truncated', { ...s, upload: s.upload.slice(0, -4) }, KEY],
        ['junk', { ...s, upload: 'not-a-token' }, KEY],
        ['another app', s, OTHER_APP.key],
      ];
      for (const [label, v, key] of variants) {
        for (const res of [await c.list(v, key), await c.urls(v, [1], key), await c.complete(v, undefined, key), await c.abort(v, key)]) {
          expect(res.status, label).toBe(404);
          expect(await errorCode(res), label).toBe('not_found');
        }
      }
      // Still intact for its own app.
      expect((await c.list(s)).status).toBe(200);
      const short = await c.create({ filename: 'a', size: 10, ttl: 1 });
      const expiring = (await short.json()) as SessionJson;
      expect((await c.list(expiring)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2100));
      const gone = await c.list(expiring);
      expect([gone.status, await errorCode(gone)]).toEqual([404, 'not_found']);
      await c.abort(s);
    });

    it('refuses part numbers the session does not have', async () => {
      const s = await c.session(9 * MiB);
      expect(partCountOf(s)).toBe(2);
      for (const parts of [[0], [3], [1.5], ['1'], [-1]]) {
        const res = await c.urls(s, parts);
        expect([res.status, await errorCode(res)], JSON.stringify(parts)).toEqual([400, 'invalid_part']);
      }
      for (const parts of [[], Array.from({ length: 101 }, () => 1), 'x']) {
        const res = await c.urls(s, parts as unknown[]);
        expect([res.status, await errorCode(res)]).toEqual([400, 'bad_request']);
      }
      const ok = await c.urls(s, [1, 2]);
      const body = (await ok.json()) as { urls: Record<string, string>; expiresAt: string };
      expect(Object.keys(body.urls)).toEqual(['1', '2']);
      const ttl = Date.parse(body.expiresAt) - Date.now();
      expect(ttl).toBeGreaterThan(10 * 60_000);
      expect(ttl).toBeLessThanOrEqual(15 * 60_000);
      await c.abort(s);
    });

    it('completes only when every part is stored: 409 names the missing ones and keeps the session', async () => {
      const s = await c.session(17 * MiB);
      expect(partCountOf(s)).toBe(3);
      await uploadParts(c, s, [2]);
      const early = await c.complete(s);
      expect(early.status).toBe(409);
      const { error } = (await early.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('upload_incomplete');
      expect(error.message).toMatch(/1, 3/);
      await uploadParts(c, s, [1, 3]);
      const done = await c.complete(s);
      expect(done.status).toBe(201);
      expectBytes(await (await fetch(s.url)).arrayBuffer(), text(0, 17 * MiB));
    });

    it('deletes an object that does not match its session (422 invalid_upload), leaving nothing', async () => {
      const size = 9 * MiB;
      const cases: [string, (n: number, part: Uint8Array<ArrayBuffer>) => void][] = [
        ['altered prefix', (n, p) => n === 1 && (p[30]! ^= 1)],
        ['altered first chunk', (n, p) => n === 1 && (p[p.length - 8 * MiB + 2000]! ^= 1)],
        ['altered final chunk', (n, p) => n === 2 && (p[p.length - 1]! ^= 1)],
      ];
      for (const [label, damage] of cases) {
        const s = await c.session(size);
        for (let n = 1; n <= partCountOf(s); n++) {
          const bytes = sessionPart(s, text, n);
          damage(n, bytes);
          const res = await c.put(s, n, bytes);
          expect(res.status, label).toBe(200);
          await res.arrayBuffer();
        }
        const res = await c.complete(s);
        expect(res.status, label).toBe(422);
        expect(await errorCode(res), label).toBe('invalid_upload');
        expect(await traces(s), label).toEqual([]);
        expect((await fetch(s.url)).status, label).toBe(404);
        expect((await c.list(s)).status, label).toBe(404);
      }
    });

    it('aborts: the parts are gone, and the session with them', async () => {
      const s = await c.session(9 * MiB);
      await uploadParts(c, s, [1]);
      expect(await traces(s)).toEqual([expect.stringContaining('pending:')]);
      const res = await c.abort(s);
      expect(res.status).toBe(204);
      expect(await traces(s)).toEqual([]);
      expect((await c.list(s)).status).toBe(404);
      expect((await c.complete(s)).status).toBe(404);
      expect((await c.abort(s)).status).toBe(204);
    });

    it('takes a part through Ferry only at its exact length, where the store cannot presign', async () => {
      const s = await c.session(9 * MiB);
      const res = await c.urls(s, [1, 2]);
      const { urls } = (await res.json()) as { urls: Record<string, string> };
      if (!urls['1']!.startsWith(t.url)) {
        // Presigned: the bucket checks the signed length and part number (uploads-presign.test.ts).
        expect(urls['1']).toMatch(/X-Amz-Signature=/);
        await c.abort(s);
        return;
      }
      const part = sessionPart(s, text, 2);
      // Refused on the declared length alone (the body is not sent: see headersOnly).
      for (const length of [part.length - 1, part.length + 1]) {
        const bad = await headersOnly(urls['2']!, { 'content-length': String(length) }, 'PUT');
        expect([bad.status, bad.code]).toEqual([400, 'invalid_part']);
      }
      // A body shorter than it says: the store refuses it and keeps nothing for the part.
      const u = new URL(urls['2']!);
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve) => {
        const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'PUT', headers: { 'content-length': part.length } }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        });
        req.on('error', () => resolve(0));
        req.write(part.subarray(0, 1000), () => setTimeout(() => req.destroy(), 200));
      });
      expect([0, 400]).toContain(status);
      const bogus = await headersOnly(urls['2']!.replace('/parts/2', '/parts/3'), { 'content-length': String(part.length) }, 'PUT');
      expect([bogus.status, bogus.code]).toEqual([400, 'invalid_part']);
      expect(await (await c.list(s)).json()).toEqual([]);
      const good = await fetch(urls['2']!, { method: 'PUT', body: part });
      expect(good.status).toBe(200);
      expect(good.headers.get('etag')).toMatch(/^"[^"]+"$/);
      expect(await (await c.list(s)).json()).toEqual([{ n: 2, size: part.length }]);
      await c.abort(s);
    });

    it('answers CORS for the app origins on every session route, exposing ETag', async () => {
      const origin = TEST_APP.origins[0]!;
      const pre = await fetch(`${t.url}/v1/uploads/x/parts/1?key=${KEY}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe(origin);
      expect(pre.headers.get('access-control-allow-methods')).toMatch(/PUT/);
      const res = await c.create({ filename: 'a', size: 1 }, '', { origin });
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('access-control-expose-headers')).toMatch(/\betag\b/);
      await c.abort((await res.json()) as SessionJson);
    });

    it('answers 405 with Allow for methods the session paths do not take', async () => {
      for (const [method, path, allow] of [
        ['GET', '/v1/uploads', 'POST'],
        ['PUT', '/v1/uploads/x', 'GET, HEAD, DELETE'],
        ['GET', '/v1/uploads/x/complete', 'POST'],
      ] as const) {
        const res = await fetch(`${t.url}${path}?key=${KEY}`, { method });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe(allow);
      }
    });
  });
}
