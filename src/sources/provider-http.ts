// The HTTP plumbing every cloud provider shares: calls through the injected `fetch` whose
// failures go through the one normaliser (each adapter only says how to read its provider's
// error body), authorized JSON reads, and downloads that pass `Range` through and follow a
// provider's redirect to its pre-authenticated URL without sending the bearer token along.
// The OAuth flow itself is ./oauth.ts.
import { FerryError } from '../errors.js';
import { networkError, readErrorBody, upstreamError, type UpstreamKind } from './errors.js';
import type { ByteRequest, Fetch, ProviderTokens } from './types.js';

export interface ErrorReading {
  kind?: UpstreamKind;
  /** The provider's error code, for the message. */
  detail?: string;
  retryAfter?: string;
}

export interface ProviderHttp {
  /** Display name, e.g. "Dropbox". */
  title: string;
  fetch: Fetch;
  now: () => Date;
  /** How this provider's error answers read. */
  readError(status: number, body: { json?: unknown; text: string }, headers: Headers): ErrorReading;
}

/** One API call; resolves only with a 2xx (or, when `accept` allows, another expected status). */
export async function call(
  p: ProviderHttp,
  url: string,
  init: RequestInit,
  accept: (status: number) => boolean = (s) => s >= 200 && s <= 299,
): Promise<Response> {
  let res: Response;
  try {
    res = await p.fetch(url, { redirect: 'manual', ...init });
  } catch (e) {
    throw networkError(p.title, e);
  }
  if (accept(res.status)) return res;
  throw await failure(p, res);
}

export async function failure(p: ProviderHttp, res: Response): Promise<FerryError> {
  const body = await readErrorBody(res);
  const reading = p.readError(res.status, body, res.headers);
  return upstreamError({
    source: p.title,
    status: res.status,
    kind: reading.kind,
    detail: reading.detail,
    retryAfter: res.headers.get('retry-after') ?? reading.retryAfter,
  });
}

export async function callJson<T>(p: ProviderHttp, url: string, init: RequestInit): Promise<T> {
  const res = await call(p, url, init);
  try {
    return (await res.json()) as T;
  } catch {
    throw new FerryError('origin_failed', `${p.title} answered with malformed JSON.`);
  }
}

/** An authorized GET of the provider's JSON API. */
export function getJson<T>(p: ProviderHttp, tokens: ProviderTokens, url: string, signal?: AbortSignal): Promise<T> {
  return callJson<T>(p, url, { headers: bearer(tokens), signal });
}

export function bearer(tokens: ProviderTokens): Record<string, string> {
  return { authorization: `Bearer ${tokens.access}` };
}

/** The tokens of a connected account: a provider's files are never reachable without them. */
export function accountTokens(p: ProviderHttp, tokens: ProviderTokens | undefined): ProviderTokens {
  if (!tokens) throw new FerryError('invalid_account', `${p.title} needs a connected account.`);
  return tokens;
}

export function withQuery(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

export interface DownloadRequest extends ByteRequest {
  method?: 'GET' | 'POST';
  /** The bearer token and any headers the provider wants; the client's `Range` is added here. */
  headers: Record<string, string>;
  /** The provider answers 302 to a short-lived pre-authenticated URL (Microsoft Graph, Box). */
  redirects?: boolean;
}

/**
 * A file's bytes as the provider answers them: 200 or 206 with the body unread; 416 becomes
 * range_not_satisfiable and anything else the normalised failure.
 */
export async function download(p: ProviderHttp, url: string, request: DownloadRequest): Promise<Response> {
  const { method, headers, range, signal, redirects = false } = request;
  const first = await call(
    p,
    url,
    { method, headers: { ...headers, ...(range ? { range } : {}) }, signal },
    (s) => s === 200 || s === 206 || s === 416 || (redirects && s === 302),
  );
  return downloadAnswer(p, redirects ? await followDownload(p, first, url, range, signal) : first, range);
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads that answer with a redirect to a short-lived, pre-authenticated URL (Microsoft
 * Graph, Box): the redirect is followed (at most five hops) with only `Range`, never the bearer
 * token, which belongs to the API host alone.
 */
async function followDownload(
  p: ProviderHttp,
  first: Response,
  requestUrl: string,
  range: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Response> {
  let res = first;
  let at = requestUrl;
  for (let hop = 0; REDIRECTS.has(res.status); hop++) {
    const location = res.headers.get('location');
    await res.body?.cancel().catch(() => {});
    if (!location || hop >= 5) throw new FerryError('origin_failed', `${p.title} redirected the download too often or nowhere.`);
    const next = new URL(location, at).href;
    try {
      res = await p.fetch(next, { redirect: 'manual', signal, headers: range ? { range } : {} });
    } catch (e) {
      throw networkError(p.title, e);
    }
    at = next;
  }
  return res;
}

/** Checks a download answer: 200/206 pass, 416 becomes ours, anything else is normalised. */
async function downloadAnswer(p: ProviderHttp, res: Response, range: string | undefined): Promise<Response> {
  if (res.status === 200 || res.status === 206) return res;
  if (res.status === 416 && range) {
    await res.body?.cancel().catch(() => {});
    const cr = res.headers.get('content-range');
    throw new FerryError('range_not_satisfiable', 'The origin cannot serve that range.', cr ? { 'content-range': cr } : {});
  }
  throw await failure(p, res);
}
