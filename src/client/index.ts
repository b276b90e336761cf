// `ferry/client`: upload a file to Ferry through an upload session from a backend, a script or a
// page (Node 24 and 26 tested, browsers, Workers: fetch and crypto.subtle only). The bytes are encrypted
// here and go straight to the bucket; Ferry only answers JSON. The widget runs the same code
// (session-upload.ts), so resume, retry and progress behave the same everywhere.
//
//   import { upload } from 'ferry/client';
//   const file = await upload({ endpoint: 'https://ferry.example', key: 'app-key', file: blob });
import { blobSource, streamSource, type PlaintextSource } from './part-builder.js';
import { RequestError } from './request-error.js';
import { sessionApi, type Endpoint, type UploadedFileJson } from './session-api.js';
import { uploadThroughSession, type ResumeRecord, type ResumeStore, type RetryPolicy } from './session-upload.js';

export { RequestError };
export type { ResumeRecord, ResumeStore, RetryPolicy, UploadedFileJson };

export interface UploadOptions {
  /** Ferry's base URL. */
  endpoint: string;
  /** The app's public key. */
  key: string;
  /** A signed policy and its signature (`signPolicy` from `ferry/policy`). */
  policy?: string;
  signature?: string;
  /** Lifetime in seconds (at most the app's). */
  ttl?: number;
  /** A Blob or File, or a stream with its exact size. */
  file: Blob | { stream: ReadableStream<Uint8Array>; size: number };
  /** Default: the File's name, else "file". */
  filename?: string;
  /** Default: the Blob's type, else application/octet-stream. */
  type?: string;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  onProgress?(loaded: number, total: number): void;
  onRetry?(info: { part: number; attempt: number; delayMs: number; error: RequestError }): void;
  /**
   * Keep a record under `key` to resume after a failure or restart. A stream resumes by reading
   * (and skipping) the bytes of the parts already stored, so pass the same stream from its start.
   */
  resume?: { store: ResumeStore; key: string };
}

export function upload(o: UploadOptions): Promise<UploadedFileJson> {
  const ep: Endpoint = { base: o.endpoint, key: o.key, ttl: o.ttl, policy: o.policy, signature: o.signature };
  const isBlob = typeof Blob !== 'undefined' && o.file instanceof Blob;
  const source: PlaintextSource = isBlob ? blobSource(o.file as Blob) : streamOf(o.file as { stream: ReadableStream<Uint8Array>; size: number });
  const named = isBlob && 'name' in (o.file as Blob) ? (o.file as File).name : undefined;
  return uploadThroughSession({
    api: sessionApi(ep),
    source,
    filename: o.filename ?? named ?? 'file',
    type: o.type ?? (isBlob && (o.file as Blob).type ? (o.file as Blob).type : 'application/octet-stream'),
    concurrency: o.concurrency,
    retry: o.retry,
    signal: o.signal,
    onProgress: o.onProgress,
    onRetry: o.onRetry,
    resume: o.resume,
  });
}

function streamOf(f: { stream: ReadableStream<Uint8Array>; size: number }): PlaintextSource {
  if (!f || typeof f.stream?.getReader !== 'function' || !Number.isSafeInteger(f.size) || f.size < 0) {
    throw new TypeError('ferry/client: `file` must be a Blob, or { stream: ReadableStream, size: bytes }');
  }
  return streamSource(f.stream, f.size);
}

/** A ResumeStore in memory (a Map), for scripts that retry within one run. */
export function memoryResumeStore(): ResumeStore {
  const m = new Map<string, ResumeRecord>();
  return { get: (k) => m.get(k), set: (k, r) => void m.set(k, structuredClone(r)), delete: (k) => void m.delete(k) };
}
