// The benchmark's client: node:http only (Node 20's fetch buffers streamed request bodies, see
// NOTES.md), a fresh connection per request (agent: false) for every contender alike. Uploads
// send one random 1 MiB block over and over; downloads count bytes and throw them away, so the
// client costs as little CPU as it can (it shares the two cores with the servers).
import { createHash, randomBytes } from 'node:crypto';
import { request, type ClientRequest, type IncomingHttpHeaders } from 'node:http';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
const block = randomBytes(MiB);

/** How long a request may go without progress before the benchmark gives up on it. */
const IDLE_TIMEOUT_MS = 60_000;

/** SHA-256 of bytes `start` to `start + length` of what every upload sends: `block` repeated. */
export function expectedSha256(length: number, start = 0): string {
  const h = createHash('sha256');
  for (let at = start; at < start + length; ) {
    const from = at % MiB;
    const n = Math.min(MiB - from, start + length - at);
    h.update(block.subarray(from, from + n));
    at += n;
  }
  return h.digest('hex');
}

export interface UploadResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  seconds: number;
}

/** Sends `size` bytes as the request body; the time runs from the request to the end of the answer. */
export function upload(
  url: string,
  size: number,
  options: { method?: string; headers?: Record<string, string | number> } = {},
): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const started = performance.now();
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: options.method ?? 'POST',
        agent: false,
        headers: { 'content-length': size, 'content-type': 'application/octet-stream', ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, seconds: (performance.now() - started) / 1000 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no progress for ${IDLE_TIMEOUT_MS} ms: ${url}`)));
    let sent = 0;
    const write = () => {
      while (sent < size) {
        const n = Math.min(MiB, size - sent);
        sent += n;
        if (!req.write(block.subarray(0, n))) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

export interface DownloadResult {
  status: number;
  bytes: number;
  seconds: number;
  /** From sending the request to the first byte of the body. */
  ttfbMs: number;
  sha256?: string;
}

export function download(url: string, options: { headers?: Record<string, string>; hash?: boolean } = {}): Promise<DownloadResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const started = performance.now();
    let first = NaN;
    request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent: false, headers: options.headers }, (res) => {
      const hash = options.hash ? createHash('sha256') : undefined;
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        if (bytes === 0) first = performance.now();
        bytes += d.length;
        hash?.update(d);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          bytes,
          seconds: (performance.now() - started) / 1000,
          ttfbMs: first - started,
          sha256: hash?.digest('hex'),
        }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .setTimeout(IDLE_TIMEOUT_MS, function (this: ClientRequest) {
        this.destroy(new Error(`no progress for ${IDLE_TIMEOUT_MS} ms: ${url}`));
      })
      .end();
  });
}

/** A small request with an optional JSON body; the answer's JSON. */
export function requestJson(
  url: string,
  options: { method?: string; headers?: Record<string, string>; json?: unknown } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of any JSON shape
): Promise<{ status: number; headers: IncomingHttpHeaders; json: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: options.method ?? (body ? 'POST' : 'GET'),
        agent: false,
        headers: { ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}), ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode!, headers: res.headers, json });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS} ms: ${url}`)));
    req.end(body);
  });
}
