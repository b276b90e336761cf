// Deletion on request, from the application's own servers: with its secret
// (`Authorization: Bearer <secret>`) an app lists its live files — ids, sizes, expiry, never
// names (Ferry cannot read those without the handles) — and deletes any of them by id.
import { Hono, type Context } from 'hono';
import type { App } from '../apps.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { FerryError } from '../errors.js';
import { dataKey, dataPrefix, removeFile, storedFileSize, tenantFor } from '../files.js';
import { bearerToken } from '../http/bearer.js';

export function appFileRoutes(deps: RouteDeps): Hono<AppEnv> {
  const { files, now } = deps;
  const app = new Hono<AppEnv>();

  async function bySecret(c: Context<AppEnv>): Promise<App> {
    const secret = bearerToken(c.req.header('authorization'));
    if (!secret) throw new FerryError('missing_secret', 'Send the app secret as "Authorization: Bearer <secret>".');
    const found = await deps.apps.bySecret(secret);
    if (!found) throw new FerryError('unknown_secret', 'No app has this secret.');
    return found;
  }

  app.get('/v1/app/files', async (c) => {
    const caller = await bySecret(c);
    const prefix = dataPrefix(tenantFor(caller.name));
    const out: { id: string; size: number | null; expiresAt: string }[] = [];
    const t = now().getTime();
    for await (const o of deps.store.list(prefix)) {
      if (o.expiresAt.getTime() <= t) continue;
      out.push({ id: o.key.slice(prefix.length), size: await storedFileSize(deps.store, o.key, o), expiresAt: o.expiresAt.toISOString() });
    }
    out.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.id.localeCompare(b.id));
    return c.json({ files: out }, 200, { 'cache-control': 'no-store' });
  });

  app.delete('/v1/app/files/:id', async (c) => {
    const caller = await bySecret(c);
    const id = c.req.param('id');
    const tenant = tenantFor(caller.name);
    if (!/^[0-9a-f]{32}$/.test(id) || !(await deps.store.head(dataKey(tenant, id)))) {
      throw new FerryError('not_found', 'This app has no file with this id.');
    }
    c.set('fileId', id);
    await removeFile(files, tenant, id);
    return c.body(null, 204);
  });

  return app;
}
