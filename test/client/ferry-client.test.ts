// ferry/client against the real Ferry, on the embedded store (part URLs are Ferry's own) and on
// S3 through s3rver (presigned part URLs, the path real buckets take): the file downloads
// byte-exact, with Range; a failed run resumes without re-sending stored parts; cancel aborts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryResumeStore, upload } from '../../src/client/index.js';
import { startFerry } from '../../src/node.js';
import { newBucket, nodeFs, nodeS3, s3Vars, TEST_APP, TEST_APPS, testKey, type Target } from '../helpers/targets.js';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';
import { bytesOf } from './session-fixture.js';

const MiB = 1024 * 1024;

for (const [name, factory] of [['node+fs', nodeFs], ['node+s3', nodeS3]] as const) {
  describe(`ferry/client on ${name}`, () => {
    let t: Target;
    beforeAll(async () => {
      t = await factory();
    });
    afterAll(async () => {
      await t.close();
    });

    it('uploads a Blob and a stream of known size; both download byte-exact, Range too', async () => {
      const plaintext = bytesOf(17 * MiB + 12345, 4);
      const progress: number[] = [];
      const a = await upload({ endpoint: t.url, key: TEST_APP.key, file: new Blob([plaintext], { type: 'video/mp4' }), filename: 'a.mp4', onProgress: (l) => progress.push(l) });
      expect(a).toMatchObject({ filename: 'a.mp4', size: plaintext.length, type: 'video/mp4' });
      expect(progress.at(-1)).toBe(plaintext.length);
      const b = await upload({ endpoint: t.url, key: TEST_APP.key, file: { stream: new Blob([plaintext]).stream() as ReadableStream<Uint8Array>, size: plaintext.length }, filename: 'b.bin' });
      for (const f of [a, b]) {
        const whole = await fetch(f.url);
        expect(whole.status).toBe(200);
        expect(Buffer.compare(Buffer.from(await whole.arrayBuffer()), plaintext)).toBe(0);
        const from = 8 * MiB - 100;
        const range = await fetch(f.url, { headers: { range: `bytes=${from}-${from + 999}` } });
        expect(range.status).toBe(206);
        expect(Buffer.compare(Buffer.from(await range.arrayBuffer()), plaintext.subarray(from, from + 1000))).toBe(0);
      }
    });

    it('an empty file and a one-part file', async () => {
      for (const size of [0, 1000]) {
        const plaintext = bytesOf(size, 6);
        const f = await upload({ endpoint: t.url, key: TEST_APP.key, file: new Blob([plaintext]), filename: 'small.bin' });
        expect(f.size).toBe(size);
        expect(Buffer.compare(Buffer.from(await (await fetch(f.url)).arrayBuffer()), plaintext)).toBe(0);
      }
    });

    it('cancel aborts the session: its token answers 404 afterwards', async () => {
      const ac = new AbortController();
      const store = memoryResumeStore();
      const p = upload({ endpoint: t.url, key: TEST_APP.key, file: new Blob([bytesOf(20 * MiB)]), signal: ac.signal, resume: { store, key: 'c' }, concurrency: 1, onProgress: (l) => l > 0 && ac.abort() });
      const rec = await new Promise<string>((r) => {
        const poll = setInterval(() => {
          const got = store.get('c') as { session: { upload: string } } | undefined; // the memory store answers at once
          if (got) {
            clearInterval(poll);
            r(got.session.upload);
          }
        }, 5);
      });
      expect((await p.catch((e) => e)).code).toBe('canceled');
      const after = await fetch(`${t.url}/v1/uploads/${rec}?key=${TEST_APP.key}`);
      expect(after.status).toBe(404);
    });
  });
}

describe('ferry/client through a proxy that cuts part uploads (S3, presigned)', () => {
  it('retries only the parts that were cut, and a second run resumes without re-sending stored parts', async () => {
    // Ferry reaches the bucket through the proxy, so the presigned URLs it hands out do too.
    const { bucket, endpoint } = await newBucket();
    const proxy = await startCuttingProxy(Number(new URL(endpoint).port));
    const ferry = await startFerry(
      { PORT: '0', HOST: '127.0.0.1', ...s3Vars(bucket, proxy.url), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS },
      { log: () => {}, requestLog: () => {} },
    );
    try {
      const partOf = (target: string) => Number(/[?&]partNumber=(\d+)/.exec(target)?.[1] ?? 0);
      const seen = new Map<number, number>();
      // Run 1: parts 1 and 3 are cut halfway on their first attempt; part 4 on every attempt.
      proxy.setCut((r) => {
        const n = r.method === 'PUT' ? partOf(r.target) : 0;
        if (!n) return undefined;
        const attempt = (seen.get(n) ?? 0) + 1;
        seen.set(n, attempt);
        return (attempt === 1 && (n === 1 || n === 3)) || n === 4 ? 0.5 : undefined;
      });
      const plaintext = bytesOf(45 * MiB + 777, 8);
      const store = memoryResumeStore();
      const retries: number[] = [];
      const run = () =>
        upload({ endpoint: ferry.url, key: TEST_APP.key, file: new Blob([plaintext]), filename: 'cut.bin', concurrency: 2, retry: { retries: 2, baseDelayMs: 10, maxDelayMs: 50 }, resume: { store, key: 'cut' }, onRetry: (r) => retries.push(r.part) });
      const first = await run().catch((e) => e);
      expect(first.code).toBe('network');
      expect(retries.filter((n) => n === 1)).toHaveLength(1);
      expect(retries.filter((n) => n === 3)).toHaveLength(1);
      expect(retries.filter((n) => n === 4)).toHaveLength(2);
      // Run 2: the network is fine again.
      proxy.setCut(undefined);
      const file = await run();
      expect(Buffer.compare(Buffer.from(await (await fetch(file.url)).arrayBuffer()), plaintext)).toBe(0);
      const puts = proxy.requests.filter((r) => r.method === 'PUT' && partOf(r.target) > 0);
      const parts = Math.max(...puts.map((r) => partOf(r.target)));
      for (let n = 1; n <= parts; n++) {
        const whole = puts.filter((r) => partOf(r.target) === n && !r.cut);
        expect(whole, `part ${n} sent whole exactly once`).toHaveLength(1);
        expect(whole[0]!.forwarded).toBe(whole[0]!.length);
        expect(whole[0]!.status).toBe(200);
      }
      // Cut attempts: parts 1 and 3 once, part 4 three times (first run), nothing else.
      expect(puts.filter((r) => r.cut).map((r) => partOf(r.target)).sort()).toEqual([1, 3, 4, 4, 4]);
    } finally {
      await ferry.close();
      await proxy.close();
    }
  });
});
