// S3 going away in the middle of transfers: Ferry (a real server process) talks to s3rver
// through a proxy that blackholes the traffic or resets it, mid-upload and mid-download. The
// client must get `503 storage_unavailable` or a broken transfer (never a clean, short body)
// within a bounded time; the multipart upload behind the failed upload must be aborted once S3
// is back (ListMultipartUploads, asked of s3rver directly); and Ferry must serve again without a
// restart.
import { request } from 'node:http';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { S3Store } from '../../src/store/s3-store.js';
import { TEST_APP, TEST_APPS, newBucket, s3Client, s3Vars, testKey } from '../helpers/targets.js';
import { MiB, download, kill9, patternBlock, repeatedSha256, sendBody, startServerProcess, until, type ServerProcess } from './harness.js';
import { startOutageProxy, type OutageProxy, type ProxyMode } from './outage-proxy.js';

const key = TEST_APP.key;
/**
 * S3 idle timeout the server runs with here (S3_TIMEOUT_SECONDS), and the bound we hold it to: a
 * put that fails on a silent S3 waits out its part and then its AbortMultipartUpload, each tried
 * three times by the SDK, so about 6 timeouts; a download only its one GetObject body.
 */
const S3_TIMEOUT_SECONDS = 3;
const BOUND_MS = (8 * S3_TIMEOUT_SECONDS + 10) * 1000;

let server: ServerProcess | undefined;
let proxy: OutageProxy | undefined;
afterEach(async () => {
  if (server) await kill9(server);
  await proxy?.close();
  server = proxy = undefined;
});

async function setUp() {
  const { bucket, endpoint } = await newBucket();
  proxy = await startOutageProxy(Number(new URL(inject('s3Endpoint')).port));
  server = await startServerProcess({ ...s3Vars(bucket, proxy.url), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, S3_TIMEOUT_SECONDS: String(S3_TIMEOUT_SECONDS) });
  const direct = new S3Store({ client: s3Client(endpoint), bucket });
  const pendingUploads = async () => {
    const out: string[] = [];
    for await (const u of direct.listMultipart('')) out.push(u.uploadId);
    return out;
  };
  return { server, proxy, direct, pendingUploads };
}

/** Ferry works end to end: a fresh upload comes back byte-exact. */
async function servesAgain(url: string) {
  const block = patternBlock(3);
  const size = 10 * MiB + 5;
  const up = await sendBody(url, 'POST', `/v1/files?key=${key}&filename=again.bin`, {}, size, size, block).answer;
  expect(up.status, up.body).toBe(201);
  const got = await download(JSON.parse(up.body).url);
  expect(got).toMatchObject({ status: 200, size, sha256: repeatedSha256(block, size), complete: true });
}

describe.each<ProxyMode>(['blackhole', 'down'])('S3 %s', (mode) => {
  it('mid-upload: 503 storage_unavailable (or a broken upload) in bounded time, the multipart upload aborted once S3 is back, then serves again', { timeout: 120_000 }, async () => {
    const { server, proxy, pendingUploads } = await setUp();
    // 40 MiB declared, 24 MiB sent: past the first 8 MiB parts, so a multipart upload is under way.
    const up = sendBody(server.url, 'POST', `/v1/files?key=${key}&filename=cut.bin`, {}, 40 * MiB, 24 * MiB);
    await up.sent;
    await until(async () => (await pendingUploads()).length > 0, 'the multipart upload to begin');
    const t0 = Date.now();
    proxy.set(mode);
    up.finish();
    const outcome = await up.answer.then(
      (a) => ({ status: a.status, code: JSON.parse(a.body).error?.code as string | undefined }),
      (e: Error) => ({ status: 0, code: e.message }),
    );
    const took = Date.now() - t0;
    console.info(`[faults] S3 ${mode} mid-upload: client got ${outcome.status} ${outcome.code} after ${took} ms`);
    if (outcome.status !== 0) expect(outcome).toEqual({ status: 503, code: 'storage_unavailable' });
    expect(took).toBeLessThan(BOUND_MS);

    proxy.set('up');
    const tBack = Date.now();
    await until(async () => (await pendingUploads()).length === 0, 'the multipart upload to be aborted', BOUND_MS);
    console.info(`[faults] S3 ${mode}: multipart upload aborted ${Date.now() - tBack} ms after S3 came back`);
    await servesAgain(server.url);
  });

  it('mid-download: a broken transfer, never a clean short body, in bounded time; then serves again', { timeout: 120_000 }, async () => {
    const { server, proxy } = await setUp();
    const block = patternBlock(5);
    const size = 48 * MiB;
    const up = await sendBody(server.url, 'POST', `/v1/files?key=${key}&filename=big.bin`, {}, size, size, block).answer;
    expect(up.status).toBe(201);
    const file = JSON.parse(up.body);
    // Cut S3 once the first MiB has arrived: the rest of the object is still in S3.
    let cutAt = 0;
    const got = await new Promise<{ status: number; size: number; complete: boolean; error?: string }>((resolve) => {
      const u = new URL(file.url);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false }, (res) => {
        let n = 0;
        res.on('data', (d: Buffer) => {
          n += d.length;
          if (cutAt === 0 && n >= MiB) {
            cutAt = Date.now();
            proxy.set(mode);
          }
        });
        res.on('end', () => resolve({ status: res.statusCode!, size: n, complete: res.complete }));
        res.on('error', (e) => resolve({ status: res.statusCode!, size: n, complete: false, error: e.message }));
        res.on('aborted', () => resolve({ status: res.statusCode!, size: n, complete: false, error: 'aborted' }));
      });
      req.on('error', (e) => resolve({ status: 0, size: 0, complete: false, error: e.message }));
      req.end();
    });
    const took = Date.now() - cutAt;
    console.info(`[faults] S3 ${mode} mid-download: ${got.size} of ${size} bytes, ${got.error ?? 'clean end'} after ${took} ms`);
    expect(got.status).toBe(200);
    expect(got.size).toBeLessThan(size);
    expect(got.complete).toBe(false);
    expect(got.error).toBeDefined();
    expect(took).toBeLessThan(BOUND_MS);

    proxy.set('up');
    await servesAgain(server.url);
  });
});

