// Upload sessions over HTTP (DESIGN.md "Upload sessions", docs/uploads.md): create, part URLs,
// the parts stored so far, Ferry's own part PUT (stores that cannot presign), complete, abort.
// Creating a session is a store call (app key, origin, rate, signed policy, size limits); every
// later call is authorised by the session token itself, which opens only for the app it was
// made for, so the app key is still needed and another app's key finds nothing.
import { Hono, type Context } from 'hono';
import type { App } from '../apps.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { FerryError } from '../errors.js';
import { checkFilename, mediaType } from '../file-names.js';
import { isoSeconds } from '../files.js';
import { publicBase } from '../http/base-url.js';
import { fileJson } from '../http/file-json.js';
import { allowOnly } from '../http/method-not-allowed.js';
import { policyInput } from '../http/policy-input.js';
import { requireApp } from '../http/require-app.js';
import { fileTooLarge } from '../http/too-large.js';
import { parseTtl } from '../http/ttl.js';
import { checkPolicy } from '../policy.js';
import { base64url, tokenSealer } from '../sources/tokens.js';
import { readSmall } from '../streams.js';
import type { PartRef } from '../store/object-store.js';
import {
  MAX_PART_URLS,
  PART_URL_SECONDS,
  abortUpload,
  completeUpload,
  createUpload,
  listUploadParts,
  openUpload,
  partLength,
  putUploadPart,
  type UploadSession,
  type UploadsDeps,
} from '../uploads.js';
import { requirePace } from '../upload-pace.js';

type Env = AppEnv;
/** Session requests are small JSON; a complete of 10,000 parts with S3 etags is about 600 KB. */
const MAX_BODY_BYTES = 1024 * 1024;

export function uploadRoutes(deps: RouteDeps): Hono<Env> {
  const { config, now } = deps;
  const uploads: UploadsDeps = { ...deps.files, sealer: tokenSealer(deps.keyring, now) };
  const app = new Hono<Env>();

  async function sessionFor(c: Context<Env>): Promise<{ caller: App; session: UploadSession }> {
    const caller = requireApp(c);
    const session = await openUpload(uploads, c.get('scope').tenant, caller.name, c.req.param('upload')!);
    c.set('fileId', session.id);
    return { caller, session };
  }

  app.post('/v1/uploads', async (c) => {
    const caller = requireApp(c);
    const policy = await checkPolicy(caller, 'store', policyInput(c), now());
    const scope = c.get('scope');
    const body = await readJson(c);
    if (typeof body.filename !== 'string') throw new FerryError('invalid_filename', 'A session needs "filename", a string.');
    const filename = checkFilename(body.filename);
    if (body.type !== undefined && typeof body.type !== 'string') throw new FerryError('bad_request', '"type" must be a string.');
    const size = body.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new FerryError('bad_request', 'A session needs "size", the file\'s length in bytes (a whole number).');
    }
    const ttlRaw = body.ttl ?? c.req.query('ttl');
    if (ttlRaw !== undefined && typeof ttlRaw !== 'number' && typeof ttlRaw !== 'string') throw new FerryError('invalid_ttl', '"ttl" must be a number of seconds.');
    const ttlSeconds = parseTtl(ttlRaw === undefined ? undefined : String(ttlRaw), scope.ttlSeconds);
    // The platform's body cap does not apply: the bytes go to the store, not through Ferry.
    const maxBytes = Math.min(scope.maxFileBytes, policy?.maxSize ?? Infinity);
    if (size > maxBytes) throw fileTooLarge(maxBytes);
    if (policy?.minSize !== undefined && size < policy.minSize) {
      throw new FerryError('file_too_small', `The policy requires files of at least ${policy.minSize} bytes.`);
    }
    const created = await createUpload(uploads, scope.tenant, {
      filename,
      type: mediaType(body.type as string | undefined, filename),
      size,
      ttlSeconds,
      app: caller.name,
    });
    const { session, file } = created;
    c.set('fileId', session.id);
    const location = `${publicBase(c, config)}/v1/uploads/${session.token}?key=${encodeURIComponent(caller.key)}`;
    return c.json(
      {
        upload: session.token,
        handle: file.handle,
        url: fileJson(c, config, caller, file).url,
        size,
        objectSize: session.objectSize,
        partSize: session.partSize,
        prefix: base64(created.prefix),
        chunkKey: base64(created.chunkKey),
        baseNonce: base64(created.baseNonce),
        expiresAt: file.expiresAt,
      },
      201,
      { location, 'cache-control': 'no-store' },
    );
  });

  app.post('/v1/uploads/:upload/parts', async (c) => {
    const { caller, session } = await sessionFor(c);
    const body = await readJson(c);
    const numbers = body.parts;
    if (!Array.isArray(numbers) || numbers.length === 0 || numbers.length > MAX_PART_URLS) {
      throw new FerryError('bad_request', `Send "parts": a list of 1 to ${MAX_PART_URLS} part numbers.`);
    }
    const sizes = numbers.map((n) => partLength(session, n as number));
    const nowSeconds = Math.floor(now().getTime() / 1000);
    const seconds = Math.min(PART_URL_SECONDS, session.expiresAt - nowSeconds);
    const expiresAt = isoSeconds(new Date((nowSeconds + seconds) * 1000));
    const store = deps.store;
    const urls: Record<string, string> = {};
    for (const [i, n] of (numbers as number[]).entries()) {
      urls[String(n)] = store.presignPart
        ? await store.presignPart(session.key, session.uploadId, n, { expiresInSeconds: seconds, size: sizes[i]! })
        : `${publicBase(c, config)}/v1/uploads/${session.token}/parts/${n}?key=${encodeURIComponent(caller.key)}`;
    }
    return c.json({ urls, expiresAt }, 200, { 'cache-control': 'no-store' });
  });

  app.put('/v1/uploads/:upload/parts/:n', async (c) => {
    const { caller, session } = await sessionFor(c);
    const raw = c.req.param('n');
    const n = /^[1-9]\d{0,4}$/.test(raw) ? Number(raw) : NaN;
    const size = partLength(session, n);
    const declared = c.req.header('content-length');
    if (declared !== undefined && declared !== String(size)) {
      await c.req.raw.body?.cancel().catch(() => {});
      throw new FerryError('invalid_part', `Part ${n} must be exactly ${size} bytes.`);
    }
    const release = deps.limits?.startUpload(caller.name, caller.maxConcurrentUploads ?? config.maxConcurrentUploads);
    try {
      // The same floor under the body's speed as POST /v1/files: a trickling part holds a slot too.
      const body = requirePace(c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() }), config.uploadPace);
      const part = await putUploadPart(uploads, session, n, body, c.req.raw.signal);
      c.set('bytesIn', part.size);
      // The same answer as S3's UploadPart: the part's ETag, quoted, in the header.
      return c.json({ n, size: part.size, etag: part.etag }, 200, { etag: `"${part.etag}"`, 'cache-control': 'no-store' });
    } finally {
      release?.();
    }
  });

  app.get('/v1/uploads/:upload', async (c) => {
    const { session } = await sessionFor(c);
    const parts = await listUploadParts(uploads, session);
    return c.json(
      parts.map((p) => ({ n: p.n, size: p.size })),
      200,
      { 'cache-control': 'no-store' },
    );
  });

  app.post('/v1/uploads/:upload/complete', async (c) => {
    const { caller, session } = await sessionFor(c);
    const body = await readJson(c);
    const record = body.parts === undefined ? undefined : partRecord(body.parts);
    const file = await completeUpload(uploads, c.get('scope').tenant, session, record);
    c.set('bytesIn', 0);
    const json = fileJson(c, config, caller, file);
    return c.json(json, 201, { location: json.url, 'cache-control': 'no-store' });
  });

  app.delete('/v1/uploads/:upload', async (c) => {
    const { session } = await sessionFor(c);
    await abortUpload(uploads, session);
    return c.body(null, 204);
  });

  allowOnly(app, '/v1/uploads', ['POST']);
  allowOnly(app, '/v1/uploads/:upload', ['GET', 'HEAD', 'DELETE']);
  allowOnly(app, '/v1/uploads/:upload/parts', ['POST']);
  allowOnly(app, '/v1/uploads/:upload/parts/:n', ['PUT']);
  allowOnly(app, '/v1/uploads/:upload/complete', ['POST']);

  return app;
}

function partRecord(raw: unknown): PartRef[] {
  const bad = () => new FerryError('bad_request', '"parts" must be a list of {"n": part number, "etag": string}.');
  if (!Array.isArray(raw) || raw.length > 10_000) throw bad();
  return raw.map((p: unknown) => {
    const o = p as { n?: unknown; etag?: unknown } | null;
    if (typeof o !== 'object' || o === null || typeof o.n !== 'number' || !Number.isSafeInteger(o.n) || typeof o.etag !== 'string' || o.etag === '') {
      throw bad();
    }
    return { n: o.n, etag: o.etag.replace(/^"|"$/g, '') };
  });
}

async function readJson(c: Context<Env>): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new FerryError('unsupported_media_type', 'Send upload session requests as application/json.');
  }
  const bytes = c.req.raw.body
    ? await readSmall(c.req.raw.body, MAX_BODY_BYTES, () => new FerryError('body_too_large', `The request is larger than ${MAX_BODY_BYTES} bytes.`))
    : new Uint8Array(0);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new FerryError('invalid_json', 'The request is not valid JSON.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FerryError('invalid_json', 'The request must be a JSON object.');
  return json as Record<string, unknown>;
}

/** Standard base64 (with padding), as DESIGN.md gives prefix, chunkKey and baseNonce. */
function base64(bytes: Uint8Array): string {
  const url = base64url(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return url + '='.repeat((4 - (url.length % 4)) % 4);
}
