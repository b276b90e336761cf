// Picks: files chosen from a link or a cloud account. Ferry stores nothing for them. POST
// checks the file exists and fits the app's limits, then seals everything needed to fetch it
// (source, id or URL, the provider tokens, name, type) into the pick handle itself. GET/HEAD
// opens the handle and streams the bytes from the origin to the client as they arrive:
// backpressure end to end, Range passed through, only the headers that describe the bytes
// passed back, and a response that breaks (never ends cleanly short) when the origin fails.
import { Hono, type Context } from 'hono';
import type { AppEnv, RouteDeps } from '../context.js';
import { FerryError } from '../errors.js';
import { checkFilename, contentDisposition, mediaType } from '../file-names.js';
import { isoSeconds } from '../files.js';
import { publicBase } from '../http/base-url.js';
import { DOWNLOAD_CSP } from '../http/csp.js';
import { allowOnly } from '../http/method-not-allowed.js';
import { policyInput } from '../http/policy-input.js';
import { requireApp } from '../http/require-app.js';
import { sourceFor } from '../http/source-access.js';
import { fileTooLarge } from '../http/too-large.js';
import { parseTtl } from '../http/ttl.js';
import { checkPolicy } from '../policy.js';
import { safeName } from '../sources/url/index.js';
import { accountSource } from '../sources/registry.js';
import { openAccount, withFreshTokens } from '../sources/session.js';
import { TokenError, tokenSealer } from '../sources/tokens.js';
import type { ProviderTokens, RemoteFile, Source } from '../sources/types.js';
import { readSmall } from '../streams.js';

type Env = AppEnv;
const MAX_BODY_BYTES = 64 * 1024;

/** What a pick handle carries, sealed. */
interface PickPayload {
  /** Source name. */
  s: string;
  /** Provider file id, or the URL for links. */
  i: string;
  /** Provider tokens (account sources). */
  t?: ProviderTokens;
  /** File name, media type, size (null when the origin does not say), creation time. */
  n: string;
  y: string;
  z: number | null;
  c: string;
}

export function pickRoutes(deps: RouteDeps): Hono<Env> {
  const { now, sources: registry } = deps;
  const sealer = tokenSealer(deps.keyring, now);
  const app = new Hono<Env>();

  app.post('/v1/picks', async (c) => {
    const caller = requireApp(c);
    const policy = await checkPolicy(caller, 'pick', policyInput(c), now());
    const scope = c.get('scope');
    const ttlSeconds = parseTtl(c.req.query('ttl'), scope.ttlSeconds);
    const body = await readJson(c);
    if (typeof body.source !== 'string') throw new FerryError('bad_request', 'Say which "source" the file comes from.');
    const source = sourceFor(registry, caller, body.source);

    let id: string;
    let tokens: ProviderTokens | undefined;
    let file: RemoteFile;
    if (source.name === 'url') {
      if (typeof body.url !== 'string') throw new FerryError('bad_request', 'A link pick needs "url".');
      id = body.url;
      file = await source.metadata(undefined, id, c.req.raw.signal);
    } else {
      if (typeof body.id !== 'string' || body.id === '') throw new FerryError('bad_request', `A ${source.name} pick needs "id".`);
      if (typeof body.account !== 'string') throw new FerryError('invalid_account', `A ${source.name} pick needs "account".`);
      id = body.id;
      const account = accountSource(registry, source.name)!;
      const opened = await openAccount(sealer, caller.name, source.name, body.account);
      const fresh = await withFreshTokens(account, opened, now, (t) => account.metadata(t, id, c.req.raw.signal));
      file = fresh.result;
      tokens = fresh.tokens;
    }
    if (file.kind !== 'file') throw new FerryError('bad_request', 'That is a folder; pick a file.');
    const maxBytes = Math.min(scope.maxFileBytes, policy?.maxSize ?? Infinity);
    if (file.size !== null && file.size > maxBytes) {
      throw fileTooLarge(maxBytes);
    }
    if (file.size !== null && policy?.minSize !== undefined && file.size < policy.minSize) {
      throw new FerryError('file_too_small', `The file is smaller than the policy's minimum of ${policy.minSize} bytes.`);
    }

    // The app may rename the pick (the widget's onFileSelected); the name is checked like an upload's.
    if (body.filename !== undefined && typeof body.filename !== 'string') {
      throw new FerryError('invalid_filename', '"filename" must be a string.');
    }
    const filename = body.filename !== undefined ? checkFilename(body.filename) : pickName(file.name);
    const createdAt = isoSeconds(now());
    const payload: PickPayload = {
      s: source.name,
      i: id,
      ...(tokens ? { t: tokens } : {}),
      n: filename,
      y: file.type ?? mediaType(null, filename),
      z: file.size,
      c: createdAt,
    };
    const handle = await sealer.seal('pick', caller.name, payload, ttlSeconds);
    const { expiresAt } = await sealer.open('pick', caller.name, handle);
    const url = `${publicBase(c, deps.config)}/v1/picks/${handle}?key=${encodeURIComponent(caller.key)}`;
    return c.json(
      {
        handle,
        url,
        source: source.name,
        filename,
        size: file.size,
        type: payload.y,
        createdAt,
        expiresAt: isoSeconds(new Date(expiresAt * 1000)),
      },
      201,
      { location: url, 'cache-control': 'no-store' },
    );
  });

  app.on(['GET', 'HEAD'], '/v1/picks/:handle', async (c) => {
    const caller = requireApp(c);
    const handle = c.req.param('handle');
    await checkPolicy(caller, 'read', policyInput(c), now(), handle);
    let pick: PickPayload;
    try {
      ({ payload: pick } = await sealer.open<PickPayload>('pick', caller.name, handle));
    } catch (e) {
      if (e instanceof TokenError && e.reason === 'expired') throw new FerryError('file_expired', 'This pick has expired.');
      throw new FerryError('not_found', 'No such pick.');
    }
    const source = sourceFor(registry, caller, pick.s);
    const range = singleRange(c.req.header('range'));
    const signal = c.req.raw.signal;
    const res = await openPick(source, pick, range, signal);

    const scope = c.get('scope');
    const length = lengthOf(res.headers.get('content-length'));
    const status = res.status === 206 && range ? 206 : 200;
    if (status === 200 && length !== null && length > scope.maxFileBytes) {
      await res.body?.cancel().catch(() => {});
      throw fileTooLarge(scope.maxFileBytes);
    }
    const headers = new Headers({
      'content-type': pick.y,
      'content-disposition': contentDisposition(pick.n),
      'content-security-policy': DOWNLOAD_CSP,
      'cache-control': 'private, no-store',
    });
    if (length !== null) headers.set('content-length', String(length));
    const contentRange = res.headers.get('content-range');
    if (status === 206 && contentRange && /^bytes \d+-\d+\/(\d+|\*)$/.test(contentRange)) headers.set('content-range', contentRange);
    if (res.headers.get('accept-ranges') === 'bytes' || status === 206) headers.set('accept-ranges', 'bytes');
    const etag = res.headers.get('etag');
    if (etag && /^(W\/)?"[\x21\x23-\x7e]{0,200}"$/.test(etag)) headers.set('etag', etag);
    const lastModified = res.headers.get('last-modified');
    if (lastModified && !Number.isNaN(Date.parse(lastModified))) headers.set('last-modified', lastModified);

    if (c.req.method === 'HEAD' || !res.body) {
      await res.body?.cancel().catch(() => {});
      return new Response(null, { status, headers });
    }
    const limit = status === 200 ? scope.maxFileBytes : Infinity;
    return new Response(exactLength(res.body, length, limit), { status, headers });
  });

  allowOnly(app, '/v1/picks', ['POST']);
  allowOnly(app, '/v1/picks/:handle', ['GET', 'HEAD']);

  async function openPick(source: Source, pick: PickPayload, range: string | undefined, signal: AbortSignal): Promise<Response> {
    if (source.name === 'url') return source.open(undefined, pick.i, { range, signal });
    const account = accountSource(registry, source.name)!;
    if (!pick.t) throw new FerryError('not_found', 'No such pick.');
    const { result } = await withFreshTokens(account, pick.t, now, (t) => account.open(t, pick.i, { range, signal }));
    return result;
  }

  return app;
}

/**
 * Passes the body through unchanged, counting: more bytes than `limit`, or an end that comes
 * before or after the announced length, errors the stream, so the client sees a broken
 * transfer rather than a file that looks complete. A pull-through wrapper rather than a
 * TransformStream: one hop per chunk instead of a pipe, two queues and their promises.
 */
export function exactLength(body: ReadableStream<Uint8Array>, expected: number | null, limit: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: FerryError) => {
    reader.cancel(error).catch(() => {});
    controller.error(error);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          if (expected !== null && seen !== expected) {
            controller.error(new FerryError('origin_failed', `The origin ended after ${seen} of ${expected} bytes.`));
          } else {
            controller.close();
          }
          return;
        }
        seen += value.byteLength;
        if (seen > limit) return fail(controller, fileTooLarge(limit));
        if (expected !== null && seen > expected) {
          return fail(controller, new FerryError('origin_failed', 'The origin sent more bytes than it announced.'));
        }
        controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** A single `bytes=` range is passed to the origin; anything else is ignored (a full 200). */
function singleRange(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const v = header.trim();
  return /^bytes=(\d{1,15}-\d{0,15}|-\d{1,15})$/.test(v) ? v : undefined;
}

function lengthOf(v: string | null): number | null {
  return v !== null && /^\d{1,15}$/.test(v) ? Number(v) : null;
}

function pickName(raw: string): string {
  const name = safeName(raw) ?? 'file';
  try {
    return checkFilename(name);
  } catch {
    return 'file';
  }
}

async function readJson(c: Context<Env>): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
    throw new FerryError('unsupported_media_type', 'Send the pick as application/json.');
  }
  const bytes = c.req.raw.body
    ? await readSmall(c.req.raw.body, MAX_BODY_BYTES, () => new FerryError('body_too_large', `The pick request is larger than ${MAX_BODY_BYTES} bytes.`))
    : new Uint8Array(0);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new FerryError('invalid_json', 'The pick request is not valid JSON.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FerryError('invalid_json', 'The pick request must be a JSON object.');
  }
  return json as Record<string, unknown>;
}
