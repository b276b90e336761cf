// Talks to Ferry's HTTP API. Upload sessions are src/client/ (shared with ferry/client); the
// streaming upload and picks go through XMLHttpRequest, the one browser API
// that reports upload progress (fetch has none) and can be aborted mid-body; listings use
// fetch. Every request carries the app key (and policy) in the query, never cookies.
// The JSON shapes are the server's own (src/wire.ts), imported as types only.
import type { FileJson, ListResponse, PickJson, PickRequestJson, SourceJson } from '../src/wire.js';
import type { FerryFile } from './api.js';
import { RequestError, errorFrom } from '../src/client/request-error.js';
import { apiUrl, type Endpoint } from '../src/client/session-api.js';

// One failure type and one URL builder for the widget and ferry/client (src/client/).
export { RequestError, apiUrl, type Endpoint };

/** A source the app may use, as Ferry lists it. */
export type SourceInfo = SourceJson;

export interface Transfer<T> {
  done: Promise<T>;
  abort(): void;
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
