// Types of `ferry/client` (dist/client/client.mjs, built from src/client/index.ts by
// scripts/build-widget.mjs). test/client/types.test.ts checks the implementation against them.

/** A failure with Ferry's stable error code; "network" when nothing answered, "canceled" when stopped. */
export declare class RequestError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status?: number);
}

/** The uploaded file, as Ferry answers it. */
export interface UploadedFileJson {
  handle: string;
  /** Absolute URL of the bytes; a bearer capability, treat it like a password. */
  url: string;
  /** The same bytes shown in the browser (`&inline=1`): only for images, audio, video, PDF and plain text. */
  inlineUrl?: string;
  filename: string;
  size: number;
  type: string;
  createdAt: string;
  expiresAt: string;
}

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

/** What is kept to resume a session. It holds the session's keys: keep it as private as the file. */
export interface ResumeRecord {
  session: SessionJson;
  etags: Record<string, string>;
}

export interface ResumeStore {
  get(key: string): ResumeRecord | undefined | Promise<ResumeRecord | undefined>;
  set(key: string, record: ResumeRecord): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

export interface RetryPolicy {
  /** Attempts after the first, per part (default 6). */
  retries: number;
  /** First wait, doubled each attempt, with jitter (default 500 ms)… */
  baseDelayMs: number;
  /** …up to this (default 15 s). */
  maxDelayMs: number;
}

export interface UploadOptions {
  endpoint: string;
  key: string;
  policy?: string;
  signature?: string;
  ttl?: number;
  /** A Blob or File, or a stream with its exact size. */
  file: Blob | { stream: ReadableStream<Uint8Array>; size: number };
  filename?: string;
  type?: string;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  onProgress?(loaded: number, total: number): void;
  onRetry?(info: { part: number; attempt: number; delayMs: number; error: RequestError }): void;
  resume?: { store: ResumeStore; key: string };
}

export declare function upload(options: UploadOptions): Promise<UploadedFileJson>;
export declare function memoryResumeStore(): ResumeStore;
