// Builds Ferry's HTTP app from injected dependencies. Web APIs only (Request, Response,
// ReadableStream, crypto.subtle): the Node and Workers adapters construct the store, keyring,
// crypto provider, apps and clock, and this file never touches a runtime. Route modules live
// in src/routes/; this file holds what wraps every request: the log line, security headers,
// the calling app (key, origin, CORS, rate), and error rendering.
import { Hono, type Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import { originAllowed } from './apps.js';
import type { App, AppDeps, AppEnv, RequestScope } from './context.js';
import { FerryError, errorResponse } from './errors.js';
import { countBody, truncateIp, type RequestLogEntry } from './request-log.js';
import { fileRoutes } from './routes/files.js';
import { appFileRoutes } from './routes/app-files.js';
import { pickRoutes } from './routes/picks.js';
import { sourceRoutes } from './routes/sources.js';
import { widgetRoutes } from './routes/widget.js';

export type { AppConfig, AppDeps } from './context.js';

const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const CORS_ALLOW_HEADERS = 'content-type, range, if-range, if-none-match, authorization, x-ferry-key, x-ferry-policy, x-ferry-signature';
const CORS_EXPOSE_HEADERS = 'etag, content-range, content-length, content-disposition, content-type, location, retry-after, x-request-id';

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config, apps } = deps;
  const now = deps.now ?? (() => new Date());
  const app = new Hono<AppEnv>();
  const secureOrigin = config.publicUrl?.startsWith('https:') ?? false;

  // The request log line, and the headers every response carries.
  app.use('*', async (c, next) => {
    const started = Date.now();
    const requestId = crypto.randomUUID();
    c.set('requestId', requestId);
    await next();
    const h = c.res.headers;
    h.set('x-request-id', requestId);
    h.set('x-content-type-options', 'nosniff');
    h.set('referrer-policy', 'no-referrer');
    if (!h.has('content-security-policy')) h.set('content-security-policy', API_CSP);
    if (secureOrigin || new URL(c.req.url).protocol === 'https:') {
      h.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
    }
    const log = deps.requestLog;
    if (!log) return;
    const entry: RequestLogEntry = {
      time: new Date(started).toISOString(),
      requestId,
      method: c.req.method,
      route: routePattern(c),
      status: c.res.status,
      bytesIn: c.get('bytesIn') ?? (Number(c.req.header('content-length')) || 0),
      bytesOut: 0,
      durationMs: 0,
      app: c.get('scope')?.app?.name,
      fileId: c.get('fileId'),
      client: truncateIp(deps.clientIp?.(c)),
      error: c.get('errorCode'),
    };
    const write = (bytesOut: number, failed: boolean) =>
      log({ ...entry, bytesOut, durationMs: Date.now() - started, ...(failed ? { aborted: true } : {}) });
    if (c.res.body && c.req.method !== 'HEAD') {
      c.res = new Response(countBody(c.res.body, write), c.res);
    } else {
      write(0, false);
    }
  });

  // Identify the calling app from its public key; check its origin; answer CORS; count its rate.
  app.use('/v1/*', async (c, next) => {
    const origin = c.req.header('origin');
    const key = c.req.query('key') ?? c.req.header('x-ferry-key');
    const found = key === undefined ? undefined : apps.byPublicKey(key);
    if (origin) c.header('vary', 'Origin', { append: true });

    if (c.req.method === 'OPTIONS' && origin && c.req.header('access-control-request-method')) {
      const allowed = found ? originAllowed(found, origin) : key === undefined && apps.anyAllows(origin);
      if (!allowed) throw new FerryError('origin_not_allowed', 'This origin is not allowed for this app.');
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': 'GET, HEAD, POST, PUT, DELETE',
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
    if (key !== undefined && !found) return refuse(new FerryError('unknown_key', 'No app has this key.'));
    if (origin && found && !originAllowed(found, origin)) {
      return refuse(new FerryError('origin_not_allowed', `The origin ${origin} is not allowed for this app.`));
    }
    c.set('scope', scopeFor(found));
    if (found && deps.limits) {
      deps.limits.takeRequest(found.name, found.rateLimitPerMinute ?? config.rateLimitPerMinute, now().getTime());
    }
    await next();
    if (origin && (found ? originAllowed(found, origin) : apps.anyAllows(origin))) {
      c.res.headers.set('access-control-allow-origin', origin);
      c.res.headers.set('access-control-expose-headers', CORS_EXPOSE_HEADERS);
    }
  });

  function scopeFor(found: App | undefined): RequestScope {
    return {
      app: found,
      tenant: found ? { name: found.name, prefix: `apps/${found.name}/` } : { name: '', prefix: 'none/' },
      maxFileBytes: Math.min(found?.maxFileBytes ?? Infinity, config.maxFileBytes),
      ttlSeconds: Math.min(found?.ttlSeconds ?? Infinity, config.ttlSeconds),
    };
  }

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.route('/', fileRoutes(deps));
  app.route('/', appFileRoutes(deps));
  app.route('/', sourceRoutes(deps));
  app.route('/', pickRoutes(deps));
  app.route('/', widgetRoutes(deps));

  app.notFound(() => errorResponse(new FerryError('not_found', 'No such route.')));
  app.onError((err, c) => {
    if (err instanceof FerryError) {
      c.set('errorCode', err.code);
      return errorResponse(err);
    }
    c.set('errorCode', 'internal_error');
    deps.onUnexpectedError?.(err);
    return errorResponse(new FerryError('internal_error', 'Something went wrong on our side.'));
  });
  return app;
}

/** The matched route's pattern ("/v1/files/:handle"), never the concrete path. */
function routePattern(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  const handler = routes.find((r) => r.method !== 'ALL');
  if (handler) return handler.path;
  const last = routes.at(-1);
  return last && last.path !== '*' && last.path !== '/v1/*' ? last.path : 'unmatched';
}

/** The app a route needs; 401 when the request named none. */
export function requireApp(c: Context<AppEnv>): App {
  const app = c.get('scope')?.app;
  if (!app) throw new FerryError('missing_key', 'Send your app key as ?key= or the X-Ferry-Key header.');
  return app;
}
