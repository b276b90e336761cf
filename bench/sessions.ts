// `npm run bench:sessions`: upload sessions from a real Chromium page to s3rver, against the
// plain way to do the same: a presigned S3 multipart upload of the same bytes, unencrypted, with
// the same part size (8 MiB) and parts in flight (4), from the same page and the same File. The
// Ferry contender is the widget itself (picker.js: encrypt each part with WebCrypto, PUT it to
// the presigned URL, complete). Ferry runs in its own process so its CPU time per GiB uploaded
// (it only answers JSON) is read from /proc. Contenders alternate round by round; figures are
// medians, the ratio the median of per-round ratios (bench/run.ts's method).
//
//   npm run bench:sessions                   256 MiB, 3 rounds
//   options: --size=MiB --runs=N --json=FILE
import { CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutBucketCorsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createS3Client } from '../src/store/s3-client.js';
import { root } from './lib/environment.js';
import { cpuSeconds, startChild } from './lib/proc.js';
import { median, medianRatio } from './lib/stats.js';

const argv = process.argv.slice(2);
const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SIZE = Number(value('size') ?? 256) * MiB;
const RUNS = Number(value('runs') ?? 3);
const PART = 8 * MiB;
const IN_FLIGHT = 4;

const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-sessions-'));
const stops: (() => Promise<void>)[] = [];

async function main() {
  // The page's origin first: Ferry's app and the bucket's CORS name it.
  let ferryUrl = '';
  const host = createServer((req, res) => {
    if (req.url !== '/') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>bench</title><input id="f" type="file"><script src="${ferryUrl}/picker.js"></script><script>${PAGE_JS}</script>`);
  });
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
  stops.push(() => new Promise((r) => host.close(() => r())));
  const hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;

  const s3 = await startChild([join(root, 'bench/servers/s3rver.mjs'), join(dir, 's3rver')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--openssl-legacy-provider' },
    ready: /"endpoint":"([^"]+)"/,
  });
  stops.push(() => s3.stop());
  const endpoint = s3.ready[1]!;
  const client = createS3Client({ endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
  const cors = { CORSRules: [{ AllowedOrigins: [hostUrl], AllowedMethods: ['PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'] }] };
  for (const Bucket of ['ferry', 'plain']) {
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: cors }));
  }
  const app = { name: 'bench', key: 'bench-key', secret: 'bench-secret-0123456789abcdef0123', origins: [hostUrl], rateLimitPerMinute: 1_000_000 };
  const ferry = await startChild(['--import', 'tsx', 'src/node.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: '0',
      HOST: '127.0.0.1',
      FERRY_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      FERRY_APPS: JSON.stringify([app]),
      S3_BUCKET: 'ferry',
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
    },
    ready: /listening on (http:\/\/\S+)/i,
  });
  stops.push(() => ferry.stop());
  ferryUrl = ferry.ready[1]!.replace(/\/$/, '');

  const file = join(dir, 'upload.bin');
  writeFileSync(file, '');
  for (let at = 0; at < SIZE; at += 16 * MiB) appendFileSync(file, randomBytes(Math.min(16 * MiB, SIZE - at)));

  const profile = mkdtempSync(join(tmpdir(), 'ferry-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  stops.push(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = await context.newPage();
  await page.goto(hostUrl + '/');
  await page.waitForFunction(() => typeof (window as unknown as { Ferry?: unknown }).Ferry === 'object');
  await page.locator('#f').setInputFiles(file);

  const plain = async (): Promise<number> => {
    const t0 = performance.now();
    const count = Math.ceil(SIZE / PART);
    const urls: string[] = [];
    const Key = `plain-${Date.now()}`;
    const upload = (await client.send(new CreateMultipartUploadCommand({ Bucket: 'plain', Key }))).UploadId!;
    for (let n = 1; n <= count; n++) urls.push(await getSignedUrl(client, new UploadPartCommand({ Bucket: 'plain', Key, UploadId: upload, PartNumber: n }), { expiresIn: 900 }));
    const etags = await page.evaluate(([u, p, c]) => (window as unknown as { plainUpload(u: string[], p: number, c: number): Promise<string[]> }).plainUpload(u as string[], p as number, c as number), [urls, PART, IN_FLIGHT] as const);
    await client.send(new CompleteMultipartUploadCommand({ Bucket: 'plain', Key, UploadId: upload, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
    return (performance.now() - t0) / 1000;
  };

  const viaFerry = async (): Promise<{ seconds: number; cpu: number }> => {
    await page.evaluate(([url, key, c]) => (window as unknown as { openPicker(u: string, k: string, c: number): void }).openPicker(url as string, key as string, c as number), [ferryUrl, app.key, IN_FLIGHT] as const);
    await page.locator('[data-ferry-picker] .dialog').waitFor();
    await page.locator('[data-ferry-picker] input[type=file]').setInputFiles(file);
    const cpu0 = cpuSeconds(ferry.pid);
    if (process.env.BENCH_TIMINGS) console.log('page clock at click', await page.evaluate(() => performance.now()));
    const t0 = performance.now();
    await page.locator('[data-ferry-picker]').getByRole('button', { name: 'Upload 1 file' }).click();
    const result = await page.evaluate(() => (window as unknown as { done: Promise<{ ok: boolean; error?: string }> }).done);
    const seconds = (performance.now() - t0) / 1000;
    if (process.env.BENCH_TIMINGS) console.log('page clock at done', await page.evaluate(() => performance.now()));
    const cpu = cpuSeconds(ferry.pid) - cpu0;
    if (!result.ok) throw new Error(`the widget's upload failed: ${result.error}`);
    if (process.env.BENCH_TIMINGS) {
      const entries = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => `${(e as PerformanceResourceTiming).initiatorType} ${e.name.replace(/\?.*/, '').slice(-40)} ${e.startTime.toFixed(0)} +${e.duration.toFixed(0)}`));
      console.log(entries.join('\n'));
      await page.evaluate(() => performance.clearResourceTimings());
    }
    await page.evaluate(() => (window as unknown as { closePicker(): void }).closePicker());
    return { seconds, cpu };
  };

  // A warm-up of each, then the rounds, alternating who goes first.
  await plain();
  await viaFerry();
  const p: number[] = [];
  const f: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? ['plain', 'ferry'] : ['ferry', 'plain'];
    for (const who of order) {
      if (who === 'plain') p.push(await plain());
      else {
        const r = await viaFerry();
        f.push(r.seconds);
        cpu.push(r.cpu);
      }
    }
  }
  const mbps = (s: number) => SIZE / 1e6 / s;
  const rows = {
    size: `${SIZE / MiB} MiB`,
    runs: RUNS,
    plainPresignedMBps: mbps(median(p)),
    ferrySessionMBps: mbps(median(f)),
    ratio: medianRatio(p, f),
    ferryCpuSecondsPerGiB: median(cpu) / (SIZE / GiB),
  };
  console.log(`
| direct upload from Chromium, ${rows.size}, to s3rver (part 8 MiB, 4 in flight) | MB/s |
|---|---|
| plain presigned multipart, unencrypted | ${rows.plainPresignedMBps.toFixed(0)} |
| Ferry upload session (widget: WebCrypto per part, presigned PUT) | ${rows.ferrySessionMBps.toFixed(0)} |
| ratio Ferry / plain (target ≥ 0.8) | ${rows.ratio.toFixed(2)} |
| Ferry's CPU per GiB uploaded through sessions (target ≤ 0.05 CPU-s) | ${rows.ferryCpuSecondsPerGiB.toFixed(3)} |
`);
  const json = value('json');
  if (json) writeFileSync(json, JSON.stringify(rows, null, 2));
}

// Runs in the page: the plain contender (File slices PUT as they are, XMLHttpRequest like the
// widget, the same number in flight) and the widget contender (Ferry.picker, resolved on done).
const PAGE_JS = `
window.plainUpload = async (urls, partSize, inFlight) => {
  const file = document.getElementById('f').files[0];
  const etags = new Array(urls.length);
  let next = 0;
  const put = (n) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', urls[n]);
    xhr.onload = () => xhr.status === 200 ? resolve(xhr.getResponseHeader('etag')) : reject(new Error('HTTP ' + xhr.status));
    xhr.onerror = () => reject(new Error('network'));
    xhr.send(file.slice(n * partSize, Math.min(file.size, (n + 1) * partSize)));
  });
  const worker = async () => { while (next < urls.length) { const n = next++; etags[n] = await put(n); } };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return etags;
};
window.openPicker = (endpoint, key, partConcurrency) => {
  let settle;
  window.done = new Promise((r) => (settle = r));
  window.picker = Ferry.picker({
    endpoint, key, partConcurrency, sources: ['local'],
    onUploadDone: (r) => settle(r.filesFailed.length ? { ok: false, error: JSON.stringify(r.filesFailed[0].error) } : { ok: true }),
  });
  window.picker.open();
};
window.closePicker = () => window.picker.close();
`;

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
