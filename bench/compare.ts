// Two builds of Ferry side by side on one kind of transfer, interleaved, nothing else running:
// the current checkout against another one (a `git archive` of an older commit, node_modules
// linked). Prints MB/s and CPU seconds per GiB of each server's main thread and of its other
// threads (libuv's pool, V8's GC helpers), read from /proc/<pid>/task.
//
//   node --import tsx bench/compare.ts <upload|download> <fs|s3> [MiB=256] [rounds=4] --baseline=DIR [--fresh]
// --fresh: downloads read a file uploaded (unmeasured) just before, not the same file each time.
import { readFileSync, readdirSync } from 'node:fs';
import { BENCH_APP, startEnvironment } from './lib/environment.js';
import { MiB, download, upload } from './lib/http.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const baselineRoot = process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
const fresh = process.argv.includes('--fresh');
const [mode = 'download', store = 'fs', sizeMiB = '256', roundsArg = '4'] = args;
if (!baselineRoot || !['upload', 'download'].includes(mode) || !['fs', 's3'].includes(store)) {
  console.error('usage: compare.ts <upload|download> <fs|s3> [MiB] [rounds] --baseline=DIR');
  process.exit(2);
}

function threadCpu(pid: number): { main: number; other: number } {
  let main = 0;
  let other = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(rest[11]) + Number(rest[12])) / 100;
    if (tid === String(pid)) main += seconds;
    else other += seconds;
  }
  return { main, other };
}

const env = await startEnvironment({ baselineRoot });
const size = Number(sizeMiB) * MiB;
const rounds = Number(roundsArg);
const builds = [
  { name: 'current', server: store === 's3' ? env.ferryS3 : env.ferryFs },
  { name: 'baseline', server: store === 's3' ? env.baseline!.ferryS3 : env.baseline!.ferryFs },
];
try {
  const totals = builds.map(() => ({ seconds: 0, main: 0, other: 0 }));
  const urls: string[] = [];
  const put = async (url: string) => {
    const res = await upload(`${url}/v1/files?key=${BENCH_APP.key}&filename=bench.bin`, size);
    if (res.status !== 201) throw new Error(`upload: HTTP ${res.status} ${res.body}`);
    return { seconds: res.seconds, url: JSON.parse(res.body).url as string };
  };
  for (const b of builds) {
    const stored = await put(b.server.url); // also the warm-up
    urls.push(stored.url);
    await download(stored.url);
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < builds.length; k++) {
      const i = round % 2 ? builds.length - 1 - k : k;
      if (fresh && mode === 'download') urls[i] = (await put(builds[i]!.server.url)).url;
      const before = threadCpu(builds[i]!.server.pid);
      const seconds = mode === 'upload' ? (await put(builds[i]!.server.url)).seconds : (await download(urls[i]!)).seconds;
      const after = threadCpu(builds[i]!.server.pid);
      totals[i]!.seconds += seconds;
      totals[i]!.main += after.main - before.main;
      totals[i]!.other += after.other - before.other;
    }
  }
  const gib = (rounds * size) / 1024 ** 3;
  for (const [i, b] of builds.entries()) {
    const t = totals[i]!;
    console.log(
      `${mode} ${store} ${sizeMiB} MiB × ${rounds}, ${b.name.padEnd(8)}: ${((rounds * size) / 1e6 / t.seconds).toFixed(0)} MB/s, ` +
        `CPU s/GiB main ${(t.main / gib).toFixed(2)} + other threads ${(t.other / gib).toFixed(2)}`,
    );
  }
} finally {
  await env.stop();
}
