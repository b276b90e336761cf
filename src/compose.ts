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
import { ConfigError, type Env, type FerryConfig } from './config.js';
import type { AppConfig, AppEnv } from './context.js';
import type { CryptoProvider } from './crypto/aead.js';
import { parseKeyring, type Keyring } from './crypto/keyring.js';
import type { Limits } from './limits.js';
import type { RequestLogger } from './request-log.js';
import { buildSources } from './sources/registry.js';
import type { Connector } from './sources/url/connector.js';
import { checkLifecycle } from './store/lifecycle-check.js';
import type { ObjectStore } from './store/object-store.js';
import { createS3Client } from './store/s3-client.js';
import { S3Store } from './store/s3-store.js';

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
  const s3 = config.s3;
  if (!s3) {
    if (!platform.localStore) throw new ConfigError('S3_BUCKET', 'is required here, where there is no local disk');
    return { store: platform.localStore(config.dataDir), checkLifecycle: () => Promise.resolve(null) };
  }
  const client = createS3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: s3.forcePathStyle,
    idleTimeoutMs: s3.timeoutSeconds * 1000,
  });
  return {
    store: new S3Store({ client, bucket: s3.bucket, prefix: s3.prefix, partSize: platform.s3PartSize }),
    // The one-day promise also rests on the bucket's lifecycle rule: the adapter says when it is missing.
    checkLifecycle: () => checkLifecycle(client, s3.bucket, s3.prefix, { onUnchecked: (note) => platform.log(`ferry: ${note}`) }),
  };
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
