// Where does workerd's memory go when an R2 object is downloaded through a Worker on Miniflare's
// local R2? Starts bench/servers/r2-readers.ts in workerd on its own local R2, stores objects of
// the given sizes (one put of the native body, one put through a JavaScript stream, or 8 MiB parts), and reads each back with each
// reader while sampling the workerd process's RSS every 20 ms; prints baseline, peak and growth.
//   npx tsx bench/r2-memory.ts [--sizes=64,512] [--readers=native,slow,js,large,ferry] [--layouts=single,jsfixed,multi]
import { request } from 'node:http';
import { join } from 'node:path';
import { buildModule, startWorkerd } from '../test/edge/workerd.js';
import { MiB, download } from './lib/http.js';
import { childPids, cpuSeconds, rssBytes } from './lib/proc.js';

const arg = (name: string, fallback: string) => (process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback).split(',');
const sizes = arg('sizes', '64,512').map(Number);
const readers = arg('readers', 'native,slow,js,large,ferry');
const layouts = arg('layouts', 'single,jsfixed,multi');

function put(url: string, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'PUT', agent: false, headers: { 'content-length': String(size) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`PUT ${res.statusCode}`))));
    }).on('error', reject);
    const piece = Buffer.alloc(MiB, 7);
    let left = size;
    const write = () => {
      while (left > 0) {
        left -= MiB;
        if (!req.write(piece)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

const before = new Set(childPids(process.pid, 'workerd'));
const worker = await startWorkerd({}, { r2: true, bundle: buildModule(join(import.meta.dirname, 'servers', 'r2-readers.ts')) });
const pid = childPids(process.pid, 'workerd').find((p) => !before.has(p))!;
const gc = () => new Promise((r) => setTimeout(r, 1500));
try {
  for (const layout of layouts) {
    for (const size of sizes) {
      const key = `${layout}-${size}`;
      const cpuPut = cpuSeconds(pid);
      const t0 = performance.now();
      await put(`${worker.url}/${layout.replace('+large', '')}/${key}${layout.endsWith('+large') ? '?large' : ''}`, size * MiB);
      console.log([layout, `${size} MiB`, 'put   ', `${((size * MiB) / 1e6 / ((performance.now() - t0) / 1000)).toFixed(0)} MB/s`, `cpu ${(((cpuSeconds(pid) - cpuPut) / size) * 1024).toFixed(1)} s/GiB`].join('  '));
      for (const reader of readers) {
        await gc();
        const baseline = rssBytes(pid);
        let peak = baseline;
        const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
        const cpu = cpuSeconds(pid);
        const r = await download(`${worker.url}/${reader}/${key}`).catch((e: Error) => ({ status: 0, bytes: 0, seconds: NaN, error: e.message }));
        clearInterval(timer);
        const got = reader === 'slow' ? 'counted' : `${(r.bytes / MiB).toFixed(0)} MiB`;
        console.log(
          [layout, `${size} MiB`, reader.padEnd(6), `status ${r.status}`, got, `${((size * MiB) / 1e6 / r.seconds).toFixed(0)} MB/s`,
            `cpu ${(((cpuSeconds(pid) - cpu) / size) * 1024).toFixed(1)} s/GiB`,
            `rss ${(baseline / MiB).toFixed(0)} -> ${(peak / MiB).toFixed(0)} MiB (+${((peak - baseline) / MiB).toFixed(0)})`,
            'error' in r ? r.error : ''].join('  '),
        );
      }
      await fetch(`${worker.url}/x/${key}`, { method: 'DELETE' });
    }
  }
} finally {
  await worker.dispose();
}
