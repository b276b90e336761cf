// How the picker sends a device file by default: through an upload session (src/client/, the
// same code as ferry/client), so the file is encrypted here, part by part from slices of the
// File, and goes straight to the bucket. A record of the session is kept in sessionStorage,
// keyed by the file's name, size and last-modified time, so that choosing the same file again in
// the same tab after a reload resumes it. Where sessions are unavailable (no WebCrypto outside a
// secure context, or a Ferry that does not offer them) the streaming upload is used instead.
import { blobSource } from '../src/client/part-builder.js';
import { sessionApi, type SessionApi } from '../src/client/session-api.js';
import { partError, uploadThroughSession, type PartTransport, type ResumeRecord, type ResumeStore } from '../src/client/session-upload.js';
import type { FerryFile } from './api.js';
import { RequestError, uploadFile, type Endpoint, type Transfer } from './client.js';

export interface SessionUploaderOptions {
  /** Parts in flight per file. */
  partConcurrency: number;
  /** false: always the streaming upload. */
  sessions: boolean;
}

const RECORD_PREFIX = 'ferry:upload:';

/** Answers from a Ferry without upload sessions (an older server, or sessions switched off). */
const UNAVAILABLE = new Set([404, 405, 501]);
class SessionsUnavailable extends Error {}

export function sessionUploader(ep: Endpoint, o: SessionUploaderOptions): (file: File, filename: string, onProgress: (loaded: number) => void) => Transfer<FerryFile> {
  let available = o.sessions && typeof crypto !== 'undefined' && !!crypto.subtle;
  const api = sessionApi(ep);
  const guarded: SessionApi = {
    ...api,
    create: (file, signal) =>
      api.create(file, signal).catch((e: unknown) => {
        if (e instanceof RequestError && UNAVAILABLE.has(e.status)) throw new SessionsUnavailable();
        throw e;
      }),
  };
  const store = tabStore();
  return (file, filename, onProgress) => {
    if (!available) return uploadFile(ep, file, filename, (loaded) => onProgress(loaded));
    const ac = new AbortController();
    let fallback: Transfer<FerryFile> | undefined;
    const done = uploadThroughSession({
      api: guarded,
      source: blobSource(file),
      filename,
      type: file.type || 'application/octet-stream',
      concurrency: o.partConcurrency,
      signal: ac.signal,
      onProgress: (loaded) => onProgress(loaded),
      transport: xhrTransport,
      resume: store ? { store, key: `${RECORD_PREFIX}${ep.base}|${ep.key}|${file.name}|${file.size}|${file.lastModified}` } : undefined,
    }).then(
      (f): FerryFile | Promise<FerryFile> => ({ ...f, source: 'local' }),
      (e: unknown) => {
        if (!(e instanceof SessionsUnavailable)) throw e;
        available = false;
        if (ac.signal.aborted) throw new RequestError('canceled', 'Cancelled.');
        fallback = uploadFile(ep, file, filename, (loaded) => onProgress(loaded));
        return fallback.done;
      },
    );
    return {
      done,
      abort: () => {
        ac.abort();
        fallback?.abort();
      },
    };
  };
}

/** Parts through XMLHttpRequest: the one browser API that reports upload progress (fetch has none). */
const xhrTransport: PartTransport = (url, body, signal, onSent) =>
  new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => onSent(e.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader('etag') ?? undefined);
      else reject(partError(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new RequestError('network', 'The connection failed.'));
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => reject(new RequestError('canceled', 'Cancelled.'));
    const abort = () => xhr.abort();
    signal.addEventListener('abort', abort, { once: true });
    xhr.onloadend = () => signal.removeEventListener('abort', abort);
    // As a Blob: Chromium sends an ArrayBuffer body through its IPC as one message, which took
    // seconds per 8 MiB part in the bench; a Blob is handed over as a data pipe.
    xhr.send(new Blob([body as Uint8Array<ArrayBuffer>]));
  });

/** sessionStorage as a ResumeStore: this tab only, gone when the tab closes. Null where storage is off. */
function tabStore(): ResumeStore | null {
  let s: Storage;
  try {
    s = sessionStorage;
    s.getItem(RECORD_PREFIX);
  } catch {
    return null;
  }
  return {
    get(key) {
      try {
        const text = s.getItem(key);
        return text ? (JSON.parse(text) as ResumeRecord) : undefined;
      } catch {
        return undefined;
      }
    },
    set(key, record) {
      try {
        s.setItem(key, JSON.stringify(record));
      } catch {
        // storage full or off: this upload just cannot resume
      }
    },
    delete(key) {
      try {
        s.removeItem(key);
      } catch {
        // nothing to forget
      }
    },
  };
}
