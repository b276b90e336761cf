// Which remote sources this deployment offers, built from the environment by both adapters.
// Links are always on. A cloud provider is on when FERRY_<PROVIDER>_CLIENT_ID and
// _CLIENT_SECRET are set; its endpoints default to the public cloud and each can be pointed
// elsewhere (sovereign clouds, the loopback fakes in tests) with FERRY_<PROVIDER>_*_URL.
import { ConfigError, type Env } from '../config.js';
import { boxSource, BOX_DEFAULTS } from './box/index.js';
import { dropboxSource, DROPBOX_DEFAULTS } from './dropbox/index.js';
import { googleDriveSource, GOOGLE_DRIVE_DEFAULTS } from './google-drive/index.js';
import { oneDriveSource, ONEDRIVE_DEFAULTS } from './onedrive/index.js';
import { fetchConnector, type Connector } from './url/connector.js';
import { linkSource } from './url/index.js';
import type { AccountSource, Fetch, Source, SourceName } from './types.js';

export interface SourceRegistry {
  /** Enabled sources, links first. */
  readonly all: readonly Source[];
  get(name: string): Source | undefined;
}

/** No remote sources at all: what an app built without a registry offers. */
export const NO_SOURCES: SourceRegistry = { all: [], get: () => undefined };

export interface BuildOptions {
  /** For provider APIs (not links); defaults to the platform fetch. */
  fetch?: Fetch;
  now?: () => Date;
  /** FERRY_URL_ALLOWLIST as readConfig checked it (the composition passes it); default: read from `env`. */
  allowlist?: readonly string[];
}

/** Environment variables that configure each provider, for docs and error messages. */
export const PROVIDER_ENV = {
  dropbox: { prefix: 'FERRY_DROPBOX', urls: { authUrl: 'AUTH_URL', tokenUrl: 'TOKEN_URL', apiUrl: 'API_URL', contentUrl: 'CONTENT_URL' } },
  'google-drive': { prefix: 'FERRY_GOOGLE_DRIVE', urls: { authUrl: 'AUTH_URL', tokenUrl: 'TOKEN_URL', apiUrl: 'API_URL' } },
  onedrive: { prefix: 'FERRY_ONEDRIVE', urls: { authUrl: 'AUTH_URL', tokenUrl: 'TOKEN_URL', apiUrl: 'API_URL' } },
  box: { prefix: 'FERRY_BOX', urls: { authUrl: 'AUTH_URL', tokenUrl: 'TOKEN_URL', apiUrl: 'API_URL' } },
} as const;

/** FERRY_URL_ALLOWLIST as the link guard uses it (readConfig validates the same variable). */
export function parseAllowlist(env: Env): string[] {
  return (env.FERRY_URL_ALLOWLIST ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * The enabled sources. `connector` reaches links; it defaults to the platform fetch with the
 * literal-address and name checks (Workers). Node passes its resolving connector.
 */
export function buildSources(env: Env, connector?: Connector, options: BuildOptions = {}): SourceRegistry {
  const fetchFn: Fetch = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? (() => new Date());
  const allowlist = options.allowlist ? [...options.allowlist] : parseAllowlist(env);
  const sources: Source[] = [linkSource({ connector: connector ?? fetchConnector({ allowlist }), allowlist })];

  const dropbox = providerConfig(env, 'dropbox', DROPBOX_DEFAULTS);
  if (dropbox) sources.push(dropboxSource(dropbox, fetchFn, now));
  const drive = providerConfig(env, 'google-drive', GOOGLE_DRIVE_DEFAULTS);
  if (drive) sources.push(googleDriveSource(drive, fetchFn, now));
  const onedrive = providerConfig(env, 'onedrive', ONEDRIVE_DEFAULTS);
  if (onedrive) sources.push(oneDriveSource(onedrive, fetchFn, now));
  const box = providerConfig(env, 'box', BOX_DEFAULTS);
  if (box) sources.push(boxSource(box, fetchFn, now));

  const byName = new Map<string, Source>(sources.map((s) => [s.name, s]));
  return { all: sources, get: (name) => byName.get(name) };
}

function providerConfig<D extends Record<string, string>>(
  env: Env,
  name: Exclude<SourceName, 'url'>,
  defaults: D,
): (D & { clientId: string; clientSecret: string }) | undefined {
  const { prefix, urls } = PROVIDER_ENV[name];
  const value = (v: string) => env[v]?.trim() || undefined;
  const clientId = value(`${prefix}_CLIENT_ID`);
  const clientSecret = value(`${prefix}_CLIENT_SECRET`);
  if (!clientId && !clientSecret) {
    for (const suffix of Object.values(urls)) {
      if (value(`${prefix}_${suffix}`)) {
        throw new ConfigError(`${prefix}_${suffix}`, `is set but ${prefix}_CLIENT_ID is not; set both to enable ${name}`);
      }
    }
    return undefined;
  }
  if (!clientId) throw new ConfigError(`${prefix}_CLIENT_ID`, `is required with ${prefix}_CLIENT_SECRET`);
  if (!clientSecret) throw new ConfigError(`${prefix}_CLIENT_SECRET`, `is required with ${prefix}_CLIENT_ID`);
  const out: Record<string, string> = { ...defaults, clientId, clientSecret };
  for (const [field, suffix] of Object.entries(urls) as [string, string][]) {
    const variable = `${prefix}_${suffix}`;
    const raw = value(variable);
    if (raw === undefined) continue;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(variable, `expected an absolute http(s) URL, got ${JSON.stringify(raw)}`);
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash || url.username) {
      throw new ConfigError(variable, 'expected an http(s) URL without query, fragment or credentials');
    }
    out[field] = url.href.replace(/\/+$/, '');
  }
  return out as D & { clientId: string; clientSecret: string };
}

export function accountSource(registry: SourceRegistry, name: string): AccountSource | undefined {
  const s = registry.get(name);
  return s && s.name !== 'url' ? (s as AccountSource) : undefined;
}
