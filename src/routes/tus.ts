// tus 1.0.0 over HTTP at /v1/tus (creation, creation-with-upload, termination, expiration). The
// headers, statuses and the app's rules (key, policy, limits) live here; where the bytes go lives
// in src/tus/. Every answer carries Tus-Resumable; a finished upload answers the file JSON's
// `url` in Ferry-File-URL. Also here: the guard that answers 400 to a tus request sent anywhere
// else, so a tus client pointed at /v1/files stores nothing.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type { App } from '../apps.js';
import type { AppEnv, RouteDeps } from '../context.js';
import { FerryError } from '../errors.js';
import { checkFilename, mediaType } from '../file-names.js';
import { publicBase } from '../http/base-url.js';
import { policyInput } from '../http/policy-input.js';
import { requireApp } from '../http/require-app.js';
import { fileTooLarge } from '../http/too-large.js';
import { parseTtl } from '../http/ttl.js';
import { checkPolicy } from '../policy.js';
import { tokenSealer } from '../sources/tokens.js';
import {
  FILE_URL_HEADER,
  OFFSET_CONTENT_TYPE,
  TUS_EXTENSIONS,
  TUS_VERSION,
  checkTusResumable,
  metadataText,
  parseCount,
  parseMetadata,
} from '../tus/protocol.js';
import { appendTus, createTusUpload, terminateTus, tusState, type TusDeps } from '../tus/tus-uploads.js';
import { openTusUpload, type TusUpload } from '../tus/tus-token.js';
import { encodeHandle, fileIdHex } from '../format.js';
import { CHUNK_SIZE } from '../crypto/chunked.js';
import { requirePace } from '../upload-pace.js';

type Env = AppEnv;
const TUS_PATH = '/v1/tus';

/** 400 for a request that speaks tus anywhere but /v1/tus, before any route can store a byte. */
export function tusElsewhere(): MiddlewareHandler<Env> {
  return async (c, next) => {
    const path = new URL(c.req.url).pathname;
    if (c.req.header('tus-resumable') !== undefined && path !== TUS_PATH && !path.startsWith(`${TUS_PATH}/`)) {
      // The body is left unread: nothing of it is stored.
      throw new FerryError('tus_wrong_endpoint', `This is a tus request: send it to ${TUS_PATH} (tus 1.0.0), not ${path}.`, {
        'tus-resumable': TUS_VERSION,
      });
    }
    await next();
  };
}

export function tusRoutes(deps: RouteDeps): Hono<Env> {
  const { config, now } = deps;
  const tus: TusDeps = { files: deps.files, sealer: tokenSealer(deps.keyring, now) };
  const app = new Hono<Env>();
  // Every answer under /v1/tus, errors included, says which tus it speaks.
  const speakTus: MiddlewareHandler<Env> = async (c, next) => {
    await next();
    c.res.headers.set('tus-resumable', TUS_VERSION);
  };
  app.use(TUS_PATH, speakTus);
  app.use(`${TUS_PATH}/*`, speakTus);

  const base = (extra: Record<string, string> = {}) => ({ 'tus-resumable': TUS_VERSION, 'cache-control': 'no-store', ...extra });

  function maxSize(c: Context<Env>): number {
    return c.get('scope').maxFileBytes;
  }

  function fileUrl(c: Context<Env>, caller: App, upload: TusUpload): string {
    return `${publicBase(c, config)}/v1/files/${encodeHandle(upload.ref)}?key=${encodeURIComponent(caller.key)}`;
  }

  function expiresHeader(upload: TusUpload): string {
    return new Date(upload.meta.expiresAt).toUTCString();
  }

  async function withUploadSlot(caller: App, run: () => Promise<Response>): Promise<Response> {
    const release = deps.limits?.startUpload(caller.name, caller.maxConcurrentUploads ?? config.maxConcurrentUploads);
    try {
      return await run();
    } finally {
      release?.();
    }
  }

  app.options(TUS_PATH, (c) => discovery(c));
  app.options(`${TUS_PATH}/:id`, (c) => discovery(c));
  function discovery(c: Context<Env>): Response {
    const max = maxSize(c);
    const headers: Record<string, string> = { 'tus-resumable': TUS_VERSION, 'tus-version': TUS_VERSION, 'tus-extension': TUS_EXTENSIONS };
    if (Number.isFinite(max)) headers['tus-max-size'] = String(max);
    return new Response(null, { status: 204, headers });
  }

  app.post(TUS_PATH, async (c) => {
    checkTusResumable(c.req.header('tus-resumable'));
    const caller = requireApp(c);
    const policy = await checkPolicy(caller, 'store', policyInput(c), now());
    const ttlSeconds = parseTtl(c.req.query('ttl'), c.get('scope').ttlSeconds);
    if (c.req.header('upload-defer-length') !== undefined) {
      throw new FerryError('tus_invalid_header', 'Ferry needs Upload-Length at creation (creation-defer-length is not supported).');
    }
    if (c.req.header('upload-concat') !== undefined) throw new FerryError('tus_invalid_header', 'Ferry does not support tus concatenation.');
    const length = parseCount('Upload-Length', c.req.header('upload-length'));
    const max = Math.min(maxSize(c), policy?.maxSize ?? Infinity);
    if (length > max) throw fileTooLarge(max);
    if (length < (policy?.minSize ?? 0)) throw new FerryError('file_too_small', `The policy requires files of at least ${policy!.minSize} bytes.`);
    const metadata = parseMetadata(c.req.header('upload-metadata'));
    const rawName = metadata.get('filename') ?? metadata.get('name');
    const filename = checkFilename(rawName === undefined ? 'file' : metadataText(rawName));
    const rawType = metadata.get('filetype') ?? metadata.get('type');
    const type = mediaType(rawType === undefined ? undefined : metadataText(rawType), filename);
    const withBody = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === OFFSET_CONTENT_TYPE;

    return withUploadSlot(caller, async () => {
      const created = await createTusUpload(tus, c.get('scope').tenant, { filename, type, length, ttlSeconds, app: caller.name });
      c.set('fileId', created.file.id);
      const location = `${publicBase(c, config)}${TUS_PATH}/${created.token}?key=${encodeURIComponent(caller.key)}`;
      const headers: Record<string, string> = { ...base(), location, 'upload-expires': expiresHeader(created.upload) };
      if (length === 0) headers[FILE_URL_HEADER] = fileUrl(c, caller, created.upload);
      if (withBody && length > 0) {
        let result;
        try {
          result = await patch(c, created.upload, 0, { creating: true });
        } catch (e) {
          // The client never learns this upload's URL from a failed creation: nothing may stay.
          await terminateTus(tus, c.get('scope').tenant, created.upload).catch(() => {});
          throw e;
        }
        headers['upload-offset'] = String(result.offset);
        if (result.complete) headers[FILE_URL_HEADER] = fileUrl(c, caller, created.upload);
      } else if (withBody) {
        headers['upload-offset'] = '0';
      }
      return new Response(null, { status: 201, headers });
    });
  });

  async function opened(c: Context<Env>): Promise<{ caller: App; upload: TusUpload }> {
    checkTusResumable(c.req.header('tus-resumable'));
    const caller = requireApp(c);
    const upload = await openTusUpload(tus.sealer, caller.name, c.req.param('id')!);
    c.set('fileId', fileIdHex(upload.ref));
    if (Date.parse(upload.meta.expiresAt) <= now().getTime()) throw new FerryError('file_expired', 'This upload has expired.');
    return { caller, upload };
  }

  async function head(c: Context<Env>): Promise<Response> {
    const { caller, upload } = await opened(c);
    const state = await tusState(tus, c.get('scope').tenant, upload);
    const headers: Record<string, string> = {
      ...base(),
      'upload-offset': String(state.offset),
      'upload-length': String(upload.length),
      'upload-expires': expiresHeader(upload),
    };
    if (state.complete) headers[FILE_URL_HEADER] = fileUrl(c, caller, upload);
    return new Response(null, { status: 200, headers });
  }

  async function patchRoute(c: Context<Env>): Promise<Response> {
    const { caller, upload } = await opened(c);
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== OFFSET_CONTENT_TYPE) {
      throw new FerryError('unsupported_media_type', `A tus PATCH needs Content-Type: ${OFFSET_CONTENT_TYPE}.`, base());
    }
    const offset = parseCount('Upload-Offset', c.req.header('upload-offset'));
    return withUploadSlot(caller, async () => {
      const result = await patch(c, upload, offset);
      const headers: Record<string, string> = { ...base(), 'upload-offset': String(result.offset), 'upload-expires': expiresHeader(upload) };
      if (result.complete) headers[FILE_URL_HEADER] = fileUrl(c, caller, upload);
      return new Response(null, { status: 204, headers });
    });
  }

  /** The PATCH body (or the creation's), from `offset`, which must be the durable one. */
  async function patch(c: Context<Env>, upload: TusUpload, offset: number, options: { creating?: boolean } = {}) {
    const tenant = c.get('scope').tenant;
    const state = await tusState(tus, tenant, upload);
    // The same floor under the body's speed as POST /v1/files: a trickling PATCH holds a slot too.
    const body = requirePace(c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() }), config.uploadPace);
    const refuse = async (err: FerryError) => {
      await body.cancel().catch(() => {});
      throw err;
    };
    if (offset !== state.offset) {
      await refuse(
        new FerryError('tus_offset_mismatch', `Upload-Offset is ${offset}, but the upload stands at ${state.offset}.`, {
          ...base(),
          'upload-offset': String(state.offset),
        }),
      );
    }
    if (state.complete) {
      await body.cancel().catch(() => {});
      return { offset: state.offset, complete: true };
    }
    const declared = c.req.header('content-length');
    if (declared !== undefined && /^\d+$/.test(declared)) {
      const end = offset + Number(declared);
      if (end > upload.length) {
        await refuse(new FerryError('upload_past_length', `The body runs past Upload-Length (${upload.length} bytes).`, base()));
      }
      // A body that neither completes a 16 KiB chunk nor ends the upload cannot move the offset.
      if (!options.creating && end < upload.length && Math.floor(end / CHUNK_SIZE) === Math.floor(offset / CHUNK_SIZE)) {
        await refuse(new FerryError('tus_chunk_too_small', `Send at least ${CHUNK_SIZE} bytes per PATCH (except the last).`, base()));
      }
    }
    try {
      const result = await appendTus(tus, tenant, upload, state, body);
      // A body too short to complete a chunk moved nothing: say so, rather than let a client
      // send the same bytes again for ever.
      if (!options.creating && !result.complete && result.offset === offset) {
        throw new FerryError('tus_chunk_too_small', `Send at least ${CHUNK_SIZE} bytes per PATCH (except the last); nothing was stored.`, base());
      }
      return result;
    } catch (e) {
      if (e instanceof Error && e.name === 'PastLength') {
        throw new FerryError('upload_past_length', `The body runs past Upload-Length (${upload.length} bytes).`, base());
      }
      if (c.req.raw.signal.aborted) throw new FerryError('upload_interrupted', 'The connection closed before the body ended.', base());
      throw e;
    }
  }

  async function terminate(c: Context<Env>): Promise<Response> {
    const { upload } = await opened(c);
    await terminateTus(tus, c.get('scope').tenant, upload);
    return new Response(null, { status: 204, headers: base() });
  }

  // Hono answers HEAD from the GET route (with the body dropped): HEAD is the one tus needs.
  app.get(`${TUS_PATH}/:id`, head);
  app.patch(`${TUS_PATH}/:id`, patchRoute);
  app.delete(`${TUS_PATH}/:id`, terminate);
  // X-HTTP-Method-Override: clients behind proxies that only pass GET and POST send POST.
  app.post(`${TUS_PATH}/:id`, async (c) => {
    const method = (c.req.header('x-http-method-override') ?? '').toUpperCase();
    if (method === 'PATCH') return patchRoute(c);
    if (method === 'DELETE') return terminate(c);
    if (method === 'HEAD') return head(c);
    throw new FerryError('method_not_allowed', 'POST on an upload needs X-HTTP-Method-Override: PATCH, DELETE or HEAD.', { allow: 'HEAD, PATCH, DELETE, OPTIONS' });
  });
  return app;
}
