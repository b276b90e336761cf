// Many clients at once through one real server process: `clients` uploads of `size` bytes each,
// all started together, then all downloads together, every byte checked by SHA-256 as it streams
// (the test never holds a file in memory). The app allows `concurrency` uploads at a time, as
// production would; a client turned away with 429 waits its Retry-After and tries again, as the
// widget does. The server's peak RSS (VmHWM) must not depend on how many clients there are
// beyond that concurrency. Used by test/faults/load.test.ts (small) and test/soak (50 × 64 MiB).
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { patternBlock, peakRss, startServerProcess, type ServerProcess } from './harness.js';

export interface LoadOptions {
  clients: number;
  size: number;
  /** FERRY_MAX_CONCURRENT_UPLOADS for the app. */
  concurrency: number;
  /** The store's variables (FERRY_DATA_DIR or the S3_* ones), FERRY_KEYS and FERRY_APPS. */
  env: Record<string, string>;
  key: string;
}

export interface LoadResult {
  clients: number;
  size: number;
  concurrency: number;
  uploadSeconds: number;
  downloadSeconds: number;
  /** 429 answers that were waited out and retried (expected beyond the concurrency). */
  retried: number;
  /**
   * Uploads whose connection broke before any answer could be read (EPIPE/ECONNRESET while
   * writing: the server had answered 429 early and closed after its bounded drain), retried
   * like a 429, as a browser would retry a network error.
   */
  resets: number;
  /** Anything else that went wrong: must stay empty. */
  errors: string[];
  /** VmRSS before the load, after one warm-up round trip. */
  baselineRss: number;
  /** VmHWM after the load. */
  peakRss: number;
}

/** Uploads `size` bytes of `block` repeated with backpressure; resolves with status and body. */
function upload(url: string, key: string, size: number, block: Uint8Array): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(`/v1/files?key=${key}&filename=load.bin`, url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', agent: false, headers: { 'content-length': size } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, retryAfter: res.headers['retry-after'] }));
      res.on('error', reject);
    });
    let answered = false;
    req.on('response', () => (answered = true));
    // A 429 comes before the body is read: the rest of our writes may then fail, which is fine.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    let sent = 0;
    const write = () => {
      while (sent < size) {
        if (answered) return void req.end();
        const n = Math.min(block.length, size - sent);
        sent += n;
        if (!req.write(block.subarray(0, n))) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

function downloadSha(url: string): Promise<{ status: number; size: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false }, (res) => {
      const h = createHash('sha256');
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        h.update(d);
      });
      res.on('end', () => (res.complete ? resolve({ status: res.statusCode!, size, sha256: h.digest('hex') }) : reject(new Error('download cut short'))));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

function expectedSha(block: Uint8Array, size: number): string {
  const h = createHash('sha256');
  for (let sent = 0; sent < size; sent += block.length) h.update(block.subarray(0, Math.min(block.length, size - sent)));
  return h.digest('hex');
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { clients, size, concurrency, env, key } = options;
  const server: ServerProcess = await startServerProcess({
    ...env,
    FERRY_MAX_CONCURRENT_UPLOADS: String(concurrency),
    FERRY_RATE_LIMIT_PER_MINUTE: '1000000',
  });
  const errors: string[] = [];
  let retried = 0;
  let resets = 0;
  try {
    const pid = server.child.pid!;
    // Warm up (JIT, pools, the first S3 connections), so the baseline is the server at work.
    const warmBlock = patternBlock(99);
    const warm = await upload(server.url, key, 9 * 1024 * 1024, warmBlock);
    if (warm.status !== 201) throw new Error(`warm-up upload failed: ${warm.status} ${warm.body}`);
    await downloadSha(JSON.parse(warm.body).url);
    const baselineRss = server.rssBytes();

    const blocks = Array.from({ length: clients }, (_, i) => patternBlock(i + 1));
    const urls: (string | undefined)[] = new Array(clients);
    const t0 = Date.now();
    await Promise.all(
      blocks.map(async (block, i) => {
        for (let attempt = 0; attempt < 500; attempt++) {
          let res;
          try {
            res = await upload(server.url, key, size, block);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'EPIPE' || code === 'ECONNRESET') {
              resets++;
              await new Promise((r) => setTimeout(r, 500 + Math.random() * 500));
              continue;
            }
            errors.push(`upload ${i}: ${(e as Error).message}`);
            return;
          }
          if (res.status === 201) return void (urls[i] = JSON.parse(res.body).url);
          if (res.status === 429) {
            retried++;
            const wait = Math.min(Number(res.retryAfter ?? 1), 2) * 1000 * (0.5 + Math.random() / 2);
            await new Promise((r) => setTimeout(r, wait));
            continue;
          }
          errors.push(`upload ${i}: ${res.status} ${res.body}`);
          return;
        }
        errors.push(`upload ${i}: still refused after 500 tries`);
      }),
    );
    const uploadSeconds = (Date.now() - t0) / 1000;

    const t1 = Date.now();
    await Promise.all(
      blocks.map(async (block, i) => {
        if (!urls[i]) return;
        try {
          const got = await downloadSha(urls[i]!);
          if (got.status !== 200 || got.size !== size || got.sha256 !== expectedSha(block, size)) {
            errors.push(`download ${i}: ${got.status}, ${got.size} bytes, sha ${got.sha256.slice(0, 12)}`);
          }
        } catch (e) {
          errors.push(`download ${i}: ${(e as Error).message}`);
        }
      }),
    );
    const downloadSeconds = (Date.now() - t1) / 1000;
    return { clients, size, concurrency, uploadSeconds, downloadSeconds, retried, resets, errors, baselineRss, peakRss: peakRss(pid) };
  } finally {
    await server.stop();
  }
}

export function describeLoad(store: string, r: LoadResult): string {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  return (
    `${store}: ${r.clients} × ${mib(r.size)} (upload concurrency ${r.concurrency}): uploads ${r.uploadSeconds.toFixed(1)} s, ` +
    `downloads ${r.downloadSeconds.toFixed(1)} s, ${r.retried} 429s waited out, ${r.resets} resets before an answer retried, ${r.errors.length} errors, ` +
    `RSS baseline ${mib(r.baselineRss)}, peak (VmHWM) ${mib(r.peakRss)}`
  );
}
