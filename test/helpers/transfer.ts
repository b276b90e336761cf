// Large transfers through a running Ferry while its memory is watched, for the tests that
// promise memory bounded by a constant, not by file size (test/memory.test.ts, the workerd one in
// test/edge, test/sources/never-stored.test.ts). Bodies go through node:http because Node 20's
// fetch would buffer a whole upload; neither direction holds more than one block at a time.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { expect } from 'vitest';

/** What streamUpload sends: this 1 MiB block again and again. */
const block = new Uint8Array(1024 * 1024).map((_, i) => (i * 31 + 7) & 0xff);

/** The SHA-256 of the first `size` bytes streamUpload sends. */
export function uploadSha256(size: number): string {
  const h = createHash('sha256');
  for (let sent = 0; sent < size; sent += block.length) h.update(block.subarray(0, Math.min(block.length, size - sent)));
  return h.digest('hex');
}

/** Streams `size` bytes to POST /v1/files of the app with `key`, with backpressure. */
export function streamUpload(url: string, size: number, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(`/v1/files?key=${key}&filename=big.bin`, url);
    // A fresh connection each (agent: false): workerd closes a keep-alive connection after some
    // large request bodies without saying so (no `Connection: close`), and a request sent on it
    // at once fails with "socket hang up" before it reaches the Worker (docs/benchmarks.md).
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', agent: false, headers: { 'content-length': size } }, (res) => {
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

/**
 * Reads a whole download, keeping only its size and SHA-256. With `bytesPerSecond`, no faster
 * than that (the socket paused while ahead): a slow client, whose backpressure must reach the store.
 */
export function streamDownload(url: string, options: { bytesPerSecond?: number } = {}): Promise<{ status: number; size: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false }, (res) => {
      const h = createHash('sha256');
      let size = 0;
      const started = performance.now();
      const rate = options.bytesPerSecond;
      res.on('data', (d: Buffer) => {
        size += d.length;
        h.update(d);
        if (rate === undefined) return;
        const ahead = (size / rate) * 1000 - (performance.now() - started);
        if (ahead > 5) {
          res.pause();
          setTimeout(() => res.resume(), ahead);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, size, sha256: h.digest('hex') }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** A process's resident set size (VmRSS), Linux only. */
export function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

export interface RssPeak {
  baseline: number;
  peak: number;
}

/**
 * Runs `work` while sampling `rss` every 50 ms from a baseline taken just before it starts;
 * `alsoSample` runs on every tick too, for tests that watch something else meanwhile.
 */
export async function sampleRss(rss: () => number, work: () => Promise<void>, alsoSample?: () => void): Promise<RssPeak> {
  const baseline = rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss());
    alsoSample?.();
  }, 50);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return { baseline, peak };
}

/**
 * Uploads `size` bytes and downloads them again, the bytes checked, while sampling `rss`.
 * Transfers of the `warmUp` sizes go first (JIT, pools, first S3 connections, the heap growing
 * to its working size), so the baseline is the server at work, not the server cold.
 */
export async function roundTripRss(url: string, key: string, size: number, rss: () => number, warmUp: number[]): Promise<RssPeak> {
  for (const warmSize of warmUp) {
    const warm = JSON.parse((await streamUpload(url, warmSize, key)).body);
    await streamDownload(warm.url);
  }
  return sampleRss(rss, async () => {
    const up = await streamUpload(url, size, key);
    expect(up.status).toBe(201);
    const file = JSON.parse(up.body);
    expect(file.size).toBe(size);
    const down = await streamDownload(file.url);
    expect(down.status).toBe(200);
    expect(down.size).toBe(size);
    expect(down.sha256).toBe(uploadSha256(size));
  });
}
