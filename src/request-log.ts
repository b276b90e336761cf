// One JSON line per request, written when the response has been fully sent (or failed).
// It carries what an operator needs and nothing a user would not want kept: never a handle
// or its secret, an app key or secret, a policy, an account token, a file name, or a full
// client address (IPv4 is cut to its /24, IPv6 to its /48). bytesIn counts the request body as
// it was read, bytesOut the response body as it was sent.

export interface RequestLogEntry {
  time: string;
  requestId: string;
  method: string;
  /** The route pattern, e.g. "/v1/files/:handle": never the concrete path. */
  route: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  app?: string;
  /** Hex file id when the request concerned one stored file (not secret). */
  fileId?: string;
  client?: string;
  /** Set when the response body failed part-way. */
  aborted?: boolean;
  error?: string;
}

export type RequestLogger = (entry: RequestLogEntry) => void;

export function truncateIp(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped ? mapped[1]! : ip;
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}$/.exec(v4);
  if (m) return `${m[1]}.${m[2]}.${m[3]}.0/24`;
  if (ip.includes(':')) {
    const [head] = ip.split('%');
    const parts = head!.split('::');
    const left = parts[0] ? parts[0].split(':') : [];
    const right = parts.length > 1 && parts[1] ? parts[1].split(':') : [];
    const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
    return `${groups.slice(0, 3).map((g) => (g || '0').toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/48`;
  }
  return undefined;
}

/**
 * Wraps a response body so the log line is written once the last byte is handed on, with
 * the number of bytes sent. Errors pass through untouched.
 */
export function countBody(
  body: ReadableStream<Uint8Array>,
  done: (bytes: number, failed: boolean) => void,
  /** The request's signal: a client gone before the answer was read still gets its line. */
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  let bytes = 0;
  let finished = false;
  const finish = (failed: boolean) => {
    if (finished) return;
    finished = true;
    done(bytes, failed);
  };
  // A runtime does not read the answer of a client that has gone (@hono/node-server drops it),
  // so without this the line of an interrupted request was never written.
  if (signal?.aborted) finish(true);
  else signal?.addEventListener('abort', () => finish(true), { once: true });
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done: end, value } = await reader.read();
          if (end) {
            controller.close();
            finish(false);
          } else {
            bytes += value.byteLength;
            controller.enqueue(value);
          }
        } catch (e) {
          finish(true);
          controller.error(e);
        }
      },
      cancel(reason) {
        finish(true);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The request with its body counted as the app reads it, for the log's bytesIn: the bytes that
 * actually arrived, not the Content-Length a client declared (a declared 10 GB answered 413 at
 * once received nothing). A request without a body is returned as it is.
 */
export function countRequestBody(request: Request): { request: Request; bytes: () => number } {
  const body = request.body;
  if (!body) return { request, bytes: () => 0 };
  let bytes = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const counted = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= body.getReader();
        const { done, value } = await reader.read();
        if (done) return controller.close();
        bytes += value.byteLength;
        controller.enqueue(value);
      },
      cancel(reason) {
        return (reader ?? body).cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const init: RequestInit & { duplex: 'half' } = {
    method: request.method,
    headers: request.headers,
    body: counted,
    signal: request.signal,
    duplex: 'half',
  };
  return { request: new Request(request.url, init), bytes: () => bytes };
}
