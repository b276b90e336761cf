// The Cloudflare Workers adapter: the sibling of src/node.ts. It reads configuration from the
// Worker's vars, secrets and bindings, checks what only Workers require, and has src/compose.ts
// build the same app with the WebCrypto provider and a bucket store; then it hands requests to it
// and runs the Cron sweep. `wrangler.toml` points here.
//
// The bucket, in this order: the R2 binding FERRY_BUCKET (`[[r2_buckets]]` in wrangler.toml), no
// credentials needed, the AWS SDK never loaded; with S3_BUCKET and an R2 token pair beside it,
// part URLs of upload sessions are presigned through R2's S3 API for that same bucket. Without
// the binding, S3_BUCKET and its credentials (AWS S3, or R2 through its S3 API), the SDK then
// loaded on first use. A missing or bad setting answers every request with a 500 naming it (and
// logs it), since a Worker has no start-up to fail. Cloudflare caps request bodies by plan
// (FERRY_CF_PLAN): the app learns that cap as `platformBodyLimit`, so an oversized streaming
// upload gets a 413 naming the plan. Files themselves may be larger (FERRY_MAX_FILE_BYTES, 10 GiB
// by default, as on Node): upload sessions send their bytes in parts.
import type { Hono } from 'hono';
import { getConnInfo } from 'hono/cloudflare-workers';
import { composeFerry } from './compose.js';
import { ConfigError, readConfig, type Env, type FerryConfig } from './config.js';
import type { AppEnv } from './context.js';
import { webCrypto } from './crypto/aead.js';
import { errorBody } from './errors.js';
import type { ObjectStore } from './store/object-store.js';
import { largeChunks } from './store/large-chunks.js';
import { R2Store, type R2BucketLike } from './store/r2-store.js';
import type { BucketStore } from './store/s3-bucket.js';
import { sweepExpired } from './store/sweep.js';

/** The parts of Workers' ExecutionContext this adapter uses. */
export interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}

export interface PlanLimit {
  /** How the 413 message names it. */
  name: string;
  /** The request-body limit, in bytes. */
  bytes: number;
  /** How far the zone's owner can raise it themselves (Enterprise: "Maximum Upload Size"). */
  raisableTo?: number;
}

/**
 * Cloudflare's request-body limits by plan (developers.cloudflare.com/workers/platform/limits).
 * They belong to the zone's plan, not the Workers plan. Counted in decimal megabytes: of the two
 * readings of "100 MB" this is the smaller, so Ferry never accepts an upload the edge would cut off.
 */
export const CLOUDFLARE_PLANS = {
  free: { name: "Cloudflare's Free plan", bytes: 100_000_000 },
  pro: { name: "Cloudflare's Pro plan", bytes: 100_000_000 },
  business: { name: "Cloudflare's Business plan", bytes: 200_000_000 },
  enterprise: { name: "Cloudflare's Enterprise plan", bytes: 500_000_000, raisableTo: 5_000_000_000 },
} as const satisfies Record<string, PlanLimit>;

export type CloudflarePlan = keyof typeof CLOUDFLARE_PLANS;

/** Files may be as large as on Node: the plan limits request bodies, and sessions send none. */
const NODE_DEFAULT_MAX_FILE_BYTES = 10 * 1024 ** 3;

/** Below the 8 MiB from which the AWS SDK's browser build hashes payloads in JavaScript. */
const WORKER_PART_SIZE = 7 * 1024 * 1024;

/** The R2 binding's name in wrangler.toml (not exported: a Worker module exports only handlers and objects). */
const BUCKET_BINDING = 'FERRY_BUCKET';

/** What a Worker receives: vars and secrets (strings) and its bindings. */
export type WorkerEnv = Env & { [BUCKET_BINDING]?: unknown };

function isBucket(value: unknown): value is R2BucketLike {
  const b = value as Partial<R2BucketLike> | null;
  return typeof b === 'object' && b !== null && typeof b.put === 'function' && typeof b.createMultipartUpload === 'function';
}

/** The bucket store from the binding, or from S3_BUCKET through the AWS SDK (imported only then). */
async function bucketFor(env: WorkerEnv, config: FerryConfig): Promise<BucketStore> {
  const binding = env[BUCKET_BINDING];
  if (binding !== undefined && !isBucket(binding)) {
    throw new ConfigError(BUCKET_BINDING, 'is bound, but not to an R2 bucket: declare it under [[r2_buckets]] in wrangler.toml');
  }
  const s3 = config.s3;
  if (s3 && !s3.accessKeyId) {
    throw new ConfigError('S3_ACCESS_KEY_ID', 'is required with S3_BUCKET on Cloudflare Workers (with S3_SECRET_ACCESS_KEY, as secrets)');
  }
  if (binding) {
    // An R2 token pair beside the binding: the same bucket's S3 API presigns part URLs, so
    // session parts go straight to R2, and lists them (the binding cannot).
    const api = s3 ? (await import('./store/s3-bucket.js')).openS3Bucket(s3, { log: console.log }) : undefined;
    const store = new R2Store({ bucket: binding, prefix: s3?.prefix, ...(api ? { partsApi: api.store } : {}) });
    // The binding cannot read the bucket's lifecycle rules; R2's S3 API can, when configured.
    return { store, checkLifecycle: api ? api.checkLifecycle : () => Promise.resolve(null) };
  }
  if (!s3) {
    throw new ConfigError(
      BUCKET_BINDING,
      'is required on Cloudflare Workers, which have no local disk: bind an R2 bucket as FERRY_BUCKET ([[r2_buckets]] in wrangler.toml), or set S3_BUCKET and its credentials for S3',
    );
  }
  return (await import('./store/s3-bucket.js')).openS3Bucket(s3, { partSize: WORKER_PART_SIZE, log: console.log });
}

export function planLimit(env: Env): PlanLimit {
  const raw = env.FERRY_CF_PLAN?.trim().toLowerCase() || 'free';
  if (!Object.hasOwn(CLOUDFLARE_PLANS, raw)) {
    throw new ConfigError('FERRY_CF_PLAN', `expected free, pro, business or enterprise, got ${JSON.stringify(env.FERRY_CF_PLAN)}`);
  }
  return CLOUDFLARE_PLANS[raw as CloudflarePlan];
}

export interface WorkerFerry {
  app: Hono<AppEnv>;
  store: ObjectStore;
  config: FerryConfig;
  /** The clock the app and the sweep share. */
  now: () => Date;
  /** Reads the bucket's lifecycle rule; resolves with a warning line, or null when it keeps the promise. */
  checkLifecycle(): Promise<string | null>;
}

/** Reads and checks the Worker's configuration, throwing a ConfigError naming the first bad variable. */
export async function buildFerry(env: WorkerEnv): Promise<WorkerFerry> {
  const plan = planLimit(env);
  // The plan caps request bodies, so it caps streaming uploads (POST/PUT /v1/files), not files:
  // an upload session's bytes go to the bucket, never through the Worker (docs/uploads.md).
  const config = readConfig(env, { maxFileBytes: NODE_DEFAULT_MAX_FILE_BYTES, dataDir: '' });
  const bucket = await bucketFor(env, config);
  let limit: PlanLimit = plan;
  // An Enterprise zone may raise its Maximum Upload Size (up to 5 GB): FERRY_MAX_FILE_BYTES above
  // the plan's default then says streaming uploads may be that large too.
  if (plan.raisableTo !== undefined && env.FERRY_MAX_FILE_BYTES !== undefined && config.maxFileBytes > plan.bytes) {
    limit = { name: `the Maximum Upload Size of ${plan.name}`, bytes: Math.min(config.maxFileBytes, plan.raisableTo) };
  }
  const { app, store, now, checkLifecycle } = composeFerry(config, env, {
    crypto: webCrypto,
    defaultKeyring: () => {
      throw new ConfigError('FERRY_KEYS', 'is required on Cloudflare Workers: add it with `wrangler secret put FERRY_KEYS` (kid:base64key, 32-byte keys)');
    },
    defaultApps: () => {
      throw new ConfigError('FERRY_APPS', 'is required on Cloudflare Workers: a JSON array of apps, inline (`wrangler secret put FERRY_APPS`)');
    },
    // No readFile: Workers have no files, so "@file.json" is refused with a clear message.
    // S3 mode: 7 MiB parts, two in flight, so an upload holds about 14 MiB, well under 128 MB.
    // Not the default 8 MiB: the SDK hashes each part for its signature with WebCrypto only
    // below 8 MiB, and from 8 MiB on in plain JavaScript, about a third of an upload's CPU time
    // in workerd (docs/benchmarks.md). The binding signs nothing: R2Store's 8 MiB parts.
    bucket,
    // No `limits`: counters in one isolate's memory would mean nothing across Cloudflare's many
    // isolates. Rate limits at the edge belong to Cloudflare's rate-limiting rules.
    platformBodyLimit: { name: limit.name, bytes: limit.bytes },
    getConnInfo,
    requestLog: (entry) => console.log(JSON.stringify(entry)),
    onUnexpectedError: (e) => console.error('ferry: unexpected error:', e),
    log: (line) => console.log(line),
  });
  return { app, store, config, now, checkLifecycle };
}

// One Ferry per isolate and env object: the env a Worker receives is the same object on every
// request until its vars or secrets change, so a new env means a new build.
const built = new WeakMap<object, Promise<WorkerFerry | ConfigError>>();

function ferryFor(env: WorkerEnv): Promise<WorkerFerry | ConfigError> {
  let entry = built.get(env);
  if (!entry) {
    entry = buildFerry(env).catch((e: unknown) => {
      if (e instanceof ConfigError) return e;
      built.delete(env);
      throw e;
    });
    built.set(env, entry);
  }
  return entry;
}

// workerd sends a streamed body chunked and drops its Content-Length unless the stream is a
// FixedLengthStream. Through one, downloads keep their length, and a body that fails part-way
// (a damaged chunk, the store going away) ends the response short, which the client sees as a
// broken transfer rather than a clean end.
declare class FixedLengthStream extends TransformStream<Uint8Array, Uint8Array> {
  constructor(expectedLength: number | bigint);
}

function withDeclaredLength(response: Response): Response {
  const length = response.headers.get('content-length');
  if (!response.body || length === null || !/^\d{1,15}$/.test(length)) return response;
  const fixed = new FixedLengthStream(Number(length));
  response.body.pipeTo(fixed.writable).catch(() => {});
  return new Response(fixed.readable, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * The request with its body read in 256 KiB pieces instead of workerd's 4 KiB ones
 * (src/store/large-chunks.ts): the same headers (Content-Length included), method and signal.
 */
function withLargeChunks(request: Request): Request {
  if (!request.body) return request;
  return new Request(request, { body: largeChunks(request.body), signal: request.signal } as RequestInit);
}

function misconfigured(error: ConfigError): Response {
  console.error(`ferry: ${error.message}`);
  return new Response(errorBody('internal_error', `Ferry is not configured: ${error.message}`), {
    status: 500,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-content-type-options': 'nosniff' },
  });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<Response> {
    const ferry = await ferryFor(env);
    if (ferry instanceof ConfigError) return misconfigured(ferry);
    const response = Promise.resolve(ferry.app.fetch(withLargeChunks(request), env, ctx as never));
    // If the client goes away mid-upload, keep the isolate until the clean-up (deleting what
    // was written, aborting the multipart upload) has run.
    ctx.waitUntil(response.catch(() => {}));
    return response.then(withDeclaredLength);
  },

  /**
   * Cron Trigger (wrangler.toml): deletes expired objects, and checks the bucket's lifecycle rule
   * (the backstop), which on Node happens at start-up; Workers have no start-up to do it in.
   */
  async scheduled(_controller: unknown, env: WorkerEnv, ctx: WorkerContext): Promise<void> {
    const ferry = await ferryFor(env);
    if (ferry instanceof ConfigError) {
      console.error(`ferry: ${ferry.message}`);
      return;
    }
    ctx.waitUntil(
      sweepExpired(ferry.store, ferry.now()).then(
        (deleted) => deleted > 0 && console.log(`ferry: swept ${deleted} expired objects`),
        (e) => console.error('ferry: sweeping expired files failed:', e),
      ),
    );
    ctx.waitUntil(ferry.checkLifecycle().then((warning) => warning && console.warn(`ferry: ${warning}`)));
  },
};
