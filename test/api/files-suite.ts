// The HTTP contract of stored files, run against every target (Node with each store, and
// workerd). Everything goes over real HTTP on loopback.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_APP, type Target, type TargetFactory } from '../helpers/targets.js';
import { headersOnly } from '../helpers/early-answer.js';
import { DECOY_KEY } from '../../src/files.js';

const KEY = TEST_APP.key;

/** `/v1/files/<handle>/meta?key=…` from a file URL that carries its key. */
export function metaOf(fileUrl: string): string {
  const u = new URL(fileUrl);
  u.pathname += '/meta';
  return u.href;
}

export function pattern(size: number, seed = 7): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Byte equality without a deep-equal walk over megabytes; reports where the first difference is. */
export function expectBytes(actual: ArrayBuffer | Uint8Array, expected: Uint8Array) {
  const a = Buffer.from(actual instanceof Uint8Array ? actual : new Uint8Array(actual));
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(b)) return;
  let i = 0;
  while (i < Math.min(a.length, b.length) && a[i] === b[i]) i++;
  expect.fail(`bytes differ: lengths ${a.length} vs ${b.length}, first difference at ${i}`);
}

export interface FileJson {
  handle: string;
  url: string;
  inlineUrl?: string;
  filename: string;
  size: number;
  type: string;
  createdAt: string;
  expiresAt: string;
}

export async function uploadRaw(
  url: string,
  bytes: Uint8Array<ArrayBuffer>,
  query = 'filename=data.bin',
  headers: Record<string, string> = {},
  key = KEY,
) {
  return fetch(`${url}/v1/files?key=${key}&${query}`, { method: 'POST', body: bytes, headers });
}

export async function upload(url: string, bytes: Uint8Array<ArrayBuffer>, filename = 'data.bin', key = KEY): Promise<FileJson> {
  const res = await uploadRaw(url, bytes, `filename=${encodeURIComponent(filename)}`, {}, key);
  expect(res.status).toBe(201);
  return (await res.json()) as FileJson;
}

/**
 * For requests the server answers before it has read their body. workerd closes such a
 * connection right after the answer, however small the body (measured: 10 bytes, wholly
 * received), and says nothing: it drops the Worker's `Connection: close`. undici then returns
 * the socket to its pool, and the next request may be written onto the closed connection
 * (`write ECONNRESET`: a CI failure, after the declared-length 413). Saying `Connection: close`
 * makes undici retire the socket after this answer, as a client that has just been refused
 * mid-upload should; Node's own answer says it too (src/node-http/early-answer.ts).
 */
const EARLY_ANSWER = { connection: 'close' };

async function errorOf(res: Response): Promise<string> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(typeof body.error.message).toBe('string');
  return body.error.code;
}

/** Sends part of a body over raw HTTP, then drops the connection. */
function abortedUpload(url: string, path: string, headers: Record<string, string>, sent: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const u = new URL(path, url);
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers });
    req.on('error', () => resolve());
    req.write(sent, () => setTimeout(() => {
      req.destroy();
      resolve();
    }, 200));
  });
}

async function eventually(check: () => Promise<void>, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function flipByte(bytes: Uint8Array<ArrayBuffer>, at: number): Uint8Array<ArrayBuffer> {
  const copy = bytes.slice();
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

/** Bytes before a v2 object's first data chunk: header, length, sealed metadata, salt, commitment. */
function prefixSizeOf(object: Uint8Array): number {
  return 20 + new DataView(object.buffer, object.byteOffset).getUint32(16) + 56;
}

async function readAllStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function describeFilesApi(name: string, makeTarget: TargetFactory) {
  describe(`files API (${name})`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await makeTarget({ FERRY_MAX_FILE_BYTES: String(2 * 1024 * 1024) });
    });
    afterAll(async () => t?.close());

    /** Stored objects for one handle's file id (one since format v2). */
    async function objectsOf(handle: string) {
      const id = Buffer.from(handle, 'base64url').subarray(0, 16).toString('hex');
      const keys: string[] = [];
      for await (const o of t.store.list('')) if (o.key.includes(id)) keys.push(o.key);
      return keys.sort();
    }

    it('uploads raw bytes and downloads them with the documented headers', async () => {
      const bytes = pattern(100_000);
      const res = await uploadRaw(t.url, bytes, 'filename=report%20final.pdf', { 'content-type': 'application/pdf' });
      expect(res.status).toBe(201);
      const file = (await res.json()) as FileJson;
      expect(Object.keys(file).sort()).toEqual(['createdAt', 'expiresAt', 'filename', 'handle', 'inlineUrl', 'size', 'type', 'url']);
      expect(file.handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(file.url).toBe(`${t.url}/v1/files/${file.handle}?key=${KEY}`);
      // A PDF may be shown inline: the JSON carries that URL beside the download one.
      expect(file.inlineUrl).toBe(`${file.url}&inline=1`);
      expect(res.headers.get('location')).toBe(file.url);
      expect(file).toMatchObject({ filename: 'report final.pdf', size: 100_000, type: 'application/pdf' });
      const created = Date.parse(file.createdAt);
      expect(Math.abs(created - Date.now())).toBeLessThan(10_000);
      expect(Date.parse(file.expiresAt) - created).toBe(86_400_000);

      const get = await fetch(file.url);
      expect(get.status).toBe(200);
      expect(get.headers.get('content-length')).toBe('100000');
      expect(get.headers.get('content-type')).toBe('application/pdf');
      expect(get.headers.get('accept-ranges')).toBe('bytes');
      expect(get.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
      expect(get.headers.get('x-content-type-options')).toBe('nosniff');
      expect(get.headers.get('content-disposition')).toBe(
        `attachment; filename="report final.pdf"; filename*=UTF-8''report%20final.pdf`,
      );
      expect(get.headers.get('cache-control')).toMatch(/private/);
      expect(get.headers.get('content-security-policy')).toMatch(/sandbox/);
      expectBytes(await get.arrayBuffer(), bytes);
    });

    it('round-trips sizes around chunk boundaries', async () => {
      for (const size of [0, 1, 16383, 16384, 16385, 65537, 1_048_579]) {
        const bytes = pattern(size, size);
        const file = await upload(t.url, bytes);
        expect(file.size).toBe(size);
        const get = await fetch(file.url);
        expect(get.status).toBe(200);
        expect(get.headers.get('content-length')).toBe(String(size));
        expectBytes(await get.arrayBuffer(), bytes);
      }
    });

    it('accepts curl -T style PUT and answers text/plain with the URL', async () => {
      const bytes = pattern(5000);
      const res = await fetch(`${t.url}/v1/files/notes.txt?key=${KEY}`, { method: 'PUT', body: bytes, headers: { accept: 'text/plain' } });
      expect(res.status).toBe(201);
      const text = await res.text();
      expect(text).toMatch(/^http:\/\/.+\/v1\/files\/[A-Za-z0-9_-]{43}\?key=test-key\n$/);
      const get = await fetch(text.trim());
      expect(get.headers.get('content-type')).toBe('text/plain');
      expectBytes(await get.arrayBuffer(), bytes);
    });

    it('stores the file part of a multipart PUT, as Uppy XHRUpload sends it (method PUT, formData true), never the wrapper', async () => {
      const bytes = pattern(40_000, 9);
      // @uppy/xhr-upload's createFormDataUpload: every meta field (allowedMetaFields: true, so
      // relativePath, name and type) as a text field, then the file under fieldName "file".
      const form = new FormData();
      form.append('relativePath', 'null');
      form.append('name', 'holiday.jpg');
      form.append('type', 'image/jpeg');
      form.append('file', new Blob([bytes], { type: 'image/jpeg' }), 'holiday.jpg');
      const res = await fetch(`${t.url}/v1/files/upload?key=${KEY}`, { method: 'PUT', body: form });
      expect(res.status).toBe(201);
      const file = (await res.json()) as FileJson;
      expect(file).toMatchObject({ filename: 'holiday.jpg', size: 40_000, type: 'image/jpeg' });
      const get = await fetch(file.url);
      expect(get.headers.get('content-type')).toBe('image/jpeg');
      expectBytes(await get.arrayBuffer(), bytes);
      // A form PUT without a file part stores nothing and says why.
      const before = (await t.residue()).length;
      const empty = new FormData();
      empty.append('name', 'x');
      const none = await fetch(`${t.url}/v1/files/upload?key=${KEY}`, { method: 'PUT', body: empty });
      expect(none.status).toBe(400);
      expect(await errorOf(none)).toBe('missing_file');
      expect((await t.residue()).length).toBe(before);
      // Any other body is still the raw file, under the name in the path.
      const raw = await fetch(`${t.url}/v1/files/mail.eml?key=${KEY}`, { method: 'PUT', body: 'Subject: hi', headers: { 'content-type': 'message/rfc822' } });
      expect(((await raw.json()) as FileJson).filename).toBe('mail.eml');
    });

    it('shows allowlisted types inline with ?inline=1, and keeps every other type an attachment', async () => {
      const shown: [string, string][] = [
        ['p.png', 'image/png'], ['p.jpg', 'image/jpeg'], ['p.gif', 'image/gif'], ['p.webp', 'image/webp'], ['p.avif', 'image/avif'],
        ['s.mp3', 'audio/mpeg'], ['s.wav', 'audio/wav'], ['v.mp4', 'video/mp4'], ['v.webm', 'video/webm'],
        ['d.pdf', 'application/pdf'], ['n.txt', 'text/plain'],
      ];
      const kept: [string, string][] = [
        ['i.svg', 'image/svg+xml'], ['h.html', 'text/html'], ['x.xhtml', 'application/xhtml+xml'], ['j.js', 'text/javascript'],
        ['c.css', 'text/css'], ['a.json', 'application/json'], ['x.xml', 'application/xml'], ['b.bin', 'application/octet-stream'],
        ['m.md', 'text/markdown'], ['z.zip', 'application/zip'],
      ];
      const bytes = pattern(3000, 4);
      for (const [filename, type] of shown) {
        const file = (await (await uploadRaw(t.url, bytes, `filename=${filename}`, { 'content-type': type })).json()) as FileJson;
        expect(file.type).toBe(type);
        expect(file.inlineUrl, type).toBe(`${file.url}&inline=1`);
        const get = await fetch(file.inlineUrl!);
        expect(get.status, type).toBe(200);
        expect(get.headers.get('content-type')).toBe(type);
        expect(get.headers.get('content-disposition'), type).toBe(`inline; filename="${filename}"; filename*=UTF-8''${filename}`);
        expect(get.headers.get('x-content-type-options')).toBe('nosniff');
        const csp = get.headers.get('content-security-policy')!;
        expect(csp, type).toMatch(/^sandbox\b/);
        expect(csp).toMatch(/default-src 'none'/);
        expect(csp).not.toMatch(/allow-scripts|script-src/);
        expectBytes(await get.arrayBuffer(), bytes);
        // Ranges (players seek) and HEAD keep the inline headers; the plain URL still downloads.
        const part = await fetch(file.inlineUrl!, { headers: { range: 'bytes=10-19' } });
        expect(part.status).toBe(206);
        expect(part.headers.get('content-disposition')).toMatch(/^inline;/);
        expectBytes(await part.arrayBuffer(), bytes.slice(10, 20));
        const head = await fetch(file.inlineUrl!, { method: 'HEAD' });
        expect(head.headers.get('content-disposition')).toMatch(/^inline;/);
        const download = await fetch(file.url, { method: 'HEAD' });
        expect(download.headers.get('content-disposition'), type).toMatch(/^attachment;/);
        expect(download.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      }
      for (const [filename, type] of kept) {
        const file = (await (await uploadRaw(t.url, bytes, `filename=${filename}`, { 'content-type': type })).json()) as FileJson;
        expect(file.type).toBe(type);
        expect(file.inlineUrl, type).toBeUndefined();
        for (const inline of ['1', 'true']) {
          const get = await fetch(`${file.url}&inline=${inline}`);
          expect(get.status, type).toBe(200);
          expect(get.headers.get('content-disposition'), type).toMatch(/^attachment;/);
          expect(get.headers.get('content-security-policy'), type).toBe("default-src 'none'; sandbox");
          expect(get.headers.get('x-content-type-options')).toBe('nosniff');
          await get.arrayBuffer();
        }
      }
    });

    it('accepts multipart with one file, and with several', async () => {
      const a = pattern(30_000, 1);
      const b = pattern(70_000, 2);
      const one = new FormData();
      one.append('file', new Blob([a], { type: 'image/png' }), 'a.png');
      one.append('note', 'ignored field');
      const r1 = await fetch(`${t.url}/v1/files?key=${KEY}`, { method: 'POST', body: one });
      expect(r1.status).toBe(201);
      const f1 = (await r1.json()) as FileJson;
      expect(f1).toMatchObject({ filename: 'a.png', size: 30_000, type: 'image/png' });
      expectBytes(await (await fetch(f1.url)).arrayBuffer(), a);

      const two = new FormData();
      two.append('file', new Blob([a]), 'a.bin');
      two.append('file', new Blob([b]), 'résumé.pdf');
      const r2 = await fetch(`${t.url}/v1/files?key=${KEY}`, { method: 'POST', body: two });
      expect(r2.status).toBe(201);
      const { files } = (await r2.json()) as { files: FileJson[] };
      expect(files.map((f) => [f.filename, f.size, f.type])).toEqual([
        ['a.bin', 30_000, 'application/octet-stream'],
        ['résumé.pdf', 70_000, 'application/pdf'],
      ]);
      expectBytes(await (await fetch(files[1]!.url)).arrayBuffer(), b);
      const cd = (await fetch(files[1]!.url, { method: 'HEAD' })).headers.get('content-disposition');
      expect(cd).toBe(`attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`);
    });

    it('serves single ranges reading only what is needed, and refuses bad ones', async () => {
      const bytes = pattern(100_000, 3);
      const file = await upload(t.url, bytes);
      const cases: [string, number, number][] = [
        ['bytes=0-0', 0, 0],
        ['bytes=16383-16384', 16383, 16384],
        ['bytes=50000-', 50000, 99999],
        ['bytes=-10', 99990, 99999],
        ['bytes=99999-200000', 99999, 99999],
        ['bytes=20000-52767', 20000, 52767],
      ];
      for (const [range, start, end] of cases) {
        const res = await fetch(file.url, { headers: { range } });
        expect(res.status, range).toBe(206);
        expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/100000`);
        expect(res.headers.get('content-length')).toBe(String(end - start + 1));
        expectBytes(await res.arrayBuffer(), bytes.slice(start, end + 1));
      }
      for (const range of ['bytes=100000-', 'bytes=100000-,200000-', 'bytes=5-2', 'bytes=-0', 'bytes=abc', 'bytes=0-1,abc']) {
        const res = await fetch(file.url, { headers: { range } });
        expect(res.status, range).toBe(416);
        expect(res.headers.get('content-range')).toBe('bytes */100000');
        expect(await errorOf(res)).toBe('range_not_satisfiable');
      }
      // Several ranges, any of them satisfiable: the whole file (download managers and players ask so).
      for (const range of ['bytes=0-1,5-6', 'bytes=0-0, -1', 'bytes=100000-,10-20']) {
        const res = await fetch(file.url, { headers: { range } });
        expect(res.status, range).toBe(200);
        expect(res.headers.get('content-range'), range).toBeNull();
        expect(res.headers.get('content-length'), range).toBe('100000');
        expectBytes(await res.arrayBuffer(), bytes);
      }
      const multiHead = await fetch(file.url, { method: 'HEAD', headers: { range: 'bytes=0-1,5-6' } });
      expect(multiHead.status).toBe(200);
      expect(multiHead.headers.get('content-length')).toBe('100000');
      // A unit we do not know is ignored, as RFC 9110 allows.
      const other = await fetch(file.url, { headers: { range: 'items=0-1' } });
      expect(other.status).toBe(200);
      await other.arrayBuffer();
      // If-Range with a stale validator gets the whole file.
      const stale = await fetch(file.url, { headers: { range: 'bytes=0-9', 'if-range': '"other"' } });
      expect(stale.status).toBe(200);
      expect((await stale.arrayBuffer()).byteLength).toBe(100_000);
      const etag = stale.headers.get('etag')!;
      const notModified = await fetch(file.url, { headers: { 'if-none-match': etag } });
      expect(notModified.status).toBe(304);
    });

    it('answers HEAD with headers and no body, and meta with the file JSON', async () => {
      const file = await upload(t.url, pattern(4321), 'photo.jpg');
      const head = await fetch(file.url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe('4321');
      expect(head.headers.get('content-type')).toBe('image/jpeg');
      expect((await head.arrayBuffer()).byteLength).toBe(0);
      const ranged = await fetch(file.url, { method: 'HEAD', headers: { range: 'bytes=1-2' } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get('content-length')).toBe('2');

      const meta = await fetch(metaOf(file.url));
      expect(meta.status).toBe(200);
      expect(await meta.json()).toEqual(file);
    });

    it('answers the same 404 for unknown, malformed and wrong-secret handles', async () => {
      const file = await upload(t.url, pattern(10));
      const raw = Buffer.from(file.handle, 'base64url');
      const wrongSecret = Buffer.concat([raw.subarray(0, 16), Buffer.alloc(16, 7)]).toString('base64url');
      const unknown = Buffer.alloc(32, 9).toString('base64url');
      const bodies = new Set<string>();
      for (const h of [wrongSecret, unknown, 'short', file.handle + 'A', file.handle.slice(0, 42) + '!', '%00']) {
        for (const path of [`/v1/files/${h}?key=${KEY}`, `/v1/files/${h}/meta?key=${KEY}`]) {
          const res = await fetch(`${t.url}${path}`);
          expect(res.status, path).toBe(404);
          bodies.add(await res.text());
        }
        const del = await fetch(`${t.url}/v1/files/${h}?key=${KEY}`, { method: 'DELETE' });
        expect(del.status).toBe(404);
        bodies.add(await del.text());
      }
      expect(bodies.size).toBe(1);
      expect(JSON.parse([...bodies][0]!).error.code).toBe('not_found');
      // The wrong-secret DELETE removed nothing.
      expect((await fetch(file.url)).status).toBe(200);
    });

    it('keeps answering 404 when the decoy is damaged, and writes it again', async () => {
      const unknown = `/v1/files/${Buffer.alloc(32, 11).toString('base64url')}?key=${KEY}`;
      const bytesOf = async () => {
        const got = await t.store.get(DECOY_KEY);
        return got ? new Uint8Array(await new Response(got.body).arrayBuffer()) : null;
      };
      // A lookup has answered: the decoy is in place (written within the request, never left
      // running after it, where a Worker would cancel it).
      await t.store.delete(DECOY_KEY);
      expect((await fetch(`${t.url}${unknown}`)).status).toBe(404);
      const good = await bytesOf();
      expect(good?.byteLength).toBeGreaterThan(64);
      await t.store.delete(DECOY_KEY);
      const hit = await upload(t.url, pattern(10));
      expect((await fetch(hit.url)).status).toBe(200);
      expect((await bytesOf())?.byteLength).toBe(good!.byteLength);

      const expiresAt = new Date(Date.now() + 12 * 3600_000);
      for (const damaged of [good!.subarray(0, good!.byteLength >> 1), new Uint8Array(good!.byteLength).fill(0x5a), new Uint8Array(0)]) {
        await t.store.put(DECOY_KEY, new Response(damaged.slice()).body!, { expiresAt, metadata: { kid: 'test', format: '2' } });
        for (const path of [unknown, unknown.replace('?', '/meta?')]) {
          const res = await fetch(`${t.url}${path}`);
          expect(res.status, `${damaged.byteLength} bytes: ${path}`).toBe(404);
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
        }
        const again = await bytesOf();
        expect(again?.byteLength).toBe(good!.byteLength);
        expect(Buffer.from(again!).equals(Buffer.from(damaged))).toBe(false);
      }
    });

    it('deletes on request: 204, then 404, and the objects are gone', async () => {
      const file = await upload(t.url, pattern(40_000));
      expect(await objectsOf(file.handle)).toHaveLength(1);
      const del = await fetch(file.url, { method: 'DELETE' });
      expect(del.status).toBe(204);
      expect((await fetch(file.url)).status).toBe(404);
      expect((await fetch(metaOf(file.url))).status).toBe(404);
      expect((await fetch(file.url, { method: 'DELETE' })).status).toBe(404);
      expect(await objectsOf(file.handle)).toEqual([]);
    });

    it('honours ?ttl, refuses bad values, and answers 410 then deletes after expiry', async () => {
      for (const ttl of ['abc', '0', '-5', '1.5', '86401', '', '1e3']) {
        const res = await uploadRaw(t.url, pattern(10), `filename=a&ttl=${ttl}`, EARLY_ANSWER);
        expect(res.status, ttl).toBe(400);
        expect(await errorOf(res)).toBe('invalid_ttl');
      }
      const short = (await (await uploadRaw(t.url, pattern(10), 'filename=a&ttl=60')).json()) as FileJson;
      expect(Date.parse(short.expiresAt) - Date.parse(short.createdAt)).toBe(60_000);

      const res = await uploadRaw(t.url, pattern(1000), 'filename=soon.txt&ttl=1');
      const file = (await res.json()) as FileJson;
      // Expiry is to the second from a createdAt truncated to the second: at most 1 s away.
      await new Promise((r) => setTimeout(r, 1100 + Date.parse(file.expiresAt) - Date.now()));
      const expired = await fetch(file.url);
      expect(expired.status).toBe(410);
      expect(await errorOf(expired)).toBe('file_expired');
      expect((await fetch(file.url)).status).toBe(404);
      expect(await objectsOf(file.handle)).toEqual([]);
    });

    it('refuses files over the limit with 413 and stores nothing, with or without a length', async () => {
      const before = (await t.residue()).sort();
      const big = pattern(2 * 1024 * 1024 + 1);
      // A declared length over the limit is refused on the headers alone: no byte of the body is
      // sent before the answer arrives. (Sending it too races the server's close: workerd resets
      // the connection after an early answer, and a reset can discard an answer not yet read.)
      const declared = await headersOnly(`${t.url}/v1/files?key=${KEY}&filename=data.bin`, { 'content-length': String(big.length) });
      expect(declared.status).toBe(413);
      expect(declared.type).toMatch(/^application\/json/);
      expect(declared.code).toBe('file_too_large');

      // No Content-Length: the size only shows mid-stream.
      const chunked = await fetch(`${t.url}/v1/files?key=${KEY}&filename=big.bin`, {
        method: 'POST',
        body: new Blob([big]).stream(),
        duplex: 'half',
        headers: EARLY_ANSWER,
      } as RequestInit);
      expect(chunked.status).toBe(413);
      expect(await errorOf(chunked)).toBe('file_too_large');

      const form = new FormData();
      form.append('file', new Blob([pattern(1000)]), 'small.bin');
      form.append('file', new Blob([big]), 'big.bin');
      const multi = await fetch(`${t.url}/v1/files?key=${KEY}`, { method: 'POST', body: form, headers: EARLY_ANSWER });
      expect(multi.status).toBe(413);
      expect(await errorOf(multi)).toBe('file_too_large');
      await eventually(async () => expect((await t.residue()).sort()).toEqual(before));
    });

    it('leaves nothing behind when the client aborts mid-upload', async () => {
      const before = (await t.residue()).sort();
      await abortedUpload(t.url, `/v1/files?key=${KEY}&filename=part.bin`, { 'content-length': '1500000' }, pattern(600_000));
      const boundary = 'x-boundary';
      const head = new TextEncoder().encode(
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="p.bin"\r\n\r\n`,
      );
      await abortedUpload(
        t.url,
        `/v1/files?key=${KEY}`,
        { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
        new Uint8Array([...head, ...pattern(500_000)]),
      );
      await eventually(async () => expect((await t.residue()).sort()).toEqual(before));
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    });

    it('stores nothing personal in plain form', async () => {
      const name = 'Quarterly-Secret-Plan-Zebra.xlsx';
      const file = await upload(t.url, new TextEncoder().encode('Zebra '.repeat(5000)), name);
      const needles = ['Quarterly-Secret-Plan-Zebra', 'spreadsheetml', 'Zebra Zebra', file.handle, file.handle.slice(22)];
      for (const key of await objectsOf(file.handle)) {
        for (const n of needles) expect(key).not.toContain(n);
        const obj = (await t.store.get(key))!;
        const bytes = Buffer.from(await readAllStream(obj.body));
        for (const n of needles) expect(bytes.includes(n), `${key} contains ${n}`).toBe(false);
        const plain = JSON.stringify(obj.metadata);
        for (const n of needles) expect(plain).not.toContain(n);
        expect(Object.keys(obj.metadata).sort()).toEqual(['format', 'kid']);
        expect(Math.abs(obj.expiresAt.getTime() - Date.parse(file.expiresAt))).toBeLessThan(1000);
      }
    });

    it('refuses a damaged header or data commitment before sending any byte; damaged metadata is a 404', async () => {
      const bytes = pattern(50_000, 9);
      const probe = await upload(t.url, bytes);
      const prefix = prefixSizeOf(await readAllStream((await t.store.get((await objectsOf(probe.handle))[0]!))!.body));
      // The header's magic needs no secret to check; the data's salt and commitment are checked once
      // the metadata has proved the handle: both are damage. The metadata's own salt and
      // commitment cannot tell damage from a wrong secret, so they answer like one.
      for (const [at, status, code] of [
        [2, 500, 'corrupt_object'],
        [8, 404, 'not_found'], // a kid no key answers to: like a destroyed key
        [prefix - 50, 500, 'corrupt_object'],
        [prefix - 10, 500, 'corrupt_object'],
        [30, 404, 'not_found'],
        [100, 404, 'not_found'],
      ] as const) {
        const file = await upload(t.url, bytes);
        const [dataKey] = await objectsOf(file.handle);
        const obj = (await t.store.get(dataKey!))!;
        const damaged = flipByte(await readAllStream(obj.body), at);
        await t.store.put(dataKey!, new Blob([damaged]).stream(), { expiresAt: obj.expiresAt, metadata: obj.metadata });
        for (const init of [{}, { headers: { range: 'bytes=100-200' } }, { method: 'HEAD' }]) {
          const res = await fetch(file.url, init);
          expect(res.status, `byte ${at} ${JSON.stringify(init)}`).toBe(status);
          if (init.method !== 'HEAD') expect(await errorOf(res)).toBe(code);
        }
      }
    });

    it('refuses an object cut inside its prefix before sending any byte, and never serves a cut or extended one as a clean file', async () => {
      const bytes = pattern(50_000, 10);
      for (const cut of [10, 60, -50_000, -10, +5]) {
        const file = await upload(t.url, bytes);
        const [dataKey] = await objectsOf(file.handle);
        const obj = (await t.store.get(dataKey!))!;
        const whole = await readAllStream(obj.body);
        const changed = cut > 0 && cut < 100 && cut !== 5 ? whole.slice(0, cut) : cut < 0 ? whole.slice(0, whole.length + cut) : new Uint8Array([...whole, 1, 2, 3, 4, 5]);
        await t.store.put(dataKey!, new Blob([changed]).stream(), { expiresAt: obj.expiresAt, metadata: obj.metadata });
        const res = await fetch(file.url);
        if (cut === 10 || cut === 60 || cut === -50_000) {
          expect(res.status, `cut ${cut}`).toBe(500);
          expect(await errorOf(res)).toBe('corrupt_object');
          continue;
        }
        // The length no longer ends in an authentic final chunk: either refused outright, or the
        // transfer breaks before its end; never a clean response of other bytes.
        if (res.status === 500) {
          expect(await errorOf(res)).toBe('corrupt_object');
          continue;
        }
        expect(res.status, `cut ${cut}`).toBe(200);
        const body = await readAllStream(res.body!).then(
          (b) => ({ ok: true as const, b }),
          () => ({ ok: false as const }),
        );
        expect(body.ok, `cut ${cut} served cleanly`).toBe(false);
      }
    });

    it('aborts the response when a later chunk is damaged, releasing no byte of it', async () => {
      const bytes = pattern(300_000, 11);
      const file = await upload(t.url, bytes);
      const [dataKey] = (await objectsOf(file.handle)).filter((k) => k.includes('data/'));
      const obj = (await t.store.get(dataKey!))!;
      const chunk = 16384 + 16;
      // Damage chunk 10 (plaintext bytes 163840…180223).
      const stored = await readAllStream(obj.body);
      const damaged = flipByte(stored, prefixSizeOf(stored) + 10 * chunk + 100);
      await t.store.put(dataKey!, new Blob([damaged]).stream(), { expiresAt: obj.expiresAt, metadata: obj.metadata });
      const res = await fetch(file.url);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const received: Uint8Array[] = [];
      let failed = false;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          received.push(value);
        }
      } catch {
        failed = true;
      }
      expect(failed).toBe(true);
      const got = Buffer.concat(received);
      expect(got.length).toBeLessThanOrEqual(10 * 16384);
      expect(got.equals(Buffer.from(bytes.subarray(0, got.length)))).toBe(true);
      // A range that avoids the damaged chunk still works.
      const ok = await fetch(file.url, { headers: { range: 'bytes=0-99' } });
      expectBytes(await ok.arrayBuffer(), bytes.slice(0, 100));
    });

    it('answers bad requests with JSON errors from the table', async () => {
      const cases: [string, RequestInit, number, string][] = [
        ['/v1/nothing', {}, 404, 'not_found'],
        ['/v1/files?key=test-key', { method: 'GET' }, 405, 'method_not_allowed'],
        ['/v1/files/abc/meta?key=test-key', { method: 'POST' }, 405, 'method_not_allowed'],
        ['/v1/files?key=test-key&filename=a%2F..%2Fb', { method: 'POST', body: 'x' }, 400, 'invalid_filename'],
        ['/v1/files?key=test-key&filename=a%0d%0aSet-Cookie:x', { method: 'POST', body: 'x' }, 400, 'invalid_filename'],
        ['/v1/files?key=test-key&filename=evil%E2%80%AEgpj.exe', { method: 'POST', body: 'x' }, 400, 'invalid_filename'],
        [`/v1/files?key=test-key&filename=${'é'.repeat(200)}`, { method: 'POST', body: 'x' }, 400, 'invalid_filename'],
        ['/v1/files?key=test-key', { method: 'POST', body: 'x', headers: { 'content-type': 'multipart/form-data' } }, 400, 'invalid_multipart'],
        [
          '/v1/files?key=test-key',
          { method: 'POST', body: '--b\r\ncontent-disposition: form-data; name="f"\r\n\r\nv\r\n--b--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=b' } },
          400,
          'missing_file',
        ],
        [
          '/v1/files?key=test-key',
          { method: 'POST', body: '--b\r\ncontent-disposition: form-data; name="file"; filename="a"\r\n\r\ntrunc', headers: { 'content-type': 'multipart/form-data; boundary=b' } },
          400,
          'invalid_multipart',
        ],
        ['/v1/files?key=test-key', { method: 'POST', body: 'x', headers: { 'content-type': 'multipart/mixed; boundary=b' } }, 415, 'unsupported_media_type'],
      ];
      const before = (await t.residue()).sort();
      for (const [path, init, status, code] of cases) {
        const res = await fetch(`${t.url}${path}`, init);
        expect(res.status, path).toBe(status);
        expect(await errorOf(res), path).toBe(code);
      }
      await eventually(async () => expect((await t.residue()).sort()).toEqual(before));
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    });
  });
}
