// Builds Ferry's HTTP app from injected dependencies. Web APIs only (Request, Response,
// ReadableStream, crypto.subtle): src/compose.ts builds the dependencies from configuration for
// both runtimes, and this file never touches one. What wraps every request (security headers,
// the log line, the calling app) lives in src/http/; the routes live in src/routes/. This file
// only puts them in order and renders errors.
import { Hono } from 'hono';
import type { AppDeps, AppEnv, RouteDeps } from './context.js';
import { FerryError, errorResponse } from './errors.js';
import { appScope } from './http/app-scope.js';
import { logRequests } from './http/log-requests.js';
import { securityHeaders } from './http/security-headers.js';
import { appFileRoutes } from './routes/app-files.js';
import { fileRoutes } from './routes/files.js';
import { pickRoutes } from './routes/picks.js';
import { sourceRoutes } from './routes/sources.js';
import { uploadRoutes } from './routes/uploads.js';
import { tusElsewhere, tusRoutes } from './routes/tus.js';
import { widgetRoutes } from './routes/widget.js';
import { NO_SOURCES } from './sources/registry.js';

export type { AppConfig, AppDeps } from './context.js';

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const now = deps.now ?? (() => new Date());
  const routeDeps: RouteDeps = {
    ...deps,
    now,
    sources: deps.sources ?? NO_SOURCES,
    files: { store: deps.store, keyring: deps.keyring, crypto: deps.crypto, now },
  };
  const app = new Hono<AppEnv>();

  // Outermost first: the security headers land on every answer, including the log's wrapped body.
  app.use('*', securityHeaders(deps.config));
  app.use('*', logRequests({ log: deps.requestLog, getConnInfo: deps.getConnInfo }));
  app.use('/v1/*', appScope({ apps: deps.apps, config: deps.config, limits: deps.limits, now }));
  app.use('*', tusElsewhere());

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.route('/', fileRoutes(routeDeps));
  app.route('/', appFileRoutes(routeDeps));
  app.route('/', uploadRoutes(routeDeps));
  app.route('/', sourceRoutes(routeDeps));
  app.route('/', pickRoutes(routeDeps));
  app.route('/', widgetRoutes(routeDeps));
  app.route('/', tusRoutes(routeDeps));

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
