// The one wiring of Ferry, for both runtimes: from the configuration and what the runtime
// supplies (its crypto provider, its store for embedded mode, its link connector, its defaults
// for unset keys and apps), it builds the keyring, the apps, the store, the sources and the app,
// all on ONE clock. src/node.ts and src/worker.ts only read their platform and call this.
//
// Web APIs only, like the app: nothing here imports process or node:*; what is Node-only (the
// FsStore, node:crypto, the resolving connector, the key file) is passed in by the Node adapter.
import type { Hono } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import { createApp } from './app.js';
import { AppRegistry, parseApps, type App } from './apps.js';
import { ConfigError, type Env, type FerryConfig, type S3Config } from './config.js';
import type { AppConfig, AppEnv } from './context.js';
import type { CryptoProvider } from './crypto/aead.js';
import { parseKeyring, type Keyring } from './crypto/keyring.js';
import type { Limits } from './limits.js';
import type { RequestLogger } from './request-log.js';
import { buildSources } from './sources/registry.js';
import type { Connector } from './sources/url/connector.js';
import type { ObjectStore } from './store/object-store.js';
import type { BucketStore } from './store/s3-bucket.js';

/** What a runtime supplies. Everything else is built here, the same way everywhere. */
export interface Platform {
  crypto: CryptoProvider;
  /** The keyring when FERRY_KEYS is unset (Node: the embedded key file); throws a ConfigError where it is required. */
  defaultKeyring(config: FerryConfig): Keyring;
  /** The apps when FERRY_APPS is unset (Node: the embedded dev app); throws a ConfigError where it is required. */
  defaultApps(config: FerryConfig, keyring: Keyring): App[];
  /** Reads `FERRY_APPS=@file.json`; absent where there are no files (Workers), which refuses the form. */
  readFile?: (path: string) => string;
  /** The store when no bucket is configured (Node: the filesystem store). */
  localStore?: (dataDir: string) => ObjectStore;
  /** The store the adapter built itself (Workers: the R2 binding); it wins over S3_BUCKET. */
  bucket?: BucketStore;
  /**
   * Opens the S3 bucket of S3_BUCKET (src/store/s3-bucket.ts `openS3Bucket`). Passed in, not
   * imported, so that the AWS SDK is loaded only where S3 is used (the Worker imports it lazily).
   */
  openS3?: (s3: S3Config, options: { partSize?: number; log: (line: string) => void }) => BucketStore;
  /** S3 part size, when the store's default does not suit the runtime. */
  s3PartSize?: number;
  /** Reaches links (Node: the resolving connector); default: fetch with the literal-address checks. */
  connector?: Connector;
  /** In-memory rate and concurrency limits, where one process sees all requests (Node). */
  limits?: Limits;
  /** A request-body cap set by the platform (Cloudflare's plan), for 413s that name it. */
  platformBodyLimit?: AppConfig['platformBodyLimit'];
  getConnInfo?: GetConnInfo;
  requestLog?: RequestLogger;
  onUnexpectedError?: (error: unknown) => void;
  /** Where notes about the bucket go (one line each). */
  log: (line: string) => void;
  now?: () => Date;
}

export interface ComposedFerry {
  app: Hono<AppEnv>;
  store: ObjectStore;
  keyring: Keyring;
  /** The clock the app, the sources and the sweeper share. */
  now: () => Date;
  /** Reads the bucket's lifecycle rule: a warning line, or null when it keeps the promise (or there is no bucket). */
  checkLifecycle(): Promise<string | null>;
}

export function composeFerry(config: FerryConfig, env: Env, platform: Platform): ComposedFerry {
  const now = platform.now ?? (() => new Date());
  const keyring = config.keys ? keyringFrom(config.keys) : platform.defaultKeyring(config);
  const apps = config.apps ? parseApps(config.apps, platform.readFile) : platform.defaultApps(config, keyring);
  const { store, checkLifecycle } = storeFor(config, platform);
  const app = createApp({
    store,
    keyring,
    crypto: platform.crypto,
    now,
    apps: new AppRegistry(apps, config.defaultApp),
    sources: buildSources(env, platform.connector, { now, allowlist: config.urlAllowlist }),
    limits: platform.limits,
    requestLog: platform.requestLog,
    getConnInfo: platform.getConnInfo,
    config: appConfig(config, platform.platformBodyLimit),
    onUnexpectedError: platform.onUnexpectedError,
  });
  return { app, store, keyring, now, checkLifecycle };
}

/** FERRY_KEYS, with a bad value reported against the variable. */
export function keyringFrom(keys: string): Keyring {
  try {
    return parseKeyring(keys);
  } catch (e) {
    throw new ConfigError('FERRY_KEYS', (e as Error).message);
  }
}

function storeFor(config: FerryConfig, platform: Platform): Pick<ComposedFerry, 'store' | 'checkLifecycle'> {
  if (platform.bucket) return platform.bucket;
  const s3 = config.s3;
  if (!s3) {
    if (!platform.localStore) throw new ConfigError('S3_BUCKET', 'is required here, where there is no local disk');
    return { store: platform.localStore(config.dataDir), checkLifecycle: () => Promise.resolve(null) };
  }
  if (!platform.openS3) throw new ConfigError('S3_BUCKET', 'is set, but this runtime was started without S3 support');
  return platform.openS3(s3, { partSize: platform.s3PartSize, log: platform.log });
}

function appConfig(config: FerryConfig, platformBodyLimit: AppConfig['platformBodyLimit']): AppConfig {
  return {
    publicUrl: config.publicUrl,
    ttlSeconds: config.ttlSeconds,
    maxFileBytes: config.maxFileBytes,
    ...(platformBodyLimit ? { platformBodyLimit } : {}),
    rateLimitPerMinute: config.rateLimitPerMinute,
    maxConcurrentUploads: config.maxConcurrentUploads,
    uploadPace: { bytesPerSecond: config.minUploadBytesPerSecond, windowMs: config.minUploadWindowSeconds * 1000 },
  };
}
