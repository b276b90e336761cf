// @uppy/tus in real Chromium, from a page on its own origin (so CORS preflights run), against
// Ferry over S3 (s3rver): 0 B, 1 MiB and 256 MiB byte-exact, and through a proxy that cuts the
// connection mid-PATCH, a resume from the offset the server gives.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerry, type RunningFerry } from '../../src/node.js';
import { newBucket, s3Vars, testKey } from '../helpers/targets.js';
import { launchBrowser } from '../widget/harness.js';
import { cuttingProxy } from './cutting-proxy.js';

const MiB = 1024 * 1024;

describe('@uppy/tus in Chromium', () => {
  let ferry: RunningFerry;
  let host: Server;
  let hostUrl = '';
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const app = { name: 'web', key: 'web-key', secret: 'web-secret-0123456789abcdef', origins: [] as string[] };

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [join(import.meta.dirname, 'uppy-page.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;
    host = createServer((req, res) => {
      if (req.url === '/uppy.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(script);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><title>tus</title><script src="/uppy.js"></script>');
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', r));
    hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
    app.origins = [hostUrl];
    const { bucket, endpoint } = await newBucket();
    ferry = await startFerry(
      { PORT: '0', HOST: '127.0.0.1', ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: JSON.stringify([app]) },
      { log: () => {}, requestLog: () => {} },
    );
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.goto(hostUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await ferry?.close();
    await new Promise((r) => host?.close(r));
  });

  async function upload(endpoint: string, size: number, seed: number) {
    return page.evaluate(([e, s, k]) => (window as unknown as { tusUpload: (e: string, s: number, k: number) => Promise<{ url: string | null; sha: string; error?: string }> }).tusUpload(e, s, k), [endpoint, size, seed] as const);
  }

  async function downloaded(url: string) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const h = createHash('sha256');
    let size = 0;
    for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
      h.update(piece);
      size += piece.length;
    }
    return { sha: h.digest('hex'), size };
  }

  for (const size of [0, MiB, 256 * MiB]) {
    it(`uploads ${size} bytes byte-exact`, async () => {
      const r = await upload(`${ferry.url}/v1/tus?key=${app.key}`, size, size + 1);
      expect(r.error).toBeUndefined();
      expect(r.url).toContain('/v1/files/');
      expect(await downloaded(r.url!)).toEqual({ sha: r.sha, size });
    }, 240_000);
  }

  it('resumes through a connection cut mid-PATCH, sending again only what was not stored', async () => {
    const proxy = await cuttingProxy(ferry.url, 1, 21 * MiB + 999);
    try {
      const r = await upload(`${proxy.url}/v1/tus?key=${app.key}`, 48 * MiB, 7);
      expect(r.error).toBeUndefined();
      expect(await downloaded(r.url!)).toEqual({ sha: r.sha, size: 48 * MiB });
      const patches = proxy.passed.filter((p) => p.method === 'PATCH');
      console.info(`requests through the proxy: ${JSON.stringify(proxy.passed)}`);
      expect(patches[0]!.cut).toBe(true);
      let acknowledged = 0;
      for (const p of proxy.passed) {
        if (p.method === 'PATCH') expect(p.offset).toBe(acknowledged);
        if (p.status !== null && p.status < 300 && p.answeredOffset !== null) acknowledged = p.answeredOffset;
      }
      const resumed = patches.find((p, i) => i > 0 && p.status === 204)!;
      expect(resumed.offset!).toBeGreaterThan(0);
      expect(patches[0]!.bytes - resumed.offset!).toBeLessThan(5 * MiB + 16 * 1024);
    } finally {
      await proxy.close();
    }
  }, 120_000);
});
