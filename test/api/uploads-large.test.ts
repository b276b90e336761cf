// A file larger than Cloudflare's 100 MB request-body cap (Free and Pro plans) goes through a
// Worker in real workerd by an upload session: the Worker answers JSON only, the parts go from
// the client straight to the bucket through presigned URLs, and the file reads back byte-exact
// through the Worker. (The same size as a streaming upload is still refused with the plan's 413:
// test/edge/worker.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerdS3, type Target } from '../helpers/targets.js';
import { partCountOf, patternText } from '../helpers/session-parts.js';
import { expectBytes } from './files-suite.js';
import { sessionClient, uploadParts } from './uploads-suite.js';

const SIZE = 105 * 1024 * 1024; // 110,100,480 bytes: over the Free plan's 100,000,000

describe('a file over the plan cap through a Worker (workerd+s3, Free plan)', () => {
  let t: Target;
  beforeAll(async () => {
    t = await workerdS3({ FERRY_CF_PLAN: 'free' });
  });
  afterAll(async () => t?.close());

  it('stores it through a session and reads it back byte-exact', { timeout: 180_000 }, async () => {
    const text = patternText(11);
    const c = sessionClient(t, text);
    const s = await c.session(SIZE, 'big.bin');
    expect(partCountOf(s)).toBe(14);
    const urls = (await (await c.urls(s, [1])).json()) as { urls: Record<string, string> };
    expect(urls.urls['1']!.startsWith(t.url)).toBe(false); // straight to the bucket
    await uploadParts(c, s);
    const done = await c.complete(s);
    expect(done.status).toBe(201);
    expect(await done.json()).toMatchObject({ size: SIZE, filename: 'big.bin' });

    const whole = await fetch(s.url);
    expect(whole.headers.get('content-length')).toBe(String(SIZE));
    expectBytes(await whole.arrayBuffer(), text(0, SIZE));
    const tail = await fetch(s.url, { headers: { range: `bytes=${SIZE - 100_000}-` } });
    expect(tail.status).toBe(206);
    expectBytes(await tail.arrayBuffer(), text(SIZE - 100_000, SIZE));
  });
});
