// Everything the benchmark measures, started on 127.0.0.1 as separate processes so that each
// one's CPU time and memory can be read on its own: one s3rver (the S3 backend every S3
// contender shares, one bucket each), Ferry twice (embedded store, S3 store) plus once more for
// link picks, the floor server twice, @tus/server, and the link origin with a raw Node proxy in
// front of it. The Worker runs in workerd (Miniflare) on demand, being slow to build: on S3 (the
// bench's s3rver), and on the R2 binding (Miniflare's local R2) beside the R2 floor Worker
// (bench/servers/r2-floor.ts), each in its own workerd process.
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Client } from '../../src/store/s3-client.js';
import { childPids, startChild, type Child } from './proc.js';

export const root = join(import.meta.dirname, '..', '..');

/** The one app every Ferry instance serves; no rate limit worth the name. */
export const BENCH_APP = {
  name: 'bench',
  key: 'bench-key',
  secret: 'bench-secret-0123456789abcdef0123',
  origins: ['http://localhost'],
  rateLimitPerMinute: 1_000_000,
  maxConcurrentUploads: 64,
};
const FERRY_KEYS = `bench:${randomBytes(32).toString('base64')}`;

const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });

export interface Server {
  name: string;
  url: string;
  pid: number;
  child?: Child;
}

/** Ferry from another checkout (`--baseline=DIR`), to compare a change within one run. */
export interface Baseline {
  ferryFs: Server;
  ferryS3: Server;
  ferryPick: Server;
}

export interface Environment {
  s3rver: Server;
  s3Endpoint: string;
  ferryFs: Server;
  ferryS3: Server;
  ferryPick: Server;
  floorFs: Server;
  floorS3: Server;
  tus: Server;
  origin: Server;
  proxy: Server;
  baseline?: Baseline;
  /** Starts the Worker in workerd on its own bucket (once). */
  worker(): Promise<Server>;
  /** Starts the Worker in workerd on its R2 binding (once). */
  workerR2(): Promise<Server>;
  /** Starts the R2 floor Worker in workerd on its own R2 binding (once). */
  floorR2(): Promise<Server>;
  /** Every process started, for the run's CPU accounting. */
  all(): Server[];
  stop(): Promise<void>;
}

async function node(name: string, script: string, env: Record<string, string>, extraArgs: string[] = [], cwd = root): Promise<Server> {
  const child = await startChild([...extraArgs, '--import', 'tsx', script], {
    cwd,
    env: { ...baseEnv(), ...env },
    ready: /listening on (http:\/\/\S+)/i,
  });
  return { name, url: child.ready[1]!.replace(/\/$/, ''), pid: child.pid, child };
}

function s3Env(bucket: string, endpoint: string): Record<string, string> {
  return {
    S3_BUCKET: bucket,
    S3_ENDPOINT: endpoint,
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/**
 * `nodeArgs` go to every Ferry process (e.g. `--cpu-prof --cpu-prof-dir=…` to profile it;
 * the profile is written when the process exits).
 */
export async function startEnvironment(options: { ferryNodeArgs?: string[]; baselineRoot?: string } = {}): Promise<Environment> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-'));
  const started: Server[] = [];
  const track = (s: Server) => (started.push(s), s);
  const disposers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const d of disposers) await d().catch(() => {});
    for (const s of started.reverse()) await s.child?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const s3Child = await startChild([join(root, 'bench/servers/s3rver.mjs'), join(dir, 's3rver')], {
      cwd: root,
      env: { ...baseEnv(), NODE_OPTIONS: '--openssl-legacy-provider' },
      ready: /"endpoint":"([^"]+)"/,
    });
    const s3rver = track({ name: 's3rver', url: s3Child.ready[1]!, pid: s3Child.pid, child: s3Child });
    const endpoint = s3rver.url;
    const client = createS3Client({ endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
    for (const bucket of ['ferry', 'floor', 'tus', 'worker', 'baseline']) await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();

    const ferryEnv = { PORT: '0', HOST: '127.0.0.1', FERRY_KEYS, FERRY_APPS: JSON.stringify([BENCH_APP]) };
    const ferryArgs = options.ferryNodeArgs ?? [];
    const origin = track(await node('origin', 'bench/servers/origin.ts', {}));
    const originHost = new URL(origin.url).host;
    const [ferryFs, ferryS3, ferryPick, floorFs, floorS3, tus, proxy] = await Promise.all([
      node('Ferry, embedded store', 'src/node.ts', { ...ferryEnv, FERRY_DATA_DIR: join(dir, 'ferry-fs') }, ferryArgs),
      node('Ferry, S3 store', 'src/node.ts', { ...ferryEnv, ...s3Env('ferry', endpoint) }, ferryArgs),
      node('Ferry link pick', 'src/node.ts', { ...ferryEnv, FERRY_DATA_DIR: join(dir, 'ferry-pick'), FERRY_URL_ALLOWLIST: originHost }, ferryArgs),
      node('floor, embedded (fs)', 'bench/servers/floor.ts', { FLOOR_DIR: join(dir, 'floor-fs') }),
      node('floor, S3', 'bench/servers/floor.ts', { S3_BUCKET: 'floor', S3_ENDPOINT: endpoint }),
      node('@tus/server + @tus/s3-store', 'bench/servers/tus.ts', { S3_BUCKET: 'tus', S3_ENDPOINT: endpoint, TMPDIR: join(dir) }),
      node('raw Node proxy', 'bench/servers/proxy.ts', { ORIGIN: origin.url }),
    ]);
    for (const s of [ferryFs, ferryS3, ferryPick, floorFs, floorS3, tus, proxy]) track(s);
    let baseline: Baseline | undefined;
    if (options.baselineRoot) {
      const at = options.baselineRoot;
      const [bFs, bS3, bPick] = await Promise.all([
        node('Ferry before, embedded store', 'src/node.ts', { ...ferryEnv, FERRY_DATA_DIR: join(dir, 'baseline-fs') }, ferryArgs, at),
        node('Ferry before, S3 store', 'src/node.ts', { ...ferryEnv, ...s3Env('baseline', endpoint) }, ferryArgs, at),
        node('Ferry before, link pick', 'src/node.ts', { ...ferryEnv, FERRY_DATA_DIR: join(dir, 'baseline-pick'), FERRY_URL_ALLOWLIST: originHost }, ferryArgs, at),
      ]);
      baseline = { ferryFs: track(bFs), ferryS3: track(bS3), ferryPick: track(bPick) };
    }

    // One workerd at a time starts, so each new process is told apart from the ones before.
    let starting: Promise<unknown> = Promise.resolve();
    const workerd = (name: string, vars: Record<string, string>, options: { r2?: boolean; bundle?: string } = {}): Promise<Server> => {
      const next = starting.then(async () => {
        const { startWorkerd, buildModule } = await import('../../test/edge/workerd.js');
        const before = new Set(childPids(process.pid, 'workerd'));
        const running = await startWorkerd(vars, { r2: options.r2, ...(options.bundle ? { bundle: buildModule(join(root, options.bundle)) } : {}) });
        disposers.push(() => running.dispose());
        const pid = childPids(process.pid, 'workerd').find((p) => !before.has(p));
        if (pid === undefined) throw new Error('cannot find the workerd process');
        return track({ name, url: running.url, pid });
      });
      starting = next.catch(() => {});
      return next;
    };
    // Enterprise with a raised Maximum Upload Size, so that 1 GiB goes through.
    const ferryWorkerVars = { FERRY_KEYS, FERRY_APPS: JSON.stringify([BENCH_APP]), FERRY_CF_PLAN: 'enterprise', FERRY_MAX_FILE_BYTES: String(2 * 1024 ** 3) };
    let worker: Promise<Server> | undefined;
    let workerR2: Promise<Server> | undefined;
    let floorR2: Promise<Server> | undefined;
    return {
      s3rver,
      s3Endpoint: endpoint,
      ferryFs,
      ferryS3,
      ferryPick,
      floorFs,
      floorS3,
      tus,
      origin,
      proxy,
      baseline,
      worker: () => (worker ??= workerd('Ferry in workerd, S3 store', { ...s3Env('worker', endpoint), ...ferryWorkerVars })),
      workerR2: () => (workerR2 ??= workerd('Ferry in workerd, R2 binding', ferryWorkerVars, { r2: true })),
      floorR2: () => (floorR2 ??= workerd('floor Worker, R2 binding', {}, { r2: true, bundle: 'bench/servers/r2-floor.ts' })),
      all: () => [...started],
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
