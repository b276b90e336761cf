// `npx tsx bench/tus.ts`: tus uploads into S3 (s3rver), Ferry's /v1/tus against @tus/server +
// @tus/s3-store, with the same client (tus-js-client from this process, reading a file) and the
// same part size (Ferry's 5,248,000-byte parts, given to @tus/s3-store). Rows: MB/s (median of
// rounds, the contenders taking turns), CPU seconds per GiB of each server and of s3rver, and the
// server's peak RSS per upload (its kernel high-water mark, reset before each upload), which must
// stay flat from 64 MiB to 1 GiB. docs/tus.md keeps the latest figures.
//
//   npx tsx bench/tus.ts [--sizes=64,1024] [--runs=3] [--chunk=5] (MiB; --chunk=0 for one body)
import { CreateBucketCommand, DeleteObjectsCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Upload } from 'tus-js-client';
import { BENCH_APP, root } from './lib/environment.js';
import { GiB, MiB } from './lib/http.js';
import { Meter, startChild } from './lib/proc.js';
import { median } from './lib/stats.js';
import { createS3Client } from '../src/store/s3-client.js';
import { MIN_PART_SIZE } from '../src/tus/layout.js';

const argv = process.argv.slice(2);
const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const sizes = (value('sizes') ?? '64,1024').split(',').map((s) => Number(s) * MiB);
const runs = Number(value('runs') ?? 3);
const chunkMiB = Number(value('chunk') ?? 0);
const chunkSize = chunkMiB > 0 ? chunkMiB * MiB : undefined;

const dir = mkdtempSync(join(tmpdir(), 'ferry-tus-bench-'));
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
const s3Child = await startChild([join(root, 'bench/servers/s3rver.mjs'), join(dir, 's3rver')], {
  cwd: root,
  env: { ...env, NODE_OPTIONS: '--openssl-legacy-provider' },
  ready: /"endpoint":"([^"]+)"/,
});
const endpoint = s3Child.ready[1]!;
const s3 = createS3Client({ endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
for (const bucket of ['ferry', 'tus']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
const s3Vars = (bucket: string) => ({ S3_BUCKET: bucket, S3_ENDPOINT: endpoint, S3_REGION: 'us-east-1', S3_ACCESS_KEY_ID: 'S3RVER', S3_SECRET_ACCESS_KEY: 'S3RVER', S3_FORCE_PATH_STYLE: 'true' });
const start = (script: string, vars: Record<string, string>) =>
  startChild(['--import', 'tsx', script], { cwd: root, env: { ...env, ...vars }, ready: /listening on (http:\/\/\S+)/i });
const ferry = await start('src/node.ts', {
  PORT: '0',
  HOST: '127.0.0.1',
  FERRY_KEYS: `bench:${randomBytes(32).toString('base64')}`,
  FERRY_APPS: JSON.stringify([BENCH_APP]),
  ...s3Vars('ferry'),
});
const peer = await start('bench/servers/tus.ts', { ...s3Vars('tus'), TMPDIR: dir, TUS_PART_SIZE: String(MIN_PART_SIZE) });

interface Contender {
  name: string;
  pid: number;
  endpoint: string;
  remove(url: string, fileUrl: string | null): Promise<void>;
}
const ferryUrl = ferry.ready[1]!.replace(/\/$/, '');
const peerUrl = peer.ready[1]!.replace(/\/$/, '');
const contenders: Contender[] = [
  {
    name: 'Ferry /v1/tus',
    pid: ferry.pid,
    endpoint: `${ferryUrl}/v1/tus?key=${BENCH_APP.key}`,
    remove: async (_url, fileUrl) => void (await fetch(fileUrl!, { method: 'DELETE' })),
  },
  {
    name: '@tus/server + @tus/s3-store',
    pid: peer.pid,
    endpoint: `${peerUrl}/files`,
    remove: async (url) => {
      const id = new URL(url).pathname.split('/').pop()!;
      await s3.send(new DeleteObjectsCommand({ Bucket: 'tus', Delete: { Objects: [{ Key: id }, { Key: `${id}.info` }] } }));
    },
  },
];

async function writeFile(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  for (let o = 0; o < size; o += 4 * MiB) {
    if (!out.write(randomBytes(Math.min(4 * MiB, size - o)))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error) => (e ? j(e) : r())));
}

function tusUpload(c: Contender, path: string, size: number): Promise<{ url: string; fileUrl: string | null }> {
  return new Promise((resolve, reject) => {
    let fileUrl: string | null = null;
    const upload = new Upload(createReadStream(path), {
      endpoint: c.endpoint,
      uploadSize: size,
      ...(chunkSize ? { chunkSize } : {}),
      metadata: { filename: 'bench.bin', filetype: 'application/octet-stream' },
      onAfterResponse: (_req, res) => {
        fileUrl = res.getHeader('Ferry-File-URL') ?? fileUrl;
      },
      onError: reject,
      onSuccess: () => resolve({ url: upload.url!, fileUrl }),
    });
    upload.start();
  });
}

const rows: string[] = [];
try {
  for (const size of sizes) {
    const path = join(dir, `${size}.bin`);
    await writeFile(path, size);
    const samples = new Map(contenders.map((c) => [c.name, { mbps: [] as number[], cpu: [] as number[], s3cpu: [] as number[], peak: [] as number[] }]));
    for (let round = 0; round < runs; round++) {
      for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        const meter = new Meter([c.pid, s3Child.pid]);
        const began = performance.now();
        const done = await tusUpload(c, path, size);
        const seconds = (performance.now() - began) / 1000;
        const { cpu, peak } = meter.read();
        const s = samples.get(c.name)!;
        s.mbps.push(size / 1e6 / seconds);
        s.cpu.push(cpu[0]! / (size / GiB));
        s.s3cpu.push(cpu[1]! / (size / GiB));
        s.peak.push(peak[0]! / MiB);
        await c.remove(done.url, done.fileUrl);
        process.stderr.write(`bench/tus: ${c.name} ${size / MiB} MiB round ${round + 1}: ${(size / 1e6 / seconds).toFixed(0)} MB/s\n`);
      }
    }
    rmSync(path);
    const ferryMbps = median(samples.get(contenders[0]!.name)!.mbps);
    for (const c of contenders) {
      const s = samples.get(c.name)!;
      const ratio = c === contenders[0] ? '' : `${(ferryMbps / median(s.mbps)).toFixed(2)}× (Ferry / this)`;
      rows.push(
        `| tus upload into S3${chunkSize ? `, ${chunkMiB} MiB chunks` : ', one body'} | ${size >= GiB ? `${size / GiB} GiB` : `${size / MiB} MiB`} | ${c.name} | ${median(s.mbps).toFixed(0)} | ${ratio} | ${median(s.cpu).toFixed(2)} | ${median(s.s3cpu).toFixed(2)} | ${Math.max(...s.peak).toFixed(0)} |`,
      );
    }
  }
} finally {
  await ferry.stop();
  await peer.stop();
  await s3Child.stop();
  s3.destroy();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`tus bench, ${runs} rounds, part size ${MIN_PART_SIZE} B, tus-js-client reading a file, ${new Date().toISOString()}`);
console.log('| what | size | contender | MB/s | ratio | CPU s/GiB | s3rver CPU s/GiB | peak RSS MiB |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
