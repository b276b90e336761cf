// The headers every response carries, whatever answered it (a route, a 404, an error): no
// sniffing, no referrer, a CSP that allows nothing unless the route set its own, and HSTS when
// Ferry is reached over HTTPS (or says it is, through FERRY_PUBLIC_URL behind a proxy).
import type { MiddlewareHandler } from 'hono';
import type { AppConfig, AppEnv } from '../context.js';
import { API_CSP } from './csp.js';

export function securityHeaders(config: Pick<AppConfig, 'publicUrl'>): MiddlewareHandler<AppEnv> {
  const secureOrigin = config.publicUrl?.startsWith('https:') ?? false;
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('x-content-type-options', 'nosniff');
    h.set('referrer-policy', 'no-referrer');
    if (!h.has('content-security-policy')) h.set('content-security-policy', API_CSP);
    if (secureOrigin || new URL(c.req.url).protocol === 'https:') {
      h.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
    }
  };
}
