// Stored files over HTTP: upload (multipart, raw POST, PUT), download with ranges, meta and
// delete. Parsing, policies and headers live here; the storage rules live in files.ts.
// Every route needs the calling app (its key, or the deployment's default app): files live under
// their app's prefix and carry its name in their sealed metadata, so another app's key never
// finds them. A multipart/form-data PUT is read like a form POST; `?inline=1` is http/inline.ts.
import { Hono, type Context } from 'hono';
import type { App, PolicyCall } from '../apps.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { FerryError } from '../errors.js';
import { checkFilename, contentDisposition, mediaType } from '../file-names.js';
import { deleteFile, openFile, readFile, storeFile, type OpenedFile, type StoredFile } from '../files.js';
import { ifNoneMatch } from '../http/conditional.js';
import { DOWNLOAD_CSP, INLINE_CSP } from '../http/csp.js';
import { fileJson } from '../http/file-json.js';
import { showsInline, wantsInline } from '../http/inline.js';
import { allowOnly } from '../http/method-not-allowed.js';
import { policyInput } from '../http/policy-input.js';
import { requireApp } from '../http/require-app.js';
import { fileTooLarge } from '../http/too-large.js';
import { parseTtl } from '../http/ttl.js';
import { parseRange } from '../http-range.js';
import { readMultipart } from '../multipart.js';
import { checkPolicy, type Policy } from '../policy.js';
import { requirePace } from '../upload-pace.js';

type Env = AppEnv;

export function fileRoutes(deps: RouteDeps): Hono<Env> {
  const { config, files, now } = deps;
  const app = new Hono<Env>();

  /** The app, its policy for `call` (if any) and, for read/remove, the opened file. */
  async function authorize(c: Context<Env>, call: PolicyCall, handle?: string) {
    const caller = requireApp(c);
    const policy = await checkPolicy(caller, call, policyInput(c), now(), handle);
    return { caller, policy };
  }

  async function openFor(c: Context<Env>, call: 'read' | 'remove', options: { whole?: boolean } = {}): Promise<OpenedFile> {
    const handle = c.req.param('handle')!;
    const { caller } = await authorize(c, call, handle);
    const file = await openFile(files, c.get('scope').tenant, handle, caller.name, options);
    c.set('fileId', file.id);
    return file;
  }

  app.post('/v1/files', async (c) => {
    const { caller, policy } = await authorize(c, 'store');
    const ttlSeconds = parseTtl(c.req.query('ttl'), c.get('scope').ttlSeconds);
    const contentType = c.req.header('content-type') ?? '';
    return withUploadSlot(caller, async () => {
      if (/^multipart\/form-data\b/i.test(contentType)) {
        const stored = await uploadMultipart(c, caller, policy, contentType, ttlSeconds);
        return respondStored(c, caller, stored, stored.length > 1);
      }
      if (/^multipart\//i.test(contentType)) {
        throw new FerryError('unsupported_media_type', 'Only multipart/form-data is accepted as a multipart upload.');
      }
      // URLSearchParams turns invalid UTF-8 into U+FFFD, which checkFilename refuses.
      const filename = checkFilename(new URL(c.req.url).searchParams.get('filename') ?? 'file');
      const stored = await uploadRaw(c, caller, policy, filename, ttlSeconds);
      return respondStored(c, caller, [stored], false);
    });
  });

  app.put('/v1/files/:filename', async (c) => {
    const { caller, policy } = await authorize(c, 'store');
    const ttlSeconds = parseTtl(c.req.query('ttl'), c.get('scope').ttlSeconds);
    const contentType = c.req.header('content-type') ?? '';
    // A form PUT (Uppy's XHRUpload with method 'PUT' keeps formData: true) is read like a form
    // POST: the file part is stored under its own name, never the multipart wrapper as the file.
    if (/^multipart\/form-data\b/i.test(contentType)) {
      return withUploadSlot(caller, async () => {
        const stored = await uploadMultipart(c, caller, policy, contentType, ttlSeconds);
        return respondStored(c, caller, stored, stored.length > 1);
      });
    }
    const filename = checkFilename(strictPathSegment(c.req.url));
    return withUploadSlot(caller, async () => {
      const stored = await uploadRaw(c, caller, policy, filename, ttlSeconds);
      return respondStored(c, caller, [stored], false);
    });
  });

  app.get('/v1/files/:handle/meta', async (c) => {
    const file = await openFor(c, 'read');
    return c.json(fileJson(c, config, requireApp(c), { handle: c.req.param('handle')!, ...file.meta }), 200, {
      'cache-control': 'private, no-store',
    });
  });

  app.get('/v1/files/:handle', async (c) => {
    // A plain GET reads the whole object in one store read; HEAD, ranges and revalidations
    // read only the prefix first.
    const whole = c.req.method === 'GET' && c.req.header('range') === undefined && c.req.header('if-none-match') === undefined;
    const file = await openFor(c, 'read', { whole });
    try {
      return await download(c, file);
    } finally {
      await file.close();
    }
  });

  async function download(c: Context<Env>, file: OpenedFile): Promise<Response> {
    const { size, type, filename } = file.meta;
    const etag = `"${file.id}"`;
    // ?inline=1 shows only the allowlisted types; any other file stays a sandboxed attachment.
    const inline = wantsInline(c.req.query('inline')) && showsInline(type);
    const headers: Record<string, string> = {
      'content-type': type,
      'content-disposition': contentDisposition(filename, inline ? 'inline' : 'attachment'),
      'content-security-policy': inline ? INLINE_CSP : DOWNLOAD_CSP,
      'accept-ranges': 'bytes',
      etag,
      'last-modified': new Date(file.meta.createdAt).toUTCString(),
      // Browsers may keep a copy but must ask again each time (a deleted file stays deleted);
      // shared caches keep nothing.
      'cache-control': 'private, no-cache',
    };
    if (ifNoneMatch(c.req.header('if-none-match'), etag)) {
      return new Response(null, { status: 304, headers: { etag, 'cache-control': headers['cache-control']! } });
    }
    const ifRange = c.req.header('if-range');
    const range = ifRange === undefined || ifRange === etag ? parseRange(c.req.header('range'), size) : undefined;
    const length = range ? range.end - range.start + 1 : size;
    headers['content-length'] = String(length);
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
    const status = range ? 206 : 200;
    if (c.req.method === 'HEAD' || length === 0) return new Response(null, { status, headers });
    const body = await readFile(files, c.get('scope').tenant, file, range);
    return new Response(body, { status, headers });
  }

  app.delete('/v1/files/:handle', async (c) => {
    const file = await openFor(c, 'remove');
    await deleteFile(files, c.get('scope').tenant, file);
    return c.body(null, 204);
  });

  allowOnly(app, '/v1/files', ['POST']);
  allowOnly(app, '/v1/files/:handle', ['GET', 'HEAD', 'PUT', 'DELETE']);
  allowOnly(app, '/v1/files/:handle/meta', ['GET', 'HEAD']);

  async function withUploadSlot(caller: App, run: () => Promise<Response>): Promise<Response> {
    const release = deps.limits?.startUpload(caller.name, caller.maxConcurrentUploads ?? config.maxConcurrentUploads);
    try {
      return await run();
    } finally {
      release?.();
    }
  }

  function limitsFor(c: Context<Env>, policy: Policy | undefined) {
    const maxBytes = Math.min(effectiveMax(c.get('scope').maxFileBytes), policy?.maxSize ?? Infinity);
    return { maxBytes, minBytes: policy?.minSize ?? 0 };
  }

  async function uploadRaw(c: Context<Env>, caller: App, policy: Policy | undefined, filename: string, ttlSeconds: number) {
    const { maxBytes, minBytes } = limitsFor(c, policy);
    const declared = c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxBytes) throw fileTooLarge(maxBytes, config.platformBodyLimit);
    const stored = await storeFile(files, c.get('scope').tenant, {
      body: requirePace(c.req.raw.body ?? new ReadableStream({ start: (ctl) => ctl.close() }), config.uploadPace),
      filename,
      type: mediaType(c.req.header('content-type'), filename),
      ttlSeconds,
      maxBytes,
      app: caller.name,
      signal: c.req.raw.signal,
      ...(declared !== undefined && /^\d{1,15}$/.test(declared) ? { size: Number(declared) } : {}),
    });
    c.set('bytesIn', stored.size);
    c.set('fileId', stored.id);
    await enforceMinimum(c, [stored], minBytes);
    return stored;
  }

  async function uploadMultipart(
    c: Context<Env>,
    caller: App,
    policy: Policy | undefined,
    contentType: string,
    ttlSeconds: number,
  ): Promise<StoredFile[]> {
    const { tenant } = c.get('scope');
    const { maxBytes, minBytes } = limitsFor(c, policy);
    const reader = readMultipart(contentType, c.req.raw.body && requirePace(c.req.raw.body, config.uploadPace));
    const stored: StoredFile[] = [];
    try {
      for await (const part of reader.files()) {
        let filename: string;
        try {
          filename = checkFilename(part.filename);
        } catch (e) {
          await part.body.cancel();
          throw e;
        }
        stored.push(
          await storeFile(files, tenant, {
            body: part.body,
            filename,
            type: mediaType(part.mimeType, filename),
            ttlSeconds,
            maxBytes,
            app: caller.name,
            signal: c.req.raw.signal,
          }),
        );
      }
      if (stored.length === 0) throw new FerryError('missing_file', 'The form has no file part.');
      await enforceMinimum(c, stored, minBytes);
    } catch (e) {
      // All or nothing: a request that fails part-way keeps none of its files.
      reader.abort(e);
      await Promise.all(stored.map((f) => deleteFile(files, tenant, f).catch(() => {})));
      throw e;
    }
    c.set('bytesIn', stored.reduce((n, f) => n + f.size, 0));
    return stored;
  }

  async function enforceMinimum(c: Context<Env>, stored: StoredFile[], minBytes: number) {
    const small = stored.find((f) => f.size < minBytes);
    if (!small) return;
    await Promise.all(stored.map((f) => deleteFile(files, c.get('scope').tenant, f).catch(() => {})));
    throw new FerryError('file_too_small', `The policy requires files of at least ${minBytes} bytes.`);
  }

  function effectiveMax(appMax: number): number {
    return config.platformBodyLimit ? Math.min(appMax, config.platformBodyLimit.bytes) : appMax;
  }

  function respondStored(c: Context<Env>, caller: App, stored: StoredFile[], many: boolean): Response {
    const json = stored.map((f) => fileJson(c, config, caller, f));
    if (/^text\/plain\b/i.test(c.req.header('accept') ?? '')) {
      return c.text(json.map((f) => f.url).join('\n') + '\n', 201, { location: json[0]!.url });
    }
    return c.json(many ? { files: json } : json[0], 201, { location: json[0]!.url });
  }

  return app;
}

/** The last path segment, percent-decoded strictly (invalid UTF-8 is refused, not kept as text). */
function strictPathSegment(url: string): string {
  const segment = new URL(url).pathname.split('/').pop() ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new FerryError('invalid_filename', 'The file name is not valid percent-encoded UTF-8.');
  }
}
