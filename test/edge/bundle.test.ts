// The Worker bundle `npm run build:worker` makes (wrangler deploy --dry-run) must build offline and
// fit Cloudflare's size limit for Workers: 10 MiB after compression on paid plans, 3 MiB on the
// Free plan (developers.cloudflare.com/workers/platform/limits/#worker-size). Cloudflare counts
// the uploaded modules gzip-compressed; source maps are not uploaded (no upload_source_maps).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { buildWorker, removeBundle, type WorkerBundle } from './workerd.js';

const MiB = 1024 * 1024;
const PAID_PLAN_LIMIT = 10 * MiB;
const FREE_PLAN_LIMIT = 3 * MiB;

let bundle: WorkerBundle | undefined;
afterAll(() => bundle && removeBundle(bundle));

it('builds offline into a bundle within Workers’ compressed size limits', async () => {
  bundle = await buildWorker();
  const modules = bundle.files.filter((f) => /\.(m?js|wasm)$/.test(f));
  expect(modules.length).toBeGreaterThan(0);
  let raw = 0;
  let gzip = 0;
  for (const file of modules) {
    const path = join(bundle.dir, file);
    raw += statSync(path).size;
    gzip += gzipSync(readFileSync(path), { level: 9 }).byteLength;
  }
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`worker bundle: ${kib(raw)} raw, ${kib(gzip)} gzipped (${bundle.summary})`);
  expect(gzip, `gzipped bundle is ${kib(gzip)}; paid plans allow 10 MiB`).toBeLessThan(PAID_PLAN_LIMIT);
  expect(gzip, `gzipped bundle is ${kib(gzip)}; the Free plan allows 3 MiB`).toBeLessThan(FREE_PLAN_LIMIT);
  // Node-only code stays out of the Worker: the filesystem store, node:crypto's provider and the
  // Node server (esbuild keeps these names; S3Store and R2Store show that it does). The S3 store
  // stays in the bundle for S3-API mode, loaded lazily (src/worker.ts).
  const code = modules.map((f) => readFileSync(join(bundle!.dir, f), 'utf8')).join('\n');
  expect(code).toMatch(/\bS3Store\b/);
  expect(code).toMatch(/\bR2Store\b/);
  for (const name of ['FsStore', 'nodeCrypto', 'createAdaptorServer']) expect(code).not.toMatch(new RegExp(`\\b${name}\\b`));
});
