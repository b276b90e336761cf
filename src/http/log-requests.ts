// The request id and the log line. Each request gets an id (answered as X-Request-Id, so a user
// can quote it); the line is written once the body has been sent or has failed, by wrapping the
// body in a counter (request-log.ts says what the line never contains). The client address comes
// from the runtime's connection info (hono's getConnInfo for Node or Workers), cut before logging.
import type { Context, MiddlewareHandler } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../context.js';
import { countBody, countRequestBody, truncateIp, type RequestLogEntry, type RequestLogger } from '../request-log.js';

export interface LogRequestsOptions {
  log?: RequestLogger;
  getConnInfo?: GetConnInfo;
}

export function logRequests({ log, getConnInfo }: LogRequestsOptions): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = Date.now();
    const requestId = crypto.randomUUID();
    c.set('requestId', requestId);
    // Every route reads the body through c.req.raw, so counting it here counts what arrived.
    const received = log ? countRequestBody(c.req.raw) : undefined;
    if (received) c.req.raw = received.request;
    // The line's fields, read once the app has run (route, app and file are known by then).
    const entryOf = (status: number, error: string | undefined): RequestLogEntry => ({
      time: new Date(started).toISOString(),
      requestId,
      method: c.req.method,
      route: routePattern(c),
      status,
      bytesIn: received?.bytes() ?? 0,
      bytesOut: 0,
      durationMs: 0,
      app: c.get('scope')?.app?.name,
      fileId: c.get('fileId'),
      client: truncateIp(clientAddress(c, getConnInfo)),
      error,
    });
    try {
      await next();
    } catch (e) {
      // What escapes the app's error handling: on Node, a body read failing because the
      // client went away ("aborted") surfaces here, with no answer left to send. It still
      // gets its line, named as the client's interruption when the client is gone.
      const gone = c.req.raw.signal.aborted || (e instanceof Error && e.message === 'aborted');
      log?.({ ...entryOf(gone ? 400 : 500, gone ? 'upload_interrupted' : 'internal_error'), durationMs: Date.now() - started, aborted: true });
      throw e;
    }
    c.res.headers.set('x-request-id', requestId);
    if (!log) return;
    const entry = entryOf(c.res.status, c.get('errorCode'));
    const write = (bytesOut: number, failed: boolean) =>
      log({ ...entry, bytesOut, durationMs: Date.now() - started, ...(failed ? { aborted: true } : {}) });
    if (c.res.body && c.req.method !== 'HEAD') {
      c.res = new Response(countBody(c.res.body, write, c.req.raw.signal), c.res);
    } else {
      write(0, false);
    }
  };
}

/** The peer's address; a request without connection info (an in-process call) has none. */
function clientAddress(c: Context, getConnInfo: GetConnInfo | undefined): string | undefined {
  if (!getConnInfo) return undefined;
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/** The matched route's pattern ("/v1/files/:handle"), never the concrete path. */
function routePattern(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  const handler = routes.find((r) => r.method !== 'ALL');
  if (handler) return handler.path;
  const last = routes.at(-1);
  return last && last.path !== '*' && last.path !== '/v1/*' ? last.path : 'unmatched';
}
