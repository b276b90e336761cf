// `npm run bench`: Ferry against the floor (what this machine allows) and against a peer, all on
// loopback, in one go, printed as one table. docs/benchmarks.md explains the method and the
// latest figures. The machines are shared and noisy, so every comparison is made within one run:
// contenders take turns round by round (the order rotating), each figure is a median over rounds,
// and each ratio is the median of per-round ratios of two contenders measured back to back.
//
//   npm run bench                 1 MiB, 64 MiB and 1 GiB; a warm-up round, then 5 rounds
//   npm run bench -- --quick      1 MiB and 64 MiB, 3 rounds: under two minutes
//   options: --runs=N  --only=crypto,upload,pick,workers  --no-workers  --sizes=1,64 (MiB)  --json=FILE
//            --ferry-prof=DIR  (the Ferry processes write CPU profiles there when they stop)
//            --baseline=DIR    (also runs Ferry from another checkout, e.g. `git archive` of an
//                               older commit with node_modules linked, as "Ferry before" rows)
import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import type { CryptoRow } from './crypto.js';
import { BENCH_APP, root, startEnvironment, type Environment, type Server } from './lib/environment.js';
import { GiB, MiB, download, expectedSha256, requestJson, upload } from './lib/http.js';
import { Meter, cpuSeconds, startChild } from './lib/proc.js';
import { createS3Client } from '../src/store/s3-client.js';
import { median, medianRatio } from './lib/stats.js';

// ---- options ----------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
const quick = flag('quick');
const runs = Number(value('runs') ?? (quick ? 3 : 5));
const only = value('only')?.split(',');
const want = (section: string) => !only || only.includes(section);
const withWorkers = want('workers') && !flag('no-workers');
const sizes = value('sizes')?.split(',').map((s) => Number(s) * MiB) ?? (quick ? [MiB, 64 * MiB] : [MiB, 64 * MiB, GiB]);
/** Small files go in batches, so that a round takes long enough to time and to read CPU from /proc. */
const batchOf = (size: number) => (size <= MiB ? (quick ? 8 : 16) : size <= 64 * MiB && !quick ? 2 : 1);
/** Stop starting new rounds past this point (each section keeps at least one round). */
const deadline = Date.now() + (quick ? 105_000 : 60 * 60_000);
const RANGE_READS = 5;

// ---- results ----------------------------------------------------------------------------------

interface Row {
  section: string;
  size: string;
  contender: string;
  mbps?: number;
  ratio?: { value: number; vs: string };
  /** CPU seconds per GiB moved: the server, and the S3 backend (s3rver) where there is one. */
  cpu?: number;
  backendCpu?: number;
  peakMiB?: number;
  /** Time to first byte (picks) or latency (range reads), milliseconds. */
  ms?: number;
  note?: string;
}
const rows: Row[] = [];
const notes: string[] = [];

const sizeName = (n: number) => (n >= GiB ? `${n / GiB} GiB` : `${n / MiB} MiB`);
const rotate = <T>(xs: T[], k: number) => xs.map((_, i) => xs[(i + k) % xs.length]!);

// ---- storage: upload, download, range reads ---------------------------------------------------

interface Stored {
  url: string;
  remove(): Promise<void>;
}

interface StoreContender {
  key: string;
  server: Server;
  /** The S3 backend's pid, whose CPU is counted beside the server's. */
  backend?: number;
  /** The contender ratios are taken against. */
  floor?: string;
  /** Its bucket on the bench's s3rver, whose request log counts its store requests per file. */
  bucket?: string;
  range: boolean;
  upload(size: number): Promise<Stored>;
}

function expectStatus(what: string, status: number, ok: number[], body?: unknown) {
  if (!ok.includes(status)) throw new Error(`${what}: HTTP ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`);
}

function ferryContender(key: string, server: Server, floor: string, backend?: number, bucket?: string): StoreContender {
  return {
    key,
    server,
    backend,
    floor,
    bucket,
    range: true,
    async upload(size) {
      const res = await upload(`${server.url}/v1/files?key=${BENCH_APP.key}&filename=bench.bin`, size);
      expectStatus(`${server.name} upload`, res.status, [201], res.body);
      const url = JSON.parse(res.body).url as string;
      return {
        url,
        remove: async () => expectStatus('delete', (await requestJson(url, { method: 'DELETE' })).status, [204]),
      };
    },
  };
}

let objectCounter = 0;
function floorContender(key: string, server: Server, backend?: number, bucket?: string): StoreContender {
  return {
    key,
    server,
    backend,
    bucket,
    range: true,
    async upload(size) {
      const url = `${server.url}/o/bench-${objectCounter++}`;
      const res = await upload(url, size, { method: 'PUT' });
      expectStatus(`${server.name} upload`, res.status, [201], res.body);
      return { url, remove: async () => expectStatus('delete', (await requestJson(url, { method: 'DELETE' })).status, [204]) };
    },
  };
}

/**
 * The tus protocol as a client speaks it: create the upload, then send the bytes in one PATCH.
 * Clean-up deletes the object and its `.info` straight from the bucket: tus's own DELETE first
 * aborts the (finished) multipart upload, which S3 and s3rver refuse.
 */
function tusContender(key: string, server: Server, backend: number, floor: string, s3: S3Client): StoreContender {
  const tus = { 'tus-resumable': '1.0.0' };
  return {
    key,
    server,
    backend,
    floor,
    bucket: 'tus',
    range: false,
    async upload(size) {
      const created = await requestJson(`${server.url}/files`, { method: 'POST', headers: { ...tus, 'upload-length': String(size) } });
      expectStatus('tus create', created.status, [201], created.json);
      const url = new URL(created.headers.location!, server.url).href;
      const res = await upload(url, size, {
        method: 'PATCH',
        headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      });
      expectStatus('tus patch', res.status, [204], res.body);
      const id = new URL(url).pathname.split('/').pop()!;
      return {
        url,
        remove: async () => {
          await s3.send(new DeleteObjectsCommand({ Bucket: 'tus', Delete: { Objects: [{ Key: id }, { Key: `${id}.info` }] } }));
        },
      };
    },
  };
}

interface Samples {
  mbps: number[];
  cpu: number[];
  backendCpu: number[];
  peak: number[];
}
const newSamples = (): Samples => ({ mbps: [], cpu: [], backendCpu: [], peak: [] });

/** Runs `work` (which moves `bytes`) under a meter on the contender's processes. */
async function metered(pids: number[], bytes: number, work: () => Promise<number>, into?: Samples): Promise<void> {
  // Whatever an earlier transfer left in the page cache is written back now, not while this
  // one is measured (the kernel's writeback would otherwise land on whoever comes next).
  spawnSync('sync');
  const meter = new Meter(pids);
  const seconds = await work();
  const { cpu, peak } = meter.read();
  if (!into) return;
  into.mbps.push(bytes / 1e6 / seconds);
  into.cpu.push(cpu[0]! / (bytes / GiB));
  if (pids.length > 1) into.backendCpu.push(cpu[1]! / (bytes / GiB));
  into.peak.push(peak[0]! / MiB);
}

async function storageBench(contenders: StoreContender[]): Promise<void> {
  const label = (c: StoreContender) => c.server.name;
  let held: Map<string, Stored> | undefined;
  for (const size of sizes) {
    const batch = batchOf(size);
    const up = new Map(contenders.map((c) => [c.key, newSamples()]));
    const down = new Map(contenders.map((c) => [c.key, newSamples()]));
    let rounds = 0;
    for (let round = -1; round < runs; round++) {
      if (round > 0 && Date.now() > deadline) {
        notes.push(`upload/download ${sizeName(size)}: stopped after ${rounds} rounds (time limit)`);
        break;
      }
      const warm = round < 0;
      const order = rotate(contenders, round + 1);
      const stored = new Map<string, Stored[]>();
      for (const c of order) {
        const pids = [c.server.pid, ...(c.backend ? [c.backend] : [])];
        const files: Stored[] = [];
        await metered(pids, size * batch, async () => {
          const t0 = performance.now();
          for (let i = 0; i < batch; i++) files.push(await c.upload(size));
          return (performance.now() - t0) / 1000;
        }, warm ? undefined : up.get(c.key));
        stored.set(c.key, files);
      }
      for (const c of order) {
        const pids = [c.server.pid, ...(c.backend ? [c.backend] : [])];
        await metered(pids, size * batch, async () => {
          const t0 = performance.now();
          for (const f of stored.get(c.key)!) {
            const res = await download(f.url, { hash: warm });
            expectStatus(`${label(c)} download`, res.status, [200]);
            if (res.bytes !== size) throw new Error(`${label(c)} download: ${res.bytes} bytes, expected ${size}`);
            if (warm && res.sha256 !== expectedSha256(size)) throw new Error(`${label(c)} download: wrong bytes`);
          }
          return (performance.now() - t0) / 1000;
        }, warm ? undefined : down.get(c.key));
      }
      // The largest size keeps one file per contender from its latest round, for the range reads.
      const largest = size === sizes.at(-1);
      if (largest) {
        for (const f of held?.values() ?? []) await f.remove();
        held = new Map(contenders.map((c) => [c.key, stored.get(c.key)![0]!]));
      }
      for (const c of contenders) {
        for (const f of stored.get(c.key)!) if (!largest || f !== held!.get(c.key)) await f.remove();
      }
      if (!warm) rounds++;
    }
    for (const [section, samples] of [['upload', up], ['download', down]] as const) {
      for (const c of contenders) {
        const s = samples.get(c.key)!;
        const floor = c.floor ? samples.get(c.floor) : undefined;
        const floorName = c.floor ? contenders.find((x) => x.key === c.floor)!.server.name : '';
        rows.push({
          section,
          size: sizeName(size) + (batch > 1 ? ` ×${batch}` : ''),
          contender: label(c),
          mbps: median(s.mbps),
          ratio: floor ? { value: medianRatio(s.mbps, floor.mbps), vs: floorName } : undefined,
          cpu: median(s.cpu),
          backendCpu: s.backendCpu.length ? median(s.backendCpu) : undefined,
          peakMiB: Math.max(...s.peak),
        });
      }
    }
    process.stderr.write(`bench: upload/download ${sizeName(size)} done (${rounds} rounds)\n`);
  }
  if (held) await rangeBench(contenders, held);
}

/** Latency of a 1 MiB Range read from the middle of the largest file (not chunk-aligned). */
async function rangeBench(contenders: StoreContender[], files: Map<string, Stored>): Promise<void> {
  const size = sizes.at(-1)!;
  const start = Math.floor(size / 2) + 12_345;
  const end = start + MiB - 1;
  const samples = new Map(contenders.map((c) => [c.key, [] as number[]]));
  for (let round = -1; round < runs; round++) {
    if (round > 0 && Date.now() > deadline) break;
    for (const c of rotate(contenders, round + 1)) {
      if (!c.range) continue;
      const times: number[] = [];
      for (let i = 0; i < RANGE_READS; i++) {
        const res = await download(files.get(c.key)!.url, { headers: { range: `bytes=${start}-${end}` }, hash: round < 0 });
        expectStatus(`${c.server.name} range`, res.status, [206]);
        if (res.bytes !== MiB) throw new Error(`${c.server.name} range: ${res.bytes} bytes`);
        if (round < 0 && res.sha256 !== expectedSha256(MiB, start)) throw new Error(`${c.server.name} range: wrong bytes`);
        times.push(res.seconds * 1000);
      }
      if (round >= 0) samples.get(c.key)!.push(median(times));
    }
  }
  for (const c of contenders) {
    const s = samples.get(c.key)!;
    const floor = c.floor ? samples.get(c.floor) : undefined;
    rows.push({
      section: 'range read',
      size: `1 MiB of ${sizeName(size)}`,
      contender: c.server.name,
      ms: c.range ? median(s) : undefined,
      ratio: c.range && floor ? { value: medianRatio(s, floor), vs: `${contenders.find((x) => x.key === c.floor)!.server.name} (latency)` } : undefined,
      note: c.range ? undefined : 'serves no Range',
    });
  }
  for (const f of files.values()) await f.remove();
}

/** One entry of the bench s3rver's request log (bench/servers/s3rver.mjs). */
interface LoggedRequest {
  seq: number;
  method: string;
  bucket: string;
  key: string;
  query: string;
  range?: string;
}

/** What the S3 backend served one contender while `act` ran: "2 (PUT, GET range)". */
async function backendRequests(endpoint: string, bucket: string, act: () => Promise<void>): Promise<string> {
  const mark = (await requestJson(`${endpoint}/_requests?after=${Number.MAX_SAFE_INTEGER}`)).json.seq as number;
  await act();
  const seen = ((await requestJson(`${endpoint}/_requests?after=${mark}`)).json.requests as LoggedRequest[]).filter((r) => r.bucket === bucket);
  const name = (r: LoggedRequest) =>
    (r.method === 'POST' && /uploads/.test(r.query) ? 'CreateMultipart' : r.method === 'POST' && /uploadId/.test(r.query) ? 'CompleteMultipart' : r.method) +
    (/partNumber/.test(r.query) ? ' part' : '') +
    (r.method === 'GET' && /uploadId/.test(r.query) ? ' ListParts' : '') +
    (r.range ? ' range' : '');
  return seen.length === 0 ? '0' : `${seen.length} (${seen.map(name).join(', ')})`;
}

/**
 * Store requests per small file (1 MiB), counted from the S3 backend's own log: one upload, one
 * whole download, one Range read (1 KiB from the middle), per S3 contender.
 */
async function requestBench(endpoint: string, contenders: StoreContender[]): Promise<void> {
  const size = MiB;
  for (const c of contenders) {
    if (!c.bucket) continue;
    let stored: Stored | undefined;
    const upload = await backendRequests(endpoint, c.bucket, async () => {
      stored = await c.upload(size);
    });
    const whole = await backendRequests(endpoint, c.bucket, async () => {
      const res = await download(stored!.url);
      expectStatus(`${c.server.name} download`, res.status, [200]);
    });
    const range = c.range
      ? await backendRequests(endpoint, c.bucket, async () => {
          const res = await download(stored!.url, { headers: { range: `bytes=${size / 2 + 100}-${size / 2 + 1123}` } });
          expectStatus(`${c.server.name} range`, res.status, [206]);
        })
      : 'serves no Range';
    await stored!.remove();
    rows.push({
      section: 'store requests',
      size: sizeName(size),
      contender: c.server.name,
      note: `upload ${upload} / download ${whole} / range ${range}`,
    });
  }
  process.stderr.write('bench: store requests per file done\n');
}

// ---- pick relay -------------------------------------------------------------------------------

async function pickBench(env: Environment): Promise<void> {
  for (const size of sizes) {
    const batch = batchOf(size);
    const origin = `${env.origin.url}/blob/${size}`;
    const pick = await requestJson(`${env.ferryPick.url}/v1/picks?key=${BENCH_APP.key}`, { json: { source: 'url', url: origin } });
    expectStatus('pick', pick.status, [201], pick.json);
    const contenders = [
      { key: 'direct', name: 'direct from the origin', url: origin, pid: env.origin.pid },
      { key: 'proxy', name: env.proxy.name, url: `${env.proxy.url}/blob/${size}`, pid: env.proxy.pid },
      { key: 'ferry', name: env.ferryPick.name, url: pick.json.url as string, pid: env.ferryPick.pid },
    ];
    if (env.baseline) {
      const before = await requestJson(`${env.baseline.ferryPick.url}/v1/picks?key=${BENCH_APP.key}`, { json: { source: 'url', url: origin } });
      expectStatus('pick (before)', before.status, [201], before.json);
      contenders.push({ key: 'before', name: env.baseline.ferryPick.name, url: before.json.url as string, pid: env.baseline.ferryPick.pid });
    }
    const s = new Map(contenders.map((c) => [c.key, { ...newSamples(), ttfb: [] as number[] }]));
    for (let round = -1; round < runs; round++) {
      if (round > 0 && Date.now() > deadline) {
        notes.push(`pick relay ${sizeName(size)}: stopped after ${round} rounds (time limit)`);
        break;
      }
      for (const c of rotate(contenders, round + 1)) {
        const into = round < 0 ? undefined : s.get(c.key)!;
        const ttfb: number[] = [];
        await metered([c.pid], size * batch, async () => {
          let seconds = 0;
          for (let i = 0; i < batch; i++) {
            const res = await download(c.url, { hash: round < 0 });
            expectStatus(`${c.name}`, res.status, [200]);
            if (res.bytes !== size || (round < 0 && res.sha256 !== expectedOrigin(size))) throw new Error(`${c.name}: wrong bytes`);
            seconds += res.seconds;
            ttfb.push(res.ttfbMs);
          }
          return seconds;
        }, into);
        into?.ttfb.push(median(ttfb));
      }
    }
    const get = (k: string) => s.get(k)!;
    for (const c of contenders) {
      const x = get(c.key);
      const vs = c.key === 'ferry' || c.key === 'before' ? 'proxy' : c.key === 'proxy' ? 'direct' : undefined;
      rows.push({
        section: 'pick relay',
        size: sizeName(size) + (batch > 1 ? ` ×${batch}` : ''),
        contender: c.name,
        mbps: median(x.mbps),
        ratio: vs ? { value: medianRatio(x.mbps, get(vs).mbps), vs: contenders.find((y) => y.key === vs)!.name } : undefined,
        cpu: c.key === 'direct' ? undefined : median(x.cpu),
        peakMiB: c.key === 'direct' ? undefined : Math.max(...x.peak),
        ms: median(x.ttfb),
        note:
          c.key === 'ferry' || c.key === 'before'
            ? `TTFB +${median(x.ttfb.map((t, i) => t - get('proxy').ttfb[i]!)).toFixed(2)} ms vs proxy, +${median(x.ttfb.map((t, i) => t - get('direct').ttfb[i]!)).toFixed(2)} ms vs direct`
            : c.key === 'direct'
              ? 'origin, no relay'
              : undefined,
      });
    }
    process.stderr.write(`bench: pick relay ${sizeName(size)} done\n`);
  }
}

// The origin serves its own random block, which the bench does not know: hash one download of it
// directly and compare the relays' bytes with that.
const originHashes = new Map<number, string>();
function expectedOrigin(size: number): string {
  return originHashes.get(size)!;
}
async function learnOrigin(env: Environment): Promise<void> {
  for (const size of sizes) {
    const res = await download(`${env.origin.url}/blob/${size}`, { hash: true });
    originHashes.set(size, res.sha256!);
  }
}

// ---- encryption alone -------------------------------------------------------------------------

async function cryptoBench(): Promise<void> {
  const child = await startChild(['--import', 'tsx', 'bench/crypto.ts', ...(quick ? ['--quick'] : [])], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    ready: /^(\[.*\])$/,
    timeoutMs: 10 * 60_000,
  });
  const results = JSON.parse(child.ready[1]!) as CryptoRow[];
  await child.stop();
  const anchor64 = results[0]!;
  const anchor16 = results[1]!;
  const anchorDecrypt = results[3]!;
  for (const r of results) {
    const isFerry = r.name.startsWith('Ferry');
    const vs = r.name.includes('decrypt') ? anchorDecrypt : anchor64;
    rows.push({
      section: 'encryption, one core',
      size: quick ? '64 MiB' : '256 MiB',
      contender: r.name,
      mbps: r.mbPerCpuSecond,
      ratio: isFerry ? { value: r.mbPerCpuSecond / vs.mbPerCpuSecond, vs: vs === anchor64 ? 'per 64 KiB buffer' : 'decipher per 16 KiB' } : undefined,
      note:
        isFerry && vs === anchor64
          ? `${(r.mbPerCpuSecond / anchor16.mbPerCpuSecond).toFixed(2)}× node:crypto per 16 KiB chunk`
          : `${r.mbPerSecond.toFixed(0)} MB/s wall`,
    });
  }
  process.stderr.write('bench: encryption done\n');
}

// ---- the table --------------------------------------------------------------------------------

const SECTIONS = ['encryption, one core', 'upload', 'download', 'range read', 'store requests', 'pick relay'];

function table(): string {
  rows.sort((a, b) => SECTIONS.indexOf(a.section) - SECTIONS.indexOf(b.section));
  const f = (x: number | undefined, digits = 0) => (x === undefined || !Number.isFinite(x) ? '' : x.toFixed(digits));
  const header = ['what', 'size', 'contender', 'MB/s', 'ratio', 'CPU s/GiB', 's3rver CPU s/GiB', 'peak RSS MiB', 'ms', 'note'];
  const lines = rows.map((r) => [
    r.section,
    r.size,
    r.contender,
    f(r.mbps),
    r.ratio ? `${r.ratio.value.toFixed(2)}× ${r.ratio.vs}` : '',
    f(r.cpu, 2),
    f(r.backendCpu, 2),
    f(r.peakMiB),
    f(r.ms, 1),
    r.note ?? '',
  ]);
  const out = [header, header.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`);
  return out.join('\n');
}

function machineBusy(): { total: number; idle: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0) / 100;
  return { total, idle: (cpu[3]! + cpu[4]!) / 100 };
}

// ---- main -------------------------------------------------------------------------------------

const began = new Date();
const load0 = loadavg()[0]!;
const busy0 = machineBusy();
const self0 = process.cpuUsage();
let ours = 0; // CPU seconds of the processes this run started, measured as they stop

if (want('crypto')) await cryptoBench();
let env: Environment | undefined;
if (want('upload') || want('pick') || withWorkers) {
  env = await startEnvironment({
    ferryNodeArgs: value('ferry-prof') ? ['--cpu-prof', `--cpu-prof-dir=${value('ferry-prof')}`] : [],
    baselineRoot: value('baseline'),
  });
  const s3 = createS3Client({ endpoint: env.s3Endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
  try {
    // Link picks first: they write nothing, and later the disk is busy writing back what the
    // uploads left in the page cache.
    if (want('pick')) {
      await learnOrigin(env);
      await pickBench(env);
    }
    if (want('upload') || withWorkers) {
      const contenders: StoreContender[] = [];
      if (want('upload')) {
        contenders.push(
          ferryContender('ferry-fs', env.ferryFs, 'floor-fs'),
          floorContender('floor-fs', env.floorFs),
          ferryContender('ferry-s3', env.ferryS3, 'floor-s3', env.s3rver.pid, 'ferry'),
          floorContender('floor-s3', env.floorS3, env.s3rver.pid, 'floor'),
          tusContender('tus', env.tus, env.s3rver.pid, 'floor-s3', s3),
        );
        if (env.baseline) {
          contenders.push(
            ferryContender('before-fs', env.baseline.ferryFs, 'floor-fs'),
            ferryContender('before-s3', env.baseline.ferryS3, 'floor-s3', env.s3rver.pid, 'baseline'),
          );
        }
      }
      if (withWorkers) {
        if (!want('upload')) contenders.push(floorContender('floor-s3', env.floorS3, env.s3rver.pid, 'floor'));
        contenders.push(ferryContender('worker', await env.worker(), 'floor-s3', env.s3rver.pid, 'worker'));
        // The R2 binding: Ferry's Worker against a floor Worker on the same kind of binding. Both
        // processes hold their local R2 too (Miniflare runs it inside workerd), so their CPU
        // and memory include R2's share; the difference is Ferry's.
        contenders.push(ferryContender('worker-r2', await env.workerR2(), 'floor-r2'), floorContender('floor-r2', await env.floorR2()));
      }
      await storageBench(contenders);
      await requestBench(env.s3Endpoint, contenders);
    }
  } finally {
    for (const s of env.all()) {
      try {
        ours += cpuSeconds(s.pid);
      } catch {
        // already gone
      }
    }
    s3.destroy();
    await env.stop();
  }
}

const busy1 = machineBusy();
const self = process.cpuUsage(self0);
ours += (self.user + self.system) / 1e6;
const elapsed = (Date.now() - began.getTime()) / 1000;
const machineCpu = busy1.total - busy0.total - (busy1.idle - busy0.idle);
const foreign = Math.max(0, machineCpu - ours);
const cores = cpus().length;

const summary = [
  `Ferry benchmark, ${began.toISOString()}: ${cpus()[0]?.model.trim()} × ${cores}, Node ${process.version}, ${quick ? 'quick, ' : ''}` +
    `a warm-up round then ${runs} rounds, medians; ${elapsed.toFixed(0)} s.`,
  `Other processes on the machine used ${foreign.toFixed(0)} CPU-seconds meanwhile (${((100 * foreign) / (elapsed * cores)).toFixed(0)}% of its ${cores} cores; ` +
    `load average ${load0.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end).`,
  'MB = 10^6 bytes. Ratios are medians of per-round ratios; "×N" sizes are N files one after another per round.',
  ...notes,
];
console.log(summary.join('\n') + '\n\n' + table());
const jsonPath = value('json');
if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ began, quick, runs, sizes, elapsed, foreignCpuSeconds: foreign, rows, notes }, null, 2));
