// Configuration is read from one flat map of strings (process.env on Node, vars and secrets in
// Workers) by one function, so both adapters agree on names, defaults and error messages.
// A bad value stops start-up with a ConfigError naming the variable.

export const MAX_TTL_SECONDS = 86_400;
/** The name of the one app Ferry runs when FERRY_APPS is unset (Node's embedded mode). */
export const EMBEDDED_APP_NAME = 'dev';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface S3Config {
  bucket: string;
  endpoint?: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  /** Key prefix inside the bucket ("" or ending in "/"). */
  prefix: string;
  /** S3_TIMEOUT_SECONDS: how long a connection to S3 may be silent before it counts as failed. */
  timeoutSeconds: number;
}

export interface FerryConfig {
  port: number;
  host?: string;
  /** Absolute base URL used in file JSON (`url`); when unset, taken from each request. */
  publicUrl?: string;
  dataDir: string;
  s3?: S3Config;
  /** Raw FERRY_KEYS; parsed into a keyring by the adapter (which may generate one in embedded mode). */
  keys?: string;
  ttlSeconds: number;
  maxFileBytes: number;
  urlAllowlist: string[];
  /** FERRY_ORIGIN_TIMEOUT_SECONDS: how long a link's origin may keep a pick waiting (connect, headers, each body chunk). */
  originTimeoutSeconds: number;
  /** Raw FERRY_APPS (inline JSON or @file); parsed by apps.ts in the adapter. */
  apps?: string;
  /**
   * The app that serves requests naming none (FERRY_DEFAULT_APP): without FERRY_APPS the embedded
   * `dev` app, so `curl -T` works with nothing set; with FERRY_APPS none unless named.
   */
  defaultApp?: string;
  /** Per-app defaults for the in-memory limits (Node). */
  rateLimitPerMinute: number;
  maxConcurrentUploads: number;
  /** The floor under an upload body's speed (0: none), averaged over each window. */
  minUploadBytesPerSecond: number;
  minUploadWindowSeconds: number;
}

export type Env = Record<string, string | undefined>;

export interface ConfigDefaults {
  maxFileBytes: number;
  dataDir: string;
}

const NODE_DEFAULTS: ConfigDefaults = { maxFileBytes: 10 * 1024 ** 3, dataDir: './.ferry-data' };

function nonEmpty(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${raw}`);
  }
  return n;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(raw)}`);
}

function absoluteUrl(env: Env, name: string): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `expected an absolute http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `expected an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.search || url.hash) throw new ConfigError(name, 'must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

/** FERRY_DEFAULT_APP; checked against the apps once they are read (AppRegistry). */
function defaultAppName(env: Env): string | undefined {
  const named = nonEmpty(env, 'FERRY_DEFAULT_APP');
  if (nonEmpty(env, 'FERRY_APPS')) return named;
  // Without FERRY_APPS the one app is the embedded one: refuse another name before anything
  // (a key file) is written.
  if (named !== undefined && named !== EMBEDDED_APP_NAME) {
    throw new ConfigError('FERRY_DEFAULT_APP', `names no app: ${JSON.stringify(named)} (without FERRY_APPS the only app is "${EMBEDDED_APP_NAME}")`);
  }
  return EMBEDDED_APP_NAME;
}

export function readConfig(env: Env, defaults: ConfigDefaults = NODE_DEFAULTS): FerryConfig {
  const bucket = nonEmpty(env, 'S3_BUCKET');
  let s3: S3Config | undefined;
  if (bucket) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ConfigError('S3_BUCKET', `not a valid bucket name: ${JSON.stringify(bucket)}`);
    }
    const accessKeyId = nonEmpty(env, 'S3_ACCESS_KEY_ID');
    const secretAccessKey = nonEmpty(env, 'S3_SECRET_ACCESS_KEY');
    if (!!accessKeyId !== !!secretAccessKey) {
      throw new ConfigError(
        accessKeyId ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID',
        'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together',
      );
    }
    const prefix = nonEmpty(env, 'S3_PREFIX') ?? '';
    if (prefix && !/^([A-Za-z0-9._-]+\/)+$/.test(prefix)) {
      throw new ConfigError('S3_PREFIX', 'expected path segments ending in "/", like "ferry/"');
    }
    s3 = {
      bucket,
      endpoint: absoluteUrl(env, 'S3_ENDPOINT'),
      region: nonEmpty(env, 'S3_REGION') ?? 'us-east-1',
      accessKeyId,
      secretAccessKey,
      forcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE', false),
      prefix,
      timeoutSeconds: integer(env, 'S3_TIMEOUT_SECONDS', 30, 1, 3600),
    };
  } else {
    for (const name of ['S3_ENDPOINT', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY']) {
      if (nonEmpty(env, name)) throw new ConfigError(name, 'is set but S3_BUCKET is not; set S3_BUCKET to use S3');
    }
  }

  const urlAllowlist = (nonEmpty(env, 'FERRY_URL_ALLOWLIST') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of urlAllowlist) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(entry)) {
      throw new ConfigError('FERRY_URL_ALLOWLIST', `expected host[:port] entries, got ${JSON.stringify(entry)}`);
    }
  }

  return {
    port: integer(env, 'PORT', 8080, 0, 65_535),
    host: nonEmpty(env, 'HOST'),
    publicUrl: absoluteUrl(env, 'FERRY_PUBLIC_URL'),
    dataDir: nonEmpty(env, 'FERRY_DATA_DIR') ?? defaults.dataDir,
    s3,
    keys: nonEmpty(env, 'FERRY_KEYS'),
    ttlSeconds: integer(env, 'FERRY_TTL_SECONDS', MAX_TTL_SECONDS, 1, MAX_TTL_SECONDS),
    maxFileBytes: integer(env, 'FERRY_MAX_FILE_BYTES', defaults.maxFileBytes, 1, Number.MAX_SAFE_INTEGER),
    urlAllowlist,
    originTimeoutSeconds: integer(env, 'FERRY_ORIGIN_TIMEOUT_SECONDS', 30, 1, 3600),
    apps: nonEmpty(env, 'FERRY_APPS'),
    defaultApp: defaultAppName(env),
    rateLimitPerMinute: integer(env, 'FERRY_RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    maxConcurrentUploads: integer(env, 'FERRY_MAX_CONCURRENT_UPLOADS', 16, 1, 10_000),
    minUploadBytesPerSecond: integer(env, 'FERRY_MIN_UPLOAD_BYTES_PER_SECOND', 1024, 0, 1024 ** 3),
    minUploadWindowSeconds: integer(env, 'FERRY_MIN_UPLOAD_WINDOW_SECONDS', 30, 1, 3600),
  };
}
