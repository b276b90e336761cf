// The absolute base of the URLs Ferry hands out (file and pick URLs, OAuth redirect URIs):
// FERRY_PUBLIC_URL when set (behind a proxy the request's own origin is the proxy's view), else
// the origin the request arrived at.
import type { Context } from 'hono';
import type { AppConfig } from '../context.js';

export function publicBase(c: Context, config: Pick<AppConfig, 'publicUrl'>): string {
  return config.publicUrl ?? new URL(c.req.url).origin;
}
