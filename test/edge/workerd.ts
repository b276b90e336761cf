// Runs Ferry's Worker in real workerd for tests, the way Cloudflare runs it: the bundle that
// `wrangler deploy` uploads (built with `--dry-run --outdir`, so the test exercises the deployed
// artifact, wrangler.toml's alias included), under wrangler.toml's compatibility date and flags
// and its [vars], with the test's vars on top as secrets would be. Miniflare serves it on
// 127.0.0.1 with no proxy in front.
//
// Why not wrangler's `unstable_startWorker`: it also runs real workerd, but puts a dev-only
// ProxyWorker and a request-body-draining middleware in front of the Worker. Through them a
// response sent before the request body has been read (a 413 for a declared Content-Length, a
// 400 for a bad ?ttl) does not reach the client until the whole body has been sent, which the
// Cloudflare edge does not do; the plan-limit test hung on it.
//
// With `r2`, the Worker gets its R2 binding (FERRY_BUCKET) on Miniflare's local R2, which keeps
// its objects in a temporary directory (workerd's own R2 simulator, in the same process); the
// test sees that bucket through `bucket()`.
//
// Nothing here talks to the network: wrangler runs with metrics, its banner's update check and
// the `cf` fetch turned off, and Miniflare with `cf: false`.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import type { R2BucketLike } from '../../src/store/r2-store.js';

export const projectRoot = join(import.meta.dirname, '..', '..');

/** Environment for every wrangler invocation in tests: no outbound calls. */
export const OFFLINE_WRANGLER_ENV = {
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
};

export interface WorkerBundle {
  dir: string;
  /** File names in `dir`, as wrangler wrote them. */
  files: string[];
  /** wrangler's own summary line: "Total Upload: … KiB / gzip: … KiB". */
  summary: string;
}

/** `wrangler deploy --dry-run --outdir <dir>`: what `npm run build:worker` does, into a temporary directory. */
export async function buildWorker(outdir = mkdtempSync(join(tmpdir(), 'ferry-worker-'))): Promise<WorkerBundle> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(projectRoot, 'node_modules', 'wrangler', 'bin', 'wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir],
    { cwd: projectRoot, env: { ...process.env, ...OFFLINE_WRANGLER_ENV }, maxBuffer: 4 * 1024 * 1024 },
  );
  const summary = /Total Upload: .*/.exec(stdout)?.[0] ?? '';
  return { dir: outdir, files: readdirSync(outdir), summary };
}

/** Bundles one Worker module with esbuild (a test or bench Worker, not Ferry's), into a temporary directory. */
export async function buildModule(entry: string): Promise<WorkerBundle> {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'ferry-module-'));
  await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'neutral', target: 'es2022', outfile: join(dir, 'index.js'), logLevel: 'error' });
  const built = { dir, files: readdirSync(dir), summary: '' };
  process.once('exit', () => removeBundle(built));
  return built;
}

let bundle: Promise<WorkerBundle> | undefined;
/** One build per test process, shared by every worker it starts. */
function sharedBundle(): Promise<WorkerBundle> {
  if (!bundle) {
    bundle = buildWorker();
    bundle.then((b) => process.once('exit', () => removeBundle(b)), () => {});
  }
  return bundle;
}

interface ProjectConfig {
  compatibilityDate: string;
  compatibilityFlags: string[];
  vars: Record<string, string>;
}

let projectConfig: Promise<ProjectConfig> | undefined;
function readProjectConfig(): Promise<ProjectConfig> {
  projectConfig ??= (async () => {
    Object.assign(process.env, OFFLINE_WRANGLER_ENV);
    const { unstable_readConfig } = await import('wrangler');
    const config = unstable_readConfig({ config: join(projectRoot, 'wrangler.toml') });
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(config.vars ?? {})) if (typeof v === 'string') vars[k] = v;
    return {
      compatibilityDate: config.compatibility_date!,
      compatibilityFlags: config.compatibility_flags ?? [],
      vars,
    };
  })();
  return projectConfig;
}

export interface RunningWorker {
  /** `http://127.0.0.1:port`, no trailing slash. */
  url: string;
  /** What the Worker printed (console.log, console.error), request-log lines included. */
  output(): string;
  /** Runs the Worker's cron handler once, as a Cron Trigger would. */
  scheduled(): Promise<void>;
  /** The Worker's R2 bucket, seen from Node (only with `r2`). */
  bucket(): Promise<R2BucketLike>;
  dispose(): Promise<void>;
}

/**
 * Starts the Worker with wrangler.toml's [vars] overlaid by `vars`. A var set to `undefined`
 * removes the wrangler.toml default, as if the variable had never been set.
 */
export interface WorkerdOptions {
  /** Bind Miniflare's local R2 as FERRY_BUCKET. */
  r2?: boolean;
  /** Another bundle than Ferry's (the bench's floor Worker, the store-ops test Worker). */
  bundle?: Promise<WorkerBundle>;
}

export async function startWorkerd(vars: Record<string, string | undefined>, options: WorkerdOptions = {}): Promise<RunningWorker> {
  const [{ dir, files }, config] = await Promise.all([options.bundle ?? sharedBundle(), readProjectConfig()]);
  const r2Dir = options.r2 ? mkdtempSync(join(tmpdir(), 'ferry-r2-')) : undefined;
  const bindings: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...config.vars, ...vars })) if (v !== undefined) bindings[k] = v;
  const main = files.find((f) => f.endsWith('.js'))!;
  let out = '';
  const forward = (stream: Readable, to: NodeJS.WriteStream) =>
    stream.on('data', (d: Buffer) => {
      const text = d.toString();
      out += text;
      // Request-log lines are for operators; tests read them through output(). Anything else
      // (a ConfigError, an unexpected error) shows in the test run, as on Node.
      const rest = text
        .split('\n')
        .filter((line) => line.trim() && !line.startsWith('{"time":'))
        .join('\n');
      if (rest) to.write(rest + '\n');
    });
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: join(dir, main) }],
    modulesRoot: dir,
    compatibilityDate: config.compatibilityDate,
    compatibilityFlags: config.compatibilityFlags,
    bindings,
    host: '127.0.0.1',
    port: 0,
    cf: false,
    ...(r2Dir ? { r2Buckets: { FERRY_BUCKET: 'ferry-files' }, r2Persist: r2Dir } : {}),
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      forward(stdout, process.stdout);
      forward(stderr, process.stderr);
    },
  });
  let url: URL;
  try {
    url = await mf.ready;
  } catch (e) {
    await mf.dispose().catch(() => {});
    if (r2Dir) rmSync(r2Dir, { recursive: true, force: true });
    throw e;
  }
  return {
    url: url.origin,
    output: () => out,
    scheduled: async () => {
      // A Fetcher from workers-types, which this project does not install: type what we call.
      const worker = (await mf.getWorker()) as unknown as { scheduled(options: { cron: string }): Promise<unknown> };
      await worker.scheduled({ cron: '17 * * * *' });
    },
    bucket: async () => {
      if (!r2Dir) throw new Error('this Worker was started without R2');
      return (await mf.getR2Bucket('FERRY_BUCKET')) as unknown as R2BucketLike;
    },
    dispose: async () => {
      await mf.dispose();
      if (r2Dir) rmSync(r2Dir, { recursive: true, force: true });
    },
  };
}

/** Removes a bundle built by buildWorker. */
export function removeBundle(b: WorkerBundle): void {
  rmSync(b.dir, { recursive: true, force: true });
}
