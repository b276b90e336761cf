// One file through an upload session, the one implementation the widget and `ferry/client`
// share: create the session (or pick up a recorded one and ask Ferry which parts it already
// holds), build each missing part from the file's slice (part-builder.ts), send a few at a time
// straight to the part URLs Ferry presigned, retry each on its own with backoff on network errors
// and 5xx, then complete. Progress counts only bytes the store acknowledged. Cancel aborts the
// session; any other failure keeps it (and lets the parts on their way finish), so the same file
// can resume where it stopped.
// Memory: `concurrency` parts (each kept until acknowledged, so a retry needs no re-read).
import { buildPart, importChunkKey, type PartKeys, type PlaintextSource } from './part-builder.js';
import { partCount, partLength, sessionObjectSize } from './part-geometry.js';
import { RequestError } from './request-error.js';
import type { SessionApi, SessionJson, StoredPart, UploadedFileJson } from './session-api.js';

/** What is kept between page loads (or process runs) to resume a session. */
export interface ResumeRecord {
  session: SessionJson;
  /** ETags of the parts the store acknowledged, by part number. */
  etags: Record<string, string>;
}

/** Where resume records live: sessionStorage in the widget, anything you like in a backend. */
export interface ResumeStore {
  get(key: string): ResumeRecord | undefined | Promise<ResumeRecord | undefined>;
  set(key: string, record: ResumeRecord): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

export interface RetryPolicy {
  /** Attempts after the first, per part (default 6). */
  retries: number;
  /** First wait, doubled per attempt, with jitter (default 500 ms), up to `maxDelayMs` (default 15 s). */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Sends one part's bytes to its URL and answers its ETag (undefined when the store's CORS hides
 * it); rejects with a RequestError. `onSent` may report bytes sent so far (the widget's
 * XMLHttpRequest transport does; fetch cannot).
 */
export type PartTransport = (url: string, body: Uint8Array, signal: AbortSignal, onSent: (bytes: number) => void) => Promise<string | undefined>;

export interface SessionUploadOptions {
  api: SessionApi;
  source: PlaintextSource;
  filename: string;
  type: string;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /**
   * Plaintext bytes uploaded, of `total`: the parts the store acknowledged, plus what the
   * transport reports sent of the parts on their way (taken back if such a part is retried).
   */
  onProgress?(loaded: number, total: number): void;
  /** How a part is sent (default: fetch with the bytes as body). */
  transport?: PartTransport;
  /** A part's attempt failed and will be retried (after `delayMs`). */
  onRetry?(info: { part: number; attempt: number; delayMs: number; error: RequestError }): void;
  /** Resume: a record under `key` is picked up, kept up to date, and deleted once complete. */
  resume?: { store: ResumeStore; key: string };
}

export const DEFAULT_CONCURRENCY = 4;
const DEFAULT_RETRY: RetryPolicy = { retries: 6, baseDelayMs: 500, maxDelayMs: 15_000 };
/** Part URLs asked for at once: enough to keep the parts flowing, few enough to use them before they expire. */
const URL_BATCH = 8;

export async function uploadThroughSession(o: SessionUploadOptions): Promise<UploadedFileJson> {
  const retry = { ...DEFAULT_RETRY, ...o.retry };
  const concurrency = Math.max(1, Math.min(16, Math.floor(o.concurrency ?? DEFAULT_CONCURRENCY)));
  const outer = o.signal;
  if (outer?.aborted) throw canceled();

  let record: ResumeRecord | undefined = o.resume ? await o.resume.store.get(o.resume.key) : undefined;
  let stored: StoredPart[] = [];
  if (record && !usable(record, o.source.size)) record = undefined;
  if (record) {
    try {
      stored = await o.api.stored(record.session.upload, outer);
    } catch (e) {
      if (!(e instanceof RequestError) || e.code === 'network' || e.code === 'canceled') throw e;
      record = undefined; // expired, aborted or unknown: start afresh
    }
  }
  if (!record) {
    const session = await o.api.create({ filename: o.filename, type: o.type, size: o.source.size }, outer);
    record = { session, etags: {} };
    await o.resume?.store.set(o.resume.key, record);
  }
  const rec = record;
  const s = rec.session;
  if (s.size !== o.source.size) throw new RequestError('invalid_upload', `the session is for ${s.size} bytes, the file has ${o.source.size}`);
  const keys: PartKeys = { prefix: fromBase64(s.prefix), key: await importChunkKey(fromBase64(s.chunkKey)), baseNonce: fromBase64(s.baseNonce) };
  const g = { prefixSize: keys.prefix.length, size: s.size, partSize: s.partSize };
  if (sessionObjectSize(g) !== s.objectSize) throw new RequestError('invalid_upload', `the session's objectSize ${s.objectSize} does not match its prefix and size`);
  const count = partCount(g);

  // Parts Ferry says are stored, at their full length, are not sent again.
  const etags = new Map<number, string | undefined>();
  for (const p of stored) {
    if (p.n >= 1 && p.n <= count && p.size === partLength(g, p.n)) etags.set(p.n, p.etag ?? rec.etags[p.n]);
  }
  const todo: number[] = [];
  for (let n = 1; n <= count; n++) if (!etags.has(n)) todo.push(n);

  let acked = 0;
  for (const n of etags.keys()) acked += partLength(g, n);
  const sending = new Map<number, number>(); // bytes sent of parts on their way
  let reported = -1;
  const report = () => {
    let loaded = acked;
    for (const b of sending.values()) loaded += b;
    const plain = loaded >= s.objectSize ? s.size : Math.floor((loaded / s.objectSize) * s.size);
    if (plain === reported) return;
    reported = plain;
    o.onProgress?.(plain, s.size);
  };
  report();
  const transport = o.transport ?? fetchTransport;

  const inner = new AbortController();
  const stop = () => inner.abort();
  outer?.addEventListener('abort', stop, { once: true });
  const signal = inner.signal;

  // Part URLs, fetched a batch ahead; a URL that expired is dropped and asked for again.
  const urls = new Map<number, Promise<string>>();
  const urlFor = (n: number): Promise<string> => {
    const known = urls.get(n);
    if (known) return known;
    const from = todo.indexOf(n);
    const batch = (from < 0 ? [n] : todo.slice(from)).filter((m) => !urls.has(m)).slice(0, URL_BATCH);
    const answer = o.api.partUrls(s.upload, batch, signal);
    for (const m of batch) {
      const url = answer.then((u) => {
        const v = u[String(m)];
        if (!v) throw new RequestError('internal_error', `Ferry gave no URL for part ${m}`);
        return v;
      });
      url.catch(() => urls.delete(m));
      urls.set(m, url);
    }
    return urls.get(n)!;
  };

  const sendWithRetry = async (n: number, body: Uint8Array): Promise<string | undefined> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const url = await urlFor(n);
        return await transport(url, body, signal, (bytes) => {
          sending.set(n, Math.min(bytes, body.length - 1));
          report();
        });
      } catch (e) {
        sending.delete(n);
        const err = e instanceof RequestError ? e : new RequestError('network', String(e));
        if (signal.aborted) throw canceled();
        if (err.status === 403 || err.status === 400) urls.delete(n); // an expired (or refused) presigned URL: ask for a fresh one
        // Offline (the browser knows): waiting will not help; fail now, resume when the user retries.
        const offline = typeof navigator !== 'undefined' && (navigator as { onLine?: boolean }).onLine === false;
        if (!retryable(err) || attempt >= retry.retries || offline) throw err;
        const delayMs = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
        o.onRetry?.({ part: n, attempt: attempt + 1, delayMs, error: err });
        await sleep(delayMs, signal);
      }
    }
  };

  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < todo.length && !failed && !signal.aborted) {
      const n = todo[next++]!;
      const body = await buildPart(keys, o.source, s.partSize, n);
      const etag = await sendWithRetry(n, body);
      urls.delete(n);
      sending.delete(n);
      etags.set(n, etag);
      if (etag) rec.etags[n] = etag;
      acked += body.length;
      await o.resume?.store.set(o.resume.key, rec);
      report();
    }
  };

  try {
    // After a part fails for good no new part starts, but the parts on their way finish: a part
    // the store is receiving is worth keeping for the resume.
    const workers = Array.from({ length: Math.min(concurrency, todo.length) }, () =>
      worker().catch((e: unknown) => {
        failed = true;
        throw e;
      }),
    );
    const settled = await Promise.allSettled(workers);
    const failure = settled.find((r) => r.status === 'rejected');
    if (failure) throw failure.reason;
    if (outer?.aborted) throw canceled();
    // The record goes with complete only when it is whole: a part whose answer was lost (a reload
    // just after the store took it) is known only from Ferry's listing, and Ferry lists the parts
    // itself wherever it can list them at all.
    const entries = [...etags.entries()].sort((a, b) => a[0] - b[0]);
    const parts = entries.every(([, etag]) => etag) ? entries.map(([n, etag]) => ({ n, etag: etag! })) : undefined;
    const file = await o.api.complete(s.upload, parts, outer);
    await o.resume?.store.delete(o.resume.key);
    return file;
  } catch (e) {
    if (outer?.aborted) {
      await o.api.abort(s.upload).catch(() => {});
      await o.resume?.store.delete(o.resume.key);
      throw canceled();
    }
    const err = e instanceof RequestError ? e : new RequestError('network', e instanceof Error ? e.message : String(e));
    // A session Ferry refused for good cannot be resumed; forget it so the next try starts afresh.
    if (err.code === 'invalid_upload' || err.status === 404 || err.status === 410) await o.resume?.store.delete(o.resume.key);
    throw err;
  } finally {
    outer?.removeEventListener('abort', stop);
  }
}

/** Sends one part's bytes with fetch (as bytes: Node 20's fetch would buffer a stream body anyway). */
export const fetchTransport: PartTransport = async (url, body, signal) => {
  let res: Response;
  try {
    res = await fetch(url, { method: 'PUT', body: body as Uint8Array<ArrayBuffer>, signal, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    if (signal.aborted) throw canceled();
    throw new RequestError('network', `The connection failed${e instanceof Error ? `: ${e.message}` : ''}.`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw partError(res.status, text);
  return res.headers.get('etag') ?? undefined;
};

export function partError(status: number, body: string): RequestError {
  try {
    const e = JSON.parse(body)?.error;
    if (e && typeof e.code === 'string') return new RequestError(e.code, String(e.message ?? e.code), status);
  } catch {
    // S3 answers XML
  }
  const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
  return new RequestError(status >= 500 ? 'storage_unavailable' : 'bad_request', `the store answered ${status}${code ? ` ${code}` : ''}`, status);
}

function retryable(e: RequestError): boolean {
  return e.code === 'network' || e.status >= 500 || e.status === 408 || e.status === 429 || e.status === 403;
}

function usable(r: ResumeRecord, size: number): boolean {
  return !!r.session && r.session.size === size && Date.parse(r.session.expiresAt) > Date.now() + 60_000;
}

function canceled(): RequestError {
  return new RequestError('canceled', 'Cancelled.');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(canceled());
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(canceled());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function fromBase64(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
