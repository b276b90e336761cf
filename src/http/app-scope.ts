// Who is calling /v1/*: the app named by its public key (?key= or X-Ferry-Key), or the
// deployment's default app when none is named, checked against the page's Origin, answered for
// CORS (preflights here, the allow headers on the way out), and counted against its request rate.
// It leaves the request's scope (the app, its tenant, its limits) in the context, where every
// route reads it.
import type { MiddlewareHandler } from 'hono';
import { originAllowed, type App, type AppRegistry } from '../apps.js';
import type { AppConfig, AppEnv, RequestScope } from '../context.js';
import { FerryError, errorResponse, type ErrorCode } from '../errors.js';
import { tenantFor } from '../files.js';
import type { Limits } from '../limits.js';
import { TUS_REQUEST_HEADERS, TUS_RESPONSE_HEADERS } from '../tus/protocol.js';

const CORS_ALLOW_HEADERS = `content-type, range, if-range, if-none-match, authorization, x-ferry-key, x-ferry-policy, x-ferry-signature, ${TUS_REQUEST_HEADERS}`;
const CORS_EXPOSE_HEADERS = `etag, content-range, content-length, content-disposition, content-type, location, retry-after, x-request-id, ${TUS_RESPONSE_HEADERS}`;

/** Refusals anyone who knows the public key can provoke: they spend the refused budget. */
const REFUSED_FOR_AUTH: ReadonlySet<string> = new Set<ErrorCode>([
  'missing_secret',
  'unknown_secret',
  'missing_policy',
  'malformed_policy',
  'invalid_signature',
  'policy_expired',
  'policy_call_denied',
  'policy_handle_denied',
]);

export interface AppScopeOptions {
  apps: AppRegistry;
  config: AppConfig;
  /** Rate limits, when this runtime enforces them (Node). */
  limits?: Limits;
  now: () => Date;
}

export function appScope({ apps, config, limits, now }: AppScopeOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header('origin');
    const key = c.req.query('key') ?? c.req.header('x-ferry-key');
    const named = key === undefined ? undefined : apps.byPublicKey(key);
    if (origin) c.header('vary', 'Origin', { append: true });

    if (c.req.method === 'OPTIONS' && origin && c.req.header('access-control-request-method')) {
      // A preflight cannot show its key when the key travels in a header, and a mistyped key must
      // still reach the request that reads `unknown_key`: so an origin of any app may go on to the
      // real check, and only a known key narrows the answer to that app's origins.
      const allowed = named ? originAllowed(named, origin) : apps.anyAllows(origin);
      if (!allowed) throw new FerryError('origin_not_allowed', 'This origin is not allowed for this app.');
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
          'access-control-allow-headers': CORS_ALLOW_HEADERS,
          'access-control-max-age': '600',
          vary: 'Origin',
        },
      });
    }
    // Refusals of the key or origin are readable by pages of any registered origin, so a widget
    // can tell its developer what is wrong; they carry nothing but the error.
    const refuse = (err: FerryError) => {
      c.set('errorCode', err.code);
      const res = errorResponse(err);
      if (origin && apps.anyAllows(origin)) {
        res.headers.set('access-control-allow-origin', origin);
        res.headers.set('vary', 'Origin');
      }
      return res;
    };
    if (key !== undefined && !named) return refuse(new FerryError('unknown_key', 'No app has this key.'));
    if (origin && named && !originAllowed(named, origin)) {
      return refuse(new FerryError('origin_not_allowed', `The origin ${origin} is not allowed for this app.`));
    }
    // A request naming no app is the default app's (FERRY_DEFAULT_APP), under its rules: a page
    // on an origin that app does not allow is not its caller, and stays without an app.
    const fallback = apps.defaultApp;
    const found = named ?? (key === undefined && fallback && (!origin || originAllowed(fallback, origin)) ? fallback : undefined);
    c.set('scope', scopeFor(found, config));
    if (found && limits) {
      limits.takeRequest(found.name, found.rateLimitPerMinute ?? config.rateLimitPerMinute, now().getTime());
    }
    await next();
    const refused = c.get('errorCode');
    if (found && limits && refused !== undefined && REFUSED_FOR_AUTH.has(refused)) {
      // Refused for want of a valid policy or secret: counted against the app's budget for such
      // requests, not the one its authorised calls need (limits.ts).
      try {
        limits.chargeRefused(found.name, found.rateLimitPerMinute ?? config.rateLimitPerMinute, now().getTime());
      } catch (e) {
        if (!(e instanceof FerryError)) throw e;
        c.set('errorCode', e.code);
        c.res = errorResponse(e);
      }
    }
    if (origin && (found ? originAllowed(found, origin) : apps.anyAllows(origin))) {
      c.res.headers.set('access-control-allow-origin', origin);
      c.res.headers.set('access-control-expose-headers', CORS_EXPOSE_HEADERS);
    }
  };
}

/** The limits of a request from `found` (or from no app): the tighter of the app's and Ferry's. */
export function scopeFor(found: App | undefined, config: AppConfig): RequestScope {
  return {
    app: found,
    tenant: tenantFor(found?.name),
    maxFileBytes: Math.min(found?.maxFileBytes ?? Infinity, config.maxFileBytes),
    ttlSeconds: Math.min(found?.ttlSeconds ?? Infinity, config.ttlSeconds),
  };
}
