// Memory per transfer is bounded by a constant, never by file size: a 1 GiB file goes up and
// comes back down through a real server process while we sample its resident set size.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_APP, TEST_APPS, newBucket, testKey } from './helpers/targets.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const GiB = 1024 ** 3;
const block = new Uint8Array(1024 * 1024).map((_, i) => (i * 31 + 7) & 0xff);

function expectedSha256(size: number): string {
  const h = createHash('sha256');
  for (let sent = 0; sent < size; sent += block.length) h.update(block.subarray(0, Math.min(block.length, size - sent)));
  return h.digest('hex');
}

/** Streams `size` bytes with node:http (Node 20's fetch would buffer the whole body). */
function streamUpload(url: string, size: number, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(`/v1/files?key=${key}&filename=big.bin`, url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { 'content-length': size } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const write = () => {
      while (sent < size) {
        const n = Math.min(block.length, size - sent);
        sent += n;
        if (!req.write(block.subarray(0, n))) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

function streamDownload(url: string): Promise<{ status: number; size: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    request({ host: u.hostname, port: u.port, path: u.pathname + u.search }, (res) => {
      const h = createHash('sha256');
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        h.update(d);
      });
      res.on('end', () => resolve({ status: res.statusCode!, size, sha256: h.digest('hex') }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

async function measure(server: ServerProcess, key: string) {
  // Warm up (JIT, pools, first S3 connections) before the baseline.
  const warm = JSON.parse((await streamUpload(server.url, 8 * 1024 * 1024, key)).body);
  await streamDownload(warm.url);
  const baseline = server.rssBytes();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, server.rssBytes())), 50);
  try {
    const up = await streamUpload(server.url, GiB, key);
    expect(up.status).toBe(201);
    const file = JSON.parse(up.body);
    expect(file.size).toBe(GiB);
    const down = await streamDownload(file.url);
    expect(down.status).toBe(200);
    expect(down.size).toBe(GiB);
    expect(down.sha256).toBe(expectedSha256(GiB));
    console.info(`RSS baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    clearInterval(sampler);
  }
  return { baseline, peak };
}

describe('memory stays bounded for a 1 GiB file', () => {
  it('with the embedded filesystem store', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-mem-'));
    const server = await startServerProcess({ FERRY_DATA_DIR: dir, FERRY_KEYS: testKey() });
    try {
      const { baseline, peak } = await measure(server, 'dev');
      expect(peak - baseline).toBeLessThan(150 * 1024 * 1024);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with the S3 store', { timeout: 300_000 }, async () => {
    const { bucket, endpoint } = await newBucket();
    const server = await startServerProcess({
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
      FERRY_KEYS: testKey(),
      FERRY_APPS: TEST_APPS,
    });
    try {
      const { baseline, peak } = await measure(server, TEST_APP.key);
      expect(peak - baseline).toBeLessThan(150 * 1024 * 1024);
    } finally {
      await server.stop();
    }
  });
});
