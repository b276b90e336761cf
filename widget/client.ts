// Talks to Ferry's HTTP API. Uploads and picks go through XMLHttpRequest, the one browser API
// that reports upload progress (fetch has none) and can be aborted mid-body; listings use
// fetch. Every request carries the app key (and policy) in the query, never cookies.
// The JSON shapes are the server's own (src/wire.ts), imported as types only.
import type { FileJson, ListResponse, PickJson, PickRequestJson, SourceJson } from '../src/wire.js';
import type { FerryFile } from './api.js';

export interface Endpoint {
  base: string;
  key: string;
  ttl?: number;
  policy?: string;
  signature?: string;
}

/** A source the app may use, as Ferry lists it. */
export type SourceInfo = SourceJson;

/** A failure with Ferry's stable code ("network" and "canceled" when there was no answer). */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

export interface Transfer<T> {
  done: Promise<T>;
  abort(): void;
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

function errorFrom(status: number, body: string): RequestError {
  try {
    const e = JSON.parse(body)?.error;
    if (e && typeof e.code === 'string') return new RequestError(e.code, String(e.message ?? e.code), status);
  } catch {
    // not JSON: a proxy or the platform answered
  }
  return new RequestError(status >= 500 ? 'internal_error' : 'bad_request', `HTTP ${status}`, status);
}

function send<T>(
  method: string,
  url: string,
  body: XMLHttpRequestBodyInit,
  contentType: string,
  onProgress?: (loaded: number, total: number) => void,
): Transfer<T> {
  const xhr = new XMLHttpRequest();
  const done = new Promise<T>((resolve, reject) => {
    xhr.open(method, url);
    xhr.setRequestHeader('content-type', contentType);
    xhr.responseType = 'text';
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as T);
        } catch {
          reject(new RequestError('internal_error', 'The answer was not JSON.', xhr.status));
        }
      } else {
        reject(errorFrom(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () => reject(new RequestError('network', 'The connection failed.'));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(new RequestError('canceled', 'Cancelled.'));
    xhr.send(body);
  });
  return { done, abort: () => xhr.abort() };
}

/** One local file, sent raw (`?filename=`), so progress and cancel are per file. */
export function uploadFile(ep: Endpoint, file: Blob, filename: string, onProgress: (loaded: number, total: number) => void): Transfer<FerryFile> {
  const url = apiUrl(ep, 'v1/files', { filename, ttl: ep.ttl }, true);
  const t = send<FileJson>('POST', url, file, file.type || 'application/octet-stream', onProgress);
  return { done: t.done.then((f) => ({ ...f, source: 'local' as const })), abort: t.abort };
}

export type PickRequest = PickRequestJson;

export function createPick(ep: Endpoint, pick: PickRequest): Transfer<FerryFile> {
  const url = apiUrl(ep, 'v1/picks', { ttl: ep.ttl }, true);
  const t = send<PickJson>('POST', url, JSON.stringify(pick), 'application/json');
  return { done: t.done.then((f) => ({ ...f, source: f.source ?? pick.source })), abort: t.abort };
}

async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { headers, credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new RequestError('network', 'The connection failed.');
  }
  const text = await res.text();
  if (!res.ok) throw errorFrom(res.status, text);
  return JSON.parse(text) as T;
}

export async function listSources(ep: Endpoint): Promise<SourceInfo[]> {
  return (await getJson<{ sources: SourceInfo[] }>(apiUrl(ep, 'v1/sources'))).sources;
}

export function listFolder(
  ep: Endpoint,
  provider: string,
  account: string,
  folder: string,
  cursor?: string,
): Promise<ListResponse> {
  return getJson(apiUrl(ep, `v1/sources/${encodeURIComponent(provider)}/list`, { folder, cursor }), { authorization: `Bearer ${account}` });
}

export function connectUrl(ep: Endpoint, provider: string, origin: string): string {
  return apiUrl(ep, `v1/connect/${encodeURIComponent(provider)}`, { origin });
}
