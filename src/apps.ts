// Applications that embed Ferry, from FERRY_APPS. Each app has a public key (sent by its
// widget), a secret that never leaves its servers (signs policies, lists and deletes its
// files), the exact origins its pages are served from, and its own limits. Every file is
// stored under its app's prefix and sealed with its app's name, so one app's key, policy or
// secret can never reach another app's files.
import { ConfigError, EMBEDDED_APP_NAME, MAX_TTL_SECONDS } from './config.js';
import { SOURCE_NAMES } from './sources/types.js';

export type PolicyCall = 'store' | 'read' | 'remove' | 'pick';

/** An application that embeds Ferry (FERRY_APPS). `key` is public; `secret` stays on its servers. */
export interface App {
  name: string;
  key: string;
  secret: string;
  /** Exact origins allowed for CORS and OAuth hand-back, like "https://app.example". */
  origins: string[];
  maxFileBytes?: number;
  ttlSeconds?: number;
  /** Remote sources this app may use; undefined = every enabled one. */
  sources?: string[];
  /** Calls that need a signed policy. */
  requireSignature: PolicyCall[];
  /** Requests per minute (Node, in memory). */
  rateLimitPerMinute?: number;
  /** Uploads in progress at once (Node, in memory). */
  maxConcurrentUploads?: number;
  /** The embedded dev app: any http://localhost origin. */
  localhostOrigins?: boolean;
}

export const POLICY_CALLS: readonly PolicyCall[] = ['store', 'read', 'remove', 'pick'];
/** What an app key looks like: checked when FERRY_APPS is read, and before a key is echoed into a page. */
export const APP_KEY_PATTERN = /^[A-Za-z0-9_-]{3,128}$/;

function fail(problem: string): never {
  throw new ConfigError('FERRY_APPS', problem);
}

/** An exact web origin: scheme://host[:port], nothing else. */
export function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === value;
  } catch {
    return false;
  }
}

/**
 * Parses FERRY_APPS: a JSON array, inline or `@path/to/file.json` (read by the adapter through
 * `readFile`; Workers have no files, so there it must be inline).
 */
export function parseApps(raw: string, readFile?: (path: string) => string): App[] {
  let text = raw.trim();
  if (text.startsWith('@')) {
    if (!readFile) fail('"@file" references are not supported here; put the JSON inline');
    try {
      text = readFile(text.slice(1));
    } catch (e) {
      fail(`cannot read ${text.slice(1)}: ${(e as Error).message}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail('is not valid JSON (expected an array of apps)');
  }
  if (!Array.isArray(json) || json.length === 0) fail('expected a non-empty JSON array of apps');
  const apps = json.map((entry, i) => parseApp(entry, i));
  for (const field of ['name', 'key', 'secret'] as const) {
    const seen = new Set<string>();
    for (const app of apps) {
      if (seen.has(app[field])) fail(`two apps share the same ${field}${field === 'secret' ? '' : ` ${JSON.stringify(app[field])}`}`);
      seen.add(app[field]);
    }
  }
  return apps;
}

function parseApp(entry: unknown, i: number): App {
  const at = `app #${i + 1}`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(`${at} is not an object`);
  const o = entry as Record<string, unknown>;
  const known = ['name', 'key', 'secret', 'origins', 'maxFileBytes', 'ttlSeconds', 'sources', 'requireSignature', 'rateLimitPerMinute', 'maxConcurrentUploads'];
  for (const k of Object.keys(o)) if (!known.includes(k)) fail(`${at} has an unknown field ${JSON.stringify(k)}`);
  const name = o.name;
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,31}$/.test(name)) {
    fail(`${at}: "name" must be 1–32 lower-case letters, digits or dashes`);
  }
  const where = `app ${JSON.stringify(name)}`;
  if (typeof o.key !== 'string' || !APP_KEY_PATTERN.test(o.key)) {
    fail(`${where}: "key" must be 3–128 characters of A-Z a-z 0-9 _ -`);
  }
  if (typeof o.secret !== 'string' || o.secret.length < 16 || o.secret.length > 256) {
    fail(`${where}: "secret" must be 16–256 characters (32 random bytes, base64, is a good secret)`);
  }
  if (o.secret === o.key) fail(`${where}: "secret" must differ from "key"`);
  if (!Array.isArray(o.origins) || !o.origins.every((v) => typeof v === 'string' && isOrigin(v))) {
    fail(`${where}: "origins" must be an array of exact origins like "https://app.example.com"`);
  }
  const positive = (field: string, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const v = o[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > max) fail(`${where}: "${field}" must be a whole number from 1 to ${max}`);
    return v;
  };
  const list = <T extends string>(field: string, allowed: readonly T[]): T[] | undefined => {
    const v = o[field];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => (allowed as readonly string[]).includes(x))) {
      fail(`${where}: "${field}" must be an array of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    }
    return v as T[];
  };
  return {
    name,
    key: o.key,
    secret: o.secret,
    origins: o.origins as string[],
    maxFileBytes: positive('maxFileBytes'),
    ttlSeconds: positive('ttlSeconds', MAX_TTL_SECONDS),
    sources: list('sources', SOURCE_NAMES),
    requireSignature: list('requireSignature', POLICY_CALLS) ?? [],
    rateLimitPerMinute: positive('rateLimitPerMinute'),
    maxConcurrentUploads: positive('maxConcurrentUploads'),
  };
}

/** The embedded default when FERRY_APPS is unset: one app for local development. */
export function devApp(secret: string): App {
  return { name: EMBEDDED_APP_NAME, key: 'dev', secret, origins: [], localhostOrigins: true, requireSignature: [] };
}

const LOCALHOST = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

export function originAllowed(app: App, origin: string): boolean {
  return app.origins.includes(origin) || (app.localhostOrigins === true && LOCALHOST.test(origin));
}

/** Looks apps up by key (public) and by secret (constant-time), and names the default app. */
export class AppRegistry {
  private readonly byKey = new Map<string, App>();
  private lookupKey: Promise<CryptoKey> | undefined;
  /** The app that serves requests naming none (FERRY_DEFAULT_APP), if the deployment has one. */
  readonly defaultApp: App | undefined;
  constructor(
    readonly apps: readonly App[],
    defaultName?: string,
  ) {
    for (const app of apps) this.byKey.set(app.key, app);
    if (defaultName !== undefined) {
      this.defaultApp = apps.find((a) => a.name === defaultName);
      if (!this.defaultApp) {
        const names = apps.map((a) => JSON.stringify(a.name)).join(', ');
        throw new ConfigError('FERRY_DEFAULT_APP', `names no app: ${JSON.stringify(defaultName)} (the apps are ${names})`);
      }
    }
  }
  byPublicKey(key: string): App | undefined {
    return this.byKey.get(key);
  }
  async bySecret(secret: string): Promise<App | undefined> {
    // Both sides are HMACed under a key made for this registry, and crypto.subtle.verify
    // compares the tags in constant time: timing says nothing about the secret's bytes, and no
    // hand-written comparison loop is needed.
    this.lookupKey ??= crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    const key = await this.lookupKey;
    const encode = (s: string) => new TextEncoder().encode(s);
    const given = await crypto.subtle.sign('HMAC', key, encode(secret));
    let found: App | undefined;
    for (const app of this.apps) {
      if (await crypto.subtle.verify('HMAC', key, given, encode(app.secret))) found = app;
    }
    return found;
  }
  /** True when any app allows the origin (for preflights, which carry no key header). */
  anyAllows(origin: string): boolean {
    return this.apps.some((a) => originAllowed(a, origin));
  }
}
