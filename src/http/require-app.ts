// The calling app, for routes that need one. The app-scope middleware identifies it from the
// public key; routes that act on an app's files or sources call this to insist on it, so a
// request without a key gets one clear 401 instead of each route wording its own.
import type { Context } from 'hono';
import type { App } from '../apps.js';
import type { AppEnv } from '../context.js';
import { FerryError } from '../errors.js';

/** The app a route needs; 401 when the request named none. */
export function requireApp(c: Context<AppEnv>): App {
  const app = c.get('scope')?.app;
  if (!app) throw new FerryError('missing_key', 'Send your app key as ?key= or the X-Ferry-Key header.');
  return app;
}
