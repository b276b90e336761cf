// Presigned part URLs allow exactly one UploadPart: this part number, of this upload, of exactly
// this length, for minutes. s3rver checks no signatures (NOTES.md), so the proof is the
// signature itself: an independent SigV4 check (node:crypto and the AWS text, not the SDK)
// accepts the request the URL was made for and rejects it with another part number, upload,
// length, key or method. Real S3 and R2 answer such a request 403 SignatureDoesNotMatch.
import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeS3, type Target } from '../helpers/targets.js';
import { partCountOf, type SessionJson } from '../helpers/session-parts.js';
import { sessionClient } from './uploads-suite.js';

const SECRET = 'S3RVER';

interface SignedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
}

/** The SigV4 query signature S3 would compute for this request (docs.aws.amazon.com, "sigv4-query-string-auth"). */
function expectedSignature(req: SignedRequest): string {
  const q = req.url.searchParams;
  const signed = q.get('X-Amz-SignedHeaders')!.split(';');
  const pairs = req.url.search
    .slice(1)
    .split('&')
    .map((kv) => kv.split('=') as [string, string])
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [encodeRfc3986(decodeURIComponent(k)), encodeRfc3986(decodeURIComponent(v ?? ''))] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  const headers: Record<string, string> = { ...lower(req.headers), host: req.url.host };
  const canonical = [
    req.method,
    req.url.pathname,
    pairs.map(([k, v]) => `${k}=${v}`).join('&'),
    signed.map((h) => `${h}:${String(headers[h] ?? '').trim()}\n`).join(''),
    signed.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const [, date, region, service] = /^[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/.exec(q.get('X-Amz-Credential')!)!;
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', q.get('X-Amz-Date'), scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${SECRET}`).update(date!).digest();
  for (const part of [region!, service!, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

const encodeRfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

function accepts(req: SignedRequest): boolean {
  return expectedSignature(req) === req.url.searchParams.get('X-Amz-Signature');
}

describe('presigned part URLs (node+s3)', () => {
  let t: Target;
  beforeAll(async () => {
    t = await nodeS3();
  });
  afterAll(async () => t?.close());

  it('sign exactly one UploadPart: part number, upload, length and key, for 15 minutes', async () => {
    const c = sessionClient(t);
    const s: SessionJson = await c.session(20 * 1024 * 1024);
    expect(partCountOf(s)).toBe(3);
    const res = await c.urls(s, [1, 3]);
    const { urls } = (await res.json()) as { urls: Record<string, string> };
    let uploadId = '';
    for await (const u of t.store.listMultipart('')) uploadId = u.uploadId;

    const lengths = { 1: s.partSize, 3: s.objectSize - 2 * s.partSize };
    for (const n of [1, 3] as const) {
      const url = new URL(urls[n]!);
      const q = url.searchParams;
      expect(q.get('partNumber')).toBe(String(n));
      expect(q.get('uploadId')).toBe(uploadId);
      expect(q.get('X-Amz-Expires')).toBe('900');
      expect(q.get('X-Amz-SignedHeaders')).toBe('content-length;host');
      const right: SignedRequest = { method: 'PUT', url, headers: { 'content-length': String(lengths[n]) } };
      expect(accepts(right), `part ${n} as signed`).toBe(true);

      // Changes one parameter, keeping the SDK's own encoding of the others.
      const changed = (param: string, value: string) => {
        return new URL(url.href.replace(`${param}=${encodeURIComponent(q.get(param)!)}`, `${param}=${encodeURIComponent(value)}`));
      };
      expect(accepts({ ...right, url: changed('partNumber', String(n + 1)) }), 'another part number').toBe(false);
      expect(accepts({ ...right, url: changed('uploadId', uploadId + 'x') }), 'another upload').toBe(false);
      expect(accepts({ ...right, url: changed('X-Amz-Expires', '604800') }), 'a longer life').toBe(false);
      expect(accepts({ ...right, headers: { 'content-length': String(lengths[n] + 1) } }), 'one byte more').toBe(false);
      expect(accepts({ ...right, headers: { 'content-length': String(lengths[n] - 1) } }), 'one byte less').toBe(false);
      expect(accepts({ ...right, method: 'GET' }), 'a read').toBe(false);
      const otherKey = new URL(url);
      otherKey.pathname = url.pathname.replace(/[0-9a-f]{32}$/, '0'.repeat(32));
      expect(accepts({ ...right, url: otherKey }), 'another object').toBe(false);
    }
    expect((await c.abort(s)).status).toBe(204);
  });
});
