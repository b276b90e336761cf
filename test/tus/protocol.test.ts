// tus 1.0.0 at /v1/tus, spoken by hand against every target (Node with the filesystem and with
// S3, workerd with S3): the statuses and headers of core, creation, creation-with-upload,
// termination and expiration, the offset that only moves over stored whole chunks, and what is
// (and is not) left in the store.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_APP, targets, type Target } from '../helpers/targets.js';

const MiB = 1024 * 1024;
const KEY = TEST_APP.key;
const b64 = (s: string) => Buffer.from(s).toString('base64');

for (const [name, make] of targets) {
  describe(`tus on ${name}`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await make();
    });
    afterAll(async () => {
      await t?.close();
    });

    const create = (length: number, extra: Record<string, string> = {}, body?: Uint8Array<ArrayBuffer>) =>
      fetch(`${t.url}/v1/tus?key=${KEY}`, {
        method: 'POST',
        headers: { 'tus-resumable': '1.0.0', 'upload-length': String(length), ...extra },
        body,
      });
    const patch = (location: string, offset: number, body: Uint8Array<ArrayBuffer>, extra: Record<string, string> = {}) =>
      fetch(location, {
        method: 'PATCH',
        headers: { 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream', ...extra },
        body,
      });
    // For PATCHes answered before their body is read: workerd closes such a connection without
    // saying so, and undici would reuse it for the next request (see test/api/files-suite.ts).
    const EARLY = { connection: 'close' };
    const head = (location: string) => fetch(location, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
    const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

    it('answers OPTIONS with its version, extensions and the app limit', async () => {
      const res = await fetch(`${t.url}/v1/tus?key=${KEY}`, { method: 'OPTIONS' });
      expect(res.status).toBe(204);
      expect(res.headers.get('tus-version')).toBe('1.0.0');
      expect(res.headers.get('tus-extension')).toBe('creation,creation-with-upload,termination,expiration');
      expect(Number(res.headers.get('tus-max-size'))).toBeGreaterThan(0);
    });

    it('stores a file sent in three PATCHes, the offset moving only over stored chunks', async () => {
      const data = new Uint8Array(randomBytes(12 * MiB + 12345));
      const res = await create(data.length, { 'upload-metadata': `filename ${b64('résumé.pdf')},filetype ${b64('application/pdf')}` });
      expect(res.status).toBe(201);
      expect(res.headers.get('tus-resumable')).toBe('1.0.0');
      expect(res.headers.get('upload-expires')).toMatch(/GMT$/);
      const location = new URL(res.headers.get('location')!, t.url).href;
      expect((await head(location)).headers.get('upload-offset')).toBe('0');

      // Not a whole number of chunks: the 1000 bytes past the last whole chunk are not kept.
      let r = await patch(location, 0, data.subarray(0, 3 * MiB + 1000));
      expect(r.status).toBe(204);
      expect(r.headers.get('upload-offset')).toBe(String(3 * MiB));
      let h = await head(location);
      expect(h.status).toBe(200);
      expect(h.headers.get('upload-offset')).toBe(String(3 * MiB));
      expect(h.headers.get('upload-length')).toBe(String(data.length));
      expect(h.headers.get('cache-control')).toBe('no-store');

      // A wrong offset is 409 and says where the upload stands.
      r = await patch(location, 0, data.subarray(0, 20000), EARLY);
      expect(r.status).toBe(409);
      expect(r.headers.get('upload-offset')).toBe(String(3 * MiB));
      expect(await errorCode(r)).toBe('tus_offset_mismatch');

      r = await patch(location, 3 * MiB, data.subarray(3 * MiB, 9 * MiB));
      expect(r.headers.get('upload-offset')).toBe(String(9 * MiB));
      expect(r.headers.get('ferry-file-url')).toBeNull();
      h = await head(location);
      expect(h.headers.get('upload-offset')).toBe(String(9 * MiB));

      r = await patch(location, 9 * MiB, data.subarray(9 * MiB));
      expect(r.status).toBe(204);
      expect(r.headers.get('upload-offset')).toBe(String(data.length));
      const url = r.headers.get('ferry-file-url')!;
      expect(url).toContain('/v1/files/');
      const got = await fetch(url);
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
      const meta = (await (await fetch(url.replace('?', '/meta?'))).json()) as { filename: string; type: string; size: number };
      expect(meta).toMatchObject({ filename: 'résumé.pdf', type: 'application/pdf', size: data.length });
      // HEAD after completion still answers, with the file's URL.
      h = await head(location);
      expect(h.headers.get('upload-offset')).toBe(String(data.length));
      expect(h.headers.get('ferry-file-url')).toBe(url);
      // Only the file's one object is left: no parts, no tail.
      expect((await t.residue()).filter((k) => !k.includes('/data/'))).toEqual([]);
    });

    it('takes the whole body at creation (creation-with-upload) and stores an empty file at once', async () => {
      const data = new Uint8Array(randomBytes(MiB + 7));
      const res = await create(data.length, { 'content-type': 'application/offset+octet-stream' }, data);
      expect(res.status).toBe(201);
      expect(res.headers.get('upload-offset')).toBe(String(data.length));
      const got = await fetch(res.headers.get('ferry-file-url')!);
      expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);

      // A first body too short for a whole chunk still creates the upload, at offset 0.
      const short = await create(100_000, { 'content-type': 'application/offset+octet-stream' }, new Uint8Array(100));
      expect(short.status).toBe(201);
      expect(short.headers.get('upload-offset')).toBe('0');
      // A creation whose body fails leaves nothing behind.
      const pending = async () => {
        const keys: string[] = [];
        for await (const u of t.store.listMultipart('')) keys.push(u.key);
        return keys.sort();
      };
      const before = { objects: await t.residue(), uploads: await pending() };
      const long = await create(10, { 'content-type': 'application/offset+octet-stream' }, new Uint8Array(20));
      expect(long.status).toBe(413);
      expect({ objects: await t.residue(), uploads: await pending() }).toEqual(before);

      const empty = await create(0);
      expect(empty.status).toBe(201);
      const e = await fetch(empty.headers.get('ferry-file-url')!);
      expect(e.status).toBe(200);
      expect((await e.arrayBuffer()).byteLength).toBe(0);
      expect((await head(new URL(empty.headers.get('location')!, t.url).href)).headers.get('upload-offset')).toBe('0');
    });

    it('refuses what tus says to refuse, storing nothing', async () => {
      const before = await t.residue();
      let r = await create(10, { 'tus-resumable': '0.2.2' });
      expect(r.status).toBe(412);
      expect(r.headers.get('tus-version')).toBe('1.0.0');
      expect(await errorCode(r)).toBe('tus_version_unsupported');
      const max = Number((await fetch(`${t.url}/v1/tus?key=${KEY}`, { method: 'OPTIONS' })).headers.get('tus-max-size'));
      r = await create(max + 1);
      expect(r.status).toBe(413);
      expect(await errorCode(r)).toBe('file_too_large');
      r = await create(10, { 'upload-metadata': 'filename ###' });
      expect(r.status).toBe(400);
      expect(await errorCode(r)).toBe('tus_invalid_header');
      r = await fetch(`${t.url}/v1/tus?key=${KEY}`, { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-defer-length': '1' } });
      expect(r.status).toBe(400);
      expect(await t.residue()).toEqual(before);

      const created = await create(100_000);
      const location = new URL(created.headers.get('location')!, t.url).href;
      r = await patch(location, 0, new Uint8Array(20000), { 'content-type': 'application/octet-stream', ...EARLY });
      expect(r.status).toBe(415);
      r = await patch(location, 0, new Uint8Array(100_001), EARLY);
      expect(r.status).toBe(413);
      expect(await errorCode(r)).toBe('upload_past_length');
      r = await patch(location, 0, new Uint8Array(100));
      expect(r.status).toBe(400);
      expect(await errorCode(r)).toBe('tus_chunk_too_small');
      r = await head(location.replace(/tus\/[^?]+/, 'tus/AAAA'));
      expect(r.status).toBe(404);
      r = await fetch(location.replace(`key=${KEY}`, 'key=other-key'), { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
      expect(r.status).toBe(404);
    });

    it('follows X-HTTP-Method-Override and terminates: the parts and the tail are gone', async () => {
      const before: string[] = [];
      for await (const u of t.store.listMultipart('')) before.push(u.key);
      const data = new Uint8Array(randomBytes(6 * MiB));
      const created = await create(data.length + 1);
      const location = new URL(created.headers.get('location')!, t.url).href;
      const r = await fetch(location, {
        method: 'POST',
        headers: { 'x-http-method-override': 'PATCH', 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        body: data,
      });
      expect(r.status).toBe(204);
      expect(r.headers.get('upload-offset')).toBe(String(data.length));
      expect((await t.residue()).some((k) => k.includes('/tus/'))).toBe(true);
      const d = await fetch(location, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0' } });
      expect(d.status).toBe(204);
      expect((await head(location)).status).toBe(404);
      expect((await t.residue()).some((k) => k.includes('/tus/'))).toBe(false);
      const pending: string[] = [];
      for await (const u of t.store.listMultipart('')) pending.push(u.key);
      expect(pending.length).toBe(before.length);
    });

    it('answers 400 naming /v1/tus to a tus request sent elsewhere, storing nothing', async () => {
      const before = await t.residue();
      for (const [method, path] of [
        ['POST', '/v1/files'],
        ['PATCH', '/v1/files/x'],
        ['PUT', '/v1/files/x.bin'],
      ] as const) {
        const r = await fetch(`${t.url}${path}?key=${KEY}`, {
          method,
          headers: { 'tus-resumable': '1.0.0', 'upload-length': '5' },
          body: 'hello',
        });
        expect(r.status, `${method} ${path}`).toBe(400);
        const body = (await r.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('tus_wrong_endpoint');
        expect(body.error.message).toContain('/v1/tus');
      }
      expect(await t.residue()).toEqual(before);
    });

    it('lets an allowed origin preflight and read the tus headers', async () => {
      const pre = await fetch(`${t.url}/v1/tus?key=${KEY}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://app.test',
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'tus-resumable,upload-length,upload-metadata,upload-offset,content-type',
        },
      });
      expect(pre.status).toBe(204);
      const allowed = pre.headers.get('access-control-allow-headers')!;
      for (const h of ['tus-resumable', 'upload-length', 'upload-metadata', 'upload-offset', 'content-type']) expect(allowed).toContain(h);
      expect(pre.headers.get('access-control-allow-methods')).toContain('PATCH');
      const res = await create(0, { origin: 'http://app.test' });
      const exposed = res.headers.get('access-control-expose-headers')!;
      for (const h of ['location', 'upload-offset', 'tus-resumable', 'upload-expires', 'ferry-file-url']) expect(exposed).toContain(h);
    });
  });
}
