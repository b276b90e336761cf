// Ferry's upload-session API over fetch (DESIGN.md "Upload sessions"): create, part URLs, the
// parts stored so far, complete, abort. Every call carries the app key (and the signed policy,
// when there is one) in the query, never cookies, so the same calls work from a page on another
// origin and from a backend. The JSON shapes are the contract's.
import { RequestError, errorFrom } from './request-error.js';

export interface Endpoint {
  /** Ferry's base URL. */
  base: string;
  /** The app's public key. */
  key: string;
  ttl?: number;
  policy?: string;
  signature?: string;
}

/** 201 of POST /v1/uploads. */
export interface SessionJson {
  upload: string;
  handle: string;
  url: string;
  size: number;
  objectSize: number;
  partSize: number;
  prefix: string;
  chunkKey: string;
  baseNonce: string;
  expiresAt: string;
}

/** The file JSON complete answers. */
export interface UploadedFileJson {
  handle: string;
  url: string;
  /** Present for the types Ferry shows inline (images, audio, video, PDF, plain text). */
  inlineUrl?: string;
  filename: string;
  size: number;
  type: string;
  createdAt: string;
  expiresAt: string;
}

export interface StoredPart {
  n: number;
  size: number;
  etag?: string;
}

export function apiUrl(ep: Endpoint, path: string, params: Record<string, string | number | undefined> = {}, withPolicy = false): string {
  const url = new URL(path, ep.base.replace(/\/*$/, '/'));
  url.searchParams.set('key', ep.key);
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  if (withPolicy && ep.policy && ep.signature) {
    url.searchParams.set('policy', ep.policy);
    url.searchParams.set('signature', ep.signature);
  }
  return url.href;
}

async function call<T>(method: string, url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
      signal,
    });
  } catch (e) {
    if (signal?.aborted) throw new RequestError('canceled', 'Cancelled.');
    throw new RequestError('network', `The connection failed${e instanceof Error ? `: ${e.message}` : ''}.`);
  }
  const text = await res.text();
  if (!res.ok) throw errorFrom(res.status, text);
  if (res.status === 204 || text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new RequestError('internal_error', 'The answer was not JSON.', res.status);
  }
}

const session = (upload: string) => `v1/uploads/${encodeURIComponent(upload)}`;

export interface SessionApi {
  create(file: { filename: string; type: string; size: number }, signal?: AbortSignal): Promise<SessionJson>;
  partUrls(upload: string, parts: number[], signal?: AbortSignal): Promise<Record<string, string>>;
  stored(upload: string, signal?: AbortSignal): Promise<StoredPart[]>;
  /** `parts`: the client's record; left out, Ferry lists the stored parts itself. */
  complete(upload: string, parts: { n: number; etag: string }[] | undefined, signal?: AbortSignal): Promise<UploadedFileJson>;
  abort(upload: string): Promise<void>;
}

export function sessionApi(ep: Endpoint): SessionApi {
  return {
    create: (file, signal) => call('POST', apiUrl(ep, 'v1/uploads', {}, true), { ...file, ...(ep.ttl ? { ttl: ep.ttl } : {}) }, signal),
    partUrls: async (upload, parts, signal) => (await call<{ urls: Record<string, string> }>('POST', apiUrl(ep, `${session(upload)}/parts`), { parts }, signal)).urls,
    stored: async (upload, signal) => {
      const answer = await call<StoredPart[] | { parts: StoredPart[] }>('GET', apiUrl(ep, session(upload)), undefined, signal);
      return Array.isArray(answer) ? answer : answer.parts;
    },
    complete: (upload, parts, signal) => call('POST', apiUrl(ep, `${session(upload)}/complete`), parts ? { parts } : {}, signal),
    abort: async (upload) => {
      await call('DELETE', apiUrl(ep, session(upload)), undefined);
    },
  };
}
