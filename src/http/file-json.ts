// The one file JSON (`FileJson` in src/wire.ts) that every way of storing a file answers with:
// POST/PUT /v1/files, /meta, and a completed upload session. Built in one place so the URLs
// cannot drift between them: `url` downloads, and `inlineUrl`, present only for the types
// `?inline=1` shows (http/inline.ts), opens the file in the browser.
import type { Context } from 'hono';
import type { App } from '../apps.js';
import type { AppConfig } from '../context.js';
import type { StoredFile } from '../files.js';
import type { FileJson } from '../wire.js';
import { publicBase } from './base-url.js';
import { showsInline } from './inline.js';

export function fileJson(c: Context, config: Pick<AppConfig, 'publicUrl'>, caller: App, f: Omit<StoredFile, 'id'>): FileJson {
  // The key is public and names the app whose prefix holds the file: the URL works alone, even
  // where the deployment's default app is another one (or none).
  const url = `${publicBase(c, config)}/v1/files/${f.handle}?key=${encodeURIComponent(caller.key)}`;
  return {
    handle: f.handle,
    url,
    ...(showsInline(f.type) ? { inlineUrl: `${url}&inline=1` } : {}),
    filename: f.filename,
    size: f.size,
    type: f.type,
    createdAt: f.createdAt,
    expiresAt: f.expiresAt,
  };
}
