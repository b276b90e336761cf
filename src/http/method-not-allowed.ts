// 405 for the methods a path does not take. Hono answers unknown methods with its 404 and has
// no 405 of its own, so each route module registers this fallback after its routes: one
// wording, one Allow header.
import type { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { FerryError } from '../errors.js';

/** Answers every other method on `path` with 405 `method_not_allowed` and `Allow: <allow>`. */
export function allowOnly(app: Hono<AppEnv>, path: string, allow: readonly string[]): void {
  const list = allow.join(', ');
  app.all(path, () => {
    throw new FerryError('method_not_allowed', `Use ${list} on this path.`, { allow: list });
  });
}
