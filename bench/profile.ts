// One kind of transfer, repeated, against the Ferry processes started with `node --cpu-prof`,
// so that their profiles show that path alone (no start-up, no other contender): the evidence
// docs/benchmarks.md cites. Summarise a profile with bench/cpu-profile.ts.
//
//   node --import tsx bench/profile.ts <upload|download> <fs|s3> [MiB=64] [count=8] --out=DIR
// Files for downloads are uploaded first; only the Ferry processes are profiled, and each writes
// its profile when the run stops them. The start-up and the uploads of a download run show up
// in its profile as well: bench/cpu-profile.ts --from=… skips them.
import { mkdirSync } from 'node:fs';
import { BENCH_APP, startEnvironment } from './lib/environment.js';
import { MiB, download, upload } from './lib/http.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const out = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
const [mode = 'download', store = 'fs', sizeMiB = '64', countArg = '8'] = args;
if (!out || !['upload', 'download'].includes(mode) || !['fs', 's3'].includes(store)) {
  console.error('usage: profile.ts <upload|download> <fs|s3> [MiB] [count] --out=DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const env = await startEnvironment({ ferryNodeArgs: ['--cpu-prof', `--cpu-prof-dir=${out}`, '--cpu-prof-interval=200'] });
const server = store === 's3' ? env.ferryS3 : env.ferryFs;
const size = Number(sizeMiB) * MiB;
const count = Number(countArg);
const put = async () => {
  const res = await upload(`${server.url}/v1/files?key=${BENCH_APP.key}&filename=bench.bin`, size);
  if (res.status !== 201) throw new Error(`upload: HTTP ${res.status} ${res.body}`);
  return JSON.parse(res.body).url as string;
};
try {
  const urls: string[] = [];
  if (mode === 'download') for (let i = 0; i < Math.min(count, 4); i++) urls.push(await put());
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    if (mode === 'upload') await put();
    else {
      const res = await download(urls[i % urls.length]!);
      if (res.bytes !== size) throw new Error(`download: ${res.bytes} bytes`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${mode} ${store} ${sizeMiB} MiB × ${count}: ${((count * size) / 1e6 / seconds).toFixed(0)} MB/s; pid ${server.pid}`);
} finally {
  await env.stop();
}
