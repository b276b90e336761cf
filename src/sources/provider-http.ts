// The HTTP plumbing every cloud provider shares: calls through the injected `fetch` whose
// failures go through the one normaliser (each adapter only says how to read its provider's
// error body), RFC 6749 token requests, PKCE, and following a provider's download redirect to
// its pre-authenticated URL without sending the bearer token along.
import { FerryError } from '../errors.js';
import { networkError, readErrorBody, upstreamError, type UpstreamKind } from './errors.js';
import { base64url } from './tokens.js';
import type { Fetch, ProviderTokens } from './types.js';

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

export function bearer(tokens: ProviderTokens): Record<string, string> {
  return { authorization: `Bearer ${tokens.access}` };
}

interface TokenAnswer {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
}

/**
 * An RFC 6749 token request (form-encoded POST). For a refresh, `previous` keeps its refresh
 * token when the provider sends no new one; an `invalid_grant` answer to a refresh means the
 * grant is gone, which the client sees as source_auth_expired.
 */
export async function tokenRequest(
  p: ProviderHttp,
  url: string,
  params: Record<string, string | undefined>,
  previous?: ProviderTokens,
): Promise<ProviderTokens> {
  const form = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) form.set(k, v);
  const refreshing = params.grant_type === 'refresh_token';
  const tp: ProviderHttp = {
    ...p,
    readError: (status, body, headers) => {
      const err = (body.json as { error?: unknown } | undefined)?.error;
      const detail = typeof err === 'string' ? err : undefined;
      if (status >= 500 || status === 429) return { detail };
      // A refused refresh means the user's grant is gone (reconnect); anything else, such as
      // invalid_client or a reused code, is the provider refusing Ferry, not an expired session.
      if (refreshing && (detail === 'invalid_grant' || detail === 'invalid_token')) return { kind: 'auth_expired', detail };
      return { kind: 'rejected', detail: detail ?? p.readError(status, body, headers).detail };
    },
  };
  const answer = await callJson<TokenAnswer>(tp, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
  });
  if (typeof answer.access_token !== 'string' || answer.access_token === '') {
    throw new FerryError('origin_failed', `${p.title} answered the token request without an access token.`);
  }
  const expiresIn = Number(answer.expires_in);
  const refresh = typeof answer.refresh_token === 'string' && answer.refresh_token ? answer.refresh_token : previous?.refresh;
  return {
    access: answer.access_token,
    ...(refresh ? { refresh } : {}),
    ...(Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresAt: Math.floor(p.now().getTime() / 1000 + expiresIn) } : {}),
  };
}

/** A PKCE verifier and its S256 challenge (RFC 7636). */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)) };
}

export function withQuery(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads that answer with a redirect to a short-lived, pre-authenticated URL (Microsoft
 * Graph, Box): the redirect is followed (at most five hops) with only `Range`, never the bearer
 * token, which belongs to the API host alone.
 */
export async function followDownload(
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
export async function downloadAnswer(p: ProviderHttp, res: Response, range: string | undefined): Promise<Response> {
  if (res.status === 200 || res.status === 206) return res;
  if (res.status === 416 && range) {
    await res.body?.cancel().catch(() => {});
    const cr = res.headers.get('content-range');
    throw new FerryError('range_not_satisfiable', 'The origin cannot serve that range.', cr ? { 'content-range': cr } : {});
  }
  throw await failure(p, res);
}
