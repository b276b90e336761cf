// The widget's upload sessions in real Chromium against s3rver, with a loopback TCP proxy between
// everyone and the bucket that cuts part uploads mid-body: device files go through sessions by
// default, their bytes straight to the bucket (Ferry's request log shows only JSON), cut parts are
// retried and only they; the file decrypts byte-exact through Ferry, whole and by Range; the tab's
// JS heap stays bounded; a reload mid-upload resumes, and the proxy's count shows no part that
// completed was sent again. FERRY_SESSION_MIB sets the big file's size (default 96 MiB in
// `npm test`; `npm run test:big` runs 1024).
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxiedRequest } from '../helpers/cutting-proxy.js';
import { ARTIFACTS, bytesOf, openPicker, picker, startHarness, throttle, waitForEvent, type Harness } from './harness.js';

const MiB = 1024 * 1024;
const BIG = Number(process.env.FERRY_SESSION_MIB ?? 96) * MiB + 12_345;
const PART_COUNT_TIMEOUT = Math.max(120_000, (BIG / MiB) * 600);

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness({ s3: true });
  dir = mkdtempSync(join(tmpdir(), 'ferry-sessions-'));
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A file on disk of `size` deterministic bytes, written in pieces (never all in memory). */
function bigFile(name: string, size: number, seed: number): string {
  const path = join(dir, name);
  writeFileSync(path, '');
  for (let at = 0, i = 0; at < size; at += 16 * MiB, i++) appendFileSync(path, bytesOf(Math.min(16 * MiB, size - at), seed + i));
  return path;
}

async function sha256(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of stream) hash.update(piece);
  return hash.digest('hex');
}

function slice(path: string, start: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(length);
  readSync(fd, b, 0, length, start);
  closeSync(fd);
  return b;
}

const partOf = (r: ProxiedRequest) => (r.method === 'PUT' ? Number(/[?&]partNumber=(\d+)/.exec(r.target)?.[1] ?? 0) : 0);
const partPuts = () => h.proxy!.requests.filter((r) => partOf(r) > 0);

/** Samples the page's JS heap (CDP Runtime.getHeapUsage) until stopped; returns the peak in bytes. */
async function heapSampler(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
      peak = Math.max(peak, usedSize);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return peak;
  };
}

async function checkDownload(url: string, path: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(await sha256(res.body as unknown as AsyncIterable<Uint8Array>)).toBe(await sha256(createReadStream(path)));
  const size = statSync(path).size;
  for (const [start, length] of [[0, 100], [8 * MiB - 7, 70_000], [Math.floor(size / 2), 1], [size - 5000, 5000]] as const) {
    const r = await fetch(url, { headers: { range: `bytes=${start}-${start + length - 1}` } });
    expect(r.status).toBe(206);
    expect(Buffer.compare(Buffer.from(await r.arrayBuffer()), slice(path, start, length))).toBe(0);
  }
}

describe('upload sessions in the widget (Chromium, s3rver behind a cutting proxy)', () => {
  it(`uploads ${Math.round(BIG / MiB)} MiB straight to the bucket; cut parts are retried, only they; byte-exact; heap bounded`, async () => {
    const path = bigFile('big.bin', BIG, 100);
    const before = h.proxy!.requests.length;
    const seen = new Map<number, number>();
    // The first attempt of parts 1, 3 and every 5th is cut halfway through its body.
    h.proxy!.setCut((r) => {
      const n = partOf(r);
      if (!n) return undefined;
      const attempt = (seen.get(n) ?? 0) + 1;
      seen.set(n, attempt);
      return attempt === 1 && (n === 1 || n === 3 || n % 5 === 0) ? 0.5 : undefined;
    });
    const logBefore = h.requests.length;
    const page = await h.newPage();
    const heap = await heapSampler(page);
    await openPicker(page);
    await picker(page).locator('input[type=file]').setInputFiles(path);
    const t0 = Date.now();
    await picker(page).getByRole('button', { name: 'Upload 1 file' }).click();
    const all = await waitForEvent(page, 'done', 1, PART_COUNT_TIMEOUT);
    const seconds = (Date.now() - t0) / 1000;
    const peak = await heap();
    h.proxy!.setCut(undefined);
    const done = all.find((e) => e.name === 'done')!.args[0];
    expect(done.filesFailed).toEqual([]);
    const file = done.filesUploaded[0];
    expect(file).toMatchObject({ filename: 'big.bin', size: BIG, source: 'local' });

    // Ferry only answered JSON: no file body through it, no streaming upload.
    const log = h.requests.slice(logBefore);
    expect(log.filter((e) => e.route.startsWith('/v1/files') && e.method === 'POST')).toEqual([]);
    expect(log.filter((e) => e.route.includes('/parts/'))).toEqual([]);
    expect(Math.max(...log.map((e) => e.bytesIn))).toBeLessThan(64 * 1024);
    expect(log.filter((e) => e.method === 'POST' && e.route === '/v1/uploads')).toHaveLength(1);

    // Every part reached the bucket whole exactly once; only the cut ones were sent again.
    const puts = h.proxy!.requests.slice(before).filter((r) => partOf(r) > 0);
    const count = Math.max(...puts.map(partOf));
    const cutParts = [...seen.keys()].filter((n) => n === 1 || n === 3 || n % 5 === 0).sort((a, b) => a - b);
    for (let n = 1; n <= count; n++) {
      const mine = puts.filter((r) => partOf(r) === n);
      expect(mine.filter((r) => r.status === 200), `part ${n}`).toHaveLength(1);
      expect(mine.filter((r) => r.cut).length, `part ${n} cut`).toBe(cutParts.includes(n) ? 1 : 0);
      expect(mine, `part ${n} attempts`).toHaveLength(cutParts.includes(n) ? 2 : 1);
    }
    await checkDownload(file.url, path);

    const report = { size: BIG, parts: count, partsCut: cutParts.length, seconds, mbPerSecond: BIG / 1e6 / seconds, peakJsHeapMiB: peak / MiB };
    writeFileSync(join(ARTIFACTS, `sessions-${Math.round(BIG / MiB)}mib.json`), JSON.stringify(report, null, 2));
    console.log('widget session upload:', JSON.stringify(report));
    // Bounded: a few parts in flight (4 × 8 MiB, plus their plaintext), never the file.
    expect(peak).toBeLessThan(160 * MiB);
    await page.close();
    rmSync(path);
  }, PART_COUNT_TIMEOUT + 120_000);

  it('a reload mid-upload resumes: choosing the same file again sends only the parts not yet stored', async () => {
    const size = 64 * MiB + 999;
    const path = bigFile('resume.bin', size, 300);
    const before = h.proxy!.requests.length;
    const logBefore = h.requests.length;
    const page = await h.newPage();
    let cdp = await page.context().newCDPSession(page);
    await throttle(cdp, 12 * MiB);
    await openPicker(page, { partConcurrency: 2 });
    await picker(page).locator('input[type=file]').setInputFiles(path);
    await picker(page).getByRole('button', { name: 'Upload 1 file' }).click();
    // Wait for two parts stored, then reload in the middle of the next ones.
    await expect.poll(() => h.proxy!.requests.slice(before).filter((r) => partOf(r) > 0 && r.status === 200).length, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    await page.reload();
    const storedBeforeReload = new Set(h.proxy!.requests.slice(before).filter((r) => partOf(r) > 0 && r.status === 200).map(partOf));
    const mark = h.proxy!.requests.length;
    await page.waitForFunction(() => typeof (window as unknown as { Ferry?: unknown }).Ferry === 'object');
    cdp = await page.context().newCDPSession(page);
    await throttle(cdp, null);
    await openPicker(page, { partConcurrency: 2 });
    await picker(page).locator('input[type=file]').setInputFiles(path);
    await picker(page).getByRole('button', { name: 'Upload 1 file' }).click();
    const all = await waitForEvent(page, 'done', 1, 120_000).catch(async (e) => {
      console.log(JSON.stringify(await page.evaluate(() => (window as unknown as { events: unknown[] }).events.slice(-5))));
      console.log(h.proxy!.requests.slice(mark).map((r) => `${r.method} ${partOf(r)} ${r.status} ${r.forwarded}/${r.length}`).join('\n'));
      console.log(h.requests.slice(logBefore).map((r) => `${r.method} ${r.route} ${r.status} ${r.error ?? ''}`).join('\n'));
      throw e;
    });
    const done = all.find((e) => e.name === 'done')!.args[0];
    expect(done.filesFailed).toEqual([]);

    const after = h.proxy!.requests.slice(mark).filter((r) => partOf(r) > 0);
    const count = Math.ceil(done.filesUploaded[0].size / (8 * MiB)) + 1;
    // No part stored before the reload was sent again; every part stored exactly once overall.
    for (const n of storedBeforeReload) expect(after.filter((r) => partOf(r) === n), `part ${n} resent`).toEqual([]);
    const all200 = h.proxy!.requests.slice(before).filter((r) => partOf(r) > 0 && r.status === 200).map(partOf).sort((a, b) => a - b);
    expect(all200).toEqual([...new Set(all200)]);
    expect(all200.length).toBeGreaterThanOrEqual(count - 1);
    // One session, created before the reload, resumed after it.
    expect(h.requests.slice(logBefore).filter((e) => e.method === 'POST' && e.route === '/v1/uploads')).toHaveLength(1);
    expect(h.requests.slice(logBefore).filter((e) => e.method === 'GET' && e.route === '/v1/uploads/:upload').length).toBeGreaterThanOrEqual(1);
    await checkDownload(done.filesUploaded[0].url, path);
    await page.close();
    rmSync(path);
  }, 240_000);

  it('sessions: false sends the file through Ferry as one streaming upload', async () => {
    const before = partPuts().length;
    const logBefore = h.requests.length;
    const page = await h.newPage();
    await openPicker(page, { sessions: false });
    const bytes = bytesOf(300_000, 9);
    await picker(page).locator('input[type=file]').setInputFiles([{ name: 'plain.bin', mimeType: 'application/octet-stream', buffer: bytes }]);
    await picker(page).getByRole('button', { name: 'Upload 1 file' }).click();
    const done = (await waitForEvent(page, 'done')).find((e) => e.name === 'done')!.args[0];
    expect(Buffer.compare(Buffer.from(await (await fetch(done.filesUploaded[0].url)).arrayBuffer()), bytes)).toBe(0);
    expect(partPuts().length).toBe(before);
    const log = h.requests.slice(logBefore);
    expect(log.some((e) => e.method === 'POST' && e.route.startsWith('/v1/files') && e.bytesIn >= 300_000)).toBe(true);
    expect(log.some((e) => e.route.startsWith('/v1/uploads'))).toBe(false);
    await page.close();
  });
});
