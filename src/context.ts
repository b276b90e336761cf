// What every route module shares: the injected dependencies and the per-request scope.
// The scope is where a request's limits and storage tenant come from; the apps issue fills it
// from the calling app instead of the open default.
import type { CryptoProvider } from './crypto/aead.js';
import type { Keyring } from './crypto/keyring.js';
import type { GetConnInfo } from 'hono/conninfo';
import type { App, AppRegistry } from './apps.js';
import type { FilesDeps, Tenant } from './files.js';
import type { Limits } from './limits.js';
import type { RequestLogger } from './request-log.js';
import type { ObjectStore } from './store/object-store.js';
import type { UploadPace } from './upload-pace.js';
import type { SourceRegistry } from './sources/registry.js';

export interface AppConfig {
  /** Absolute base URL for file URLs; when unset, the request's own origin. */
  publicUrl?: string;
  ttlSeconds: number;
  maxFileBytes: number;
  /** A hard cap on request bodies set by the platform (Cloudflare's plan limit), for clear 413s. */
  platformBodyLimit?: { bytes: number; name: string };
  /** Default per-app request budget, when `limits` are enforced. */
  rateLimitPerMinute: number;
  /** Default per-app uploads in progress, when `limits` are enforced. */
  maxConcurrentUploads: number;
  /** The floor under upload bodies' speed (upload-pace.ts); none when absent. */
  uploadPace?: UploadPace;
}

export interface AppDeps {
  store: ObjectStore;
  keyring: Keyring;
  crypto: CryptoProvider;
  config: AppConfig;
  apps: AppRegistry;
  /** In-memory rate and concurrency limits (Node); absent in Workers. */
  limits?: Limits;
  /** Receives one entry per request; see request-log.ts for what it never contains. */
  requestLog?: RequestLogger;
  /** The runtime's connection info (hono's getConnInfo), for the client's address (never logged whole). */
  getConnInfo?: GetConnInfo;
  /** The one clock: file lifetimes, policies, sealed tokens, rate limits and provider token expiry. */
  now?: () => Date;
  /** Receives unexpected errors (never request contents). */
  onUnexpectedError?: (error: unknown) => void;
  /** Remote sources (links, cloud providers); none when absent. */
  sources?: SourceRegistry;
}

/** The limits one request is held to, and where its files live. */
export interface RequestScope {
  /** The calling app, once identified by its key (undefined on routes that need none). */
  app?: App;
  tenant: Tenant;
  maxFileBytes: number;
  ttlSeconds: number;
}

/** What route modules receive: the dependencies with the clock, the sources and the files domain resolved once. */
export interface RouteDeps extends AppDeps {
  now: () => Date;
  sources: SourceRegistry;
  files: FilesDeps;
}

export type AppEnv = {
  Variables: {
    scope: RequestScope;
    requestId: string;
    /** For the log line: body bytes received, file id concerned, error code answered. */
    bytesIn?: number;
    fileId?: string;
    errorCode?: string;
  };
};
