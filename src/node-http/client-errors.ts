// Requests that never reach the app: what Node's HTTP parser refuses ('clientError'), an Expect
// it cannot meet ('checkExpectation'), and what @hono/node-server cannot turn into a Request (no
// or bad Host, a backslash in the path, `*` or `ftp://` targets). Left alone, Node and the
// adapter answer these with a bare status and log nothing; here each gets the JSON of the one
// error table (src/errors.ts) and one request-log line, like every other error Ferry sends.
// Two more rules live here because only the raw request shows them: two Host headers are a 400
// (RFC 9112 §3.2; Node silently keeps the first), and an error written for a broken pipelined
// request waits until the answers to the requests before it have been sent (RFC 9112 §9.3.2).
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ERRORS, errorBody, type ErrorCode } from '../errors.js';
import { truncateIp, type RequestLogger } from '../request-log.js';

/** How long an error for a broken pipelined request waits for the answers before it. */
const PIPELINE_WAIT_MS = 30_000;

const STATUS_TEXT: Partial<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
};

interface Refusal {
  code: ErrorCode;
  message: string;
}

// uri-host [ ":" port ] (RFC 9110 §7.2): an IP literal or a reg-name, and at most five digits.
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::(\d{0,5}))?$/;

/** Why a parsed request cannot be served, judged from its raw request line and headers. */
export function refusalOf(incoming: IncomingMessage): Refusal | undefined {
  const hosts: string[] = [];
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'host') hosts.push(raw[i + 1]!);
  if (hosts.length > 1) return { code: 'bad_request', message: 'The request has more than one Host header.' };
  const host = hosts[0];
  if (host === undefined) {
    if (incoming.httpVersion === '1.1') return { code: 'bad_request', message: 'An HTTP/1.1 request needs a Host header.' };
  } else {
    const m = HOST.exec(host);
    if (!m) return { code: 'bad_request', message: 'The Host header is not a valid host.' };
    if (m[2] !== undefined && m[2] !== '' && Number(m[2]) > 65_535) {
      return { code: 'bad_request', message: 'The Host header names a port out of range.' };
    }
  }
  const target = incoming.url ?? '';
  if (target === '*') return { code: 'bad_request', message: 'Ferry answers no request for "*"; ask for a path.' };
  if (!target.startsWith('/') && !/^https?:\/\//i.test(target)) {
    return { code: 'bad_request', message: 'The request target must be a path (or an http(s) URL).' };
  }
  const query = target.indexOf('?');
  if (target.slice(0, query === -1 ? undefined : query).includes('\\')) {
    return { code: 'bad_request', message: 'The request path contains a backslash.' };
  }
  // The adapter builds the Request's URL from these two; whatever its URL parser refuses, or
  // reads as another host, it would answer with a bare 400.
  if (host !== undefined && target.startsWith('/')) {
    let url: URL;
    try {
      url = new URL(`http://${host}${target}`);
    } catch {
      return { code: 'bad_request', message: 'The Host header and request target do not form a valid URL.' };
    }
    if (url.hostname !== host.replace(/:\d*$/, '').toLowerCase()) {
      return { code: 'bad_request', message: 'The Host header is not a valid host.' };
    }
  } else if (!target.startsWith('/') && !URL.canParse(target)) {
    return { code: 'bad_request', message: 'The request target is not a valid URL.' };
  }
  return undefined;
}

/** The responses still being written on each socket, so a parser error can wait for them. */
const inFlight = new WeakMap<Socket, Set<ServerResponse>>();

function track(socket: Socket, outgoing: ServerResponse): void {
  let set = inFlight.get(socket);
  if (!set) inFlight.set(socket, (set = new Set()));
  set.add(outgoing);
  const done = () => set.delete(outgoing);
  outgoing.once('finish', done);
  outgoing.once('close', done);
}

/** Resolves once every response started on `socket` has been handed to it (or the socket closed). */
function answersBefore(socket: Socket): Promise<void> {
  const pending = [...(inFlight.get(socket) ?? [])].filter((r) => !r.writableFinished);
  if (pending.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = pending.length;
    const timer = setTimeout(finish, PIPELINE_WAIT_MS);
    function finish() {
      clearTimeout(timer);
      socket.off('close', finish);
      resolve();
    }
    socket.once('close', finish);
    for (const r of pending) {
      const one = () => {
        r.off('finish', one);
        r.off('close', one);
        if (--left === 0) finish();
      };
      r.once('finish', one);
      r.once('close', one);
    }
  });
}

export interface ClientErrorOptions {
  requestLog: RequestLogger;
  now?: () => Date;
}

/** The log line of an error answered outside the app (request-log.ts says what it never holds). */
function logRefusal(options: ClientErrorOptions, method: string, socket: Socket, status: number, code: ErrorCode, requestId: string) {
  options.requestLog({
    time: (options.now?.() ?? new Date()).toISOString(),
    requestId,
    method,
    route: 'unmatched',
    status,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 0,
    client: truncateIp(socket.remoteAddress),
    error: code,
  });
}

function jsonHeaders(body: string, requestId: string): Record<string, string> {
  return {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
    'x-request-id': requestId,
    connection: 'close',
  };
}

/** Answers a parsed request with an error from the table and closes the connection after it. */
function answer(options: ClientErrorOptions, incoming: IncomingMessage, outgoing: ServerResponse, code: ErrorCode, message: string) {
  const requestId = crypto.randomUUID();
  const body = errorBody(code, message);
  // Whatever body the request carries is not read: close once the answer is out, so its bytes
  // are never parsed as a next request.
  outgoing.shouldKeepAlive = false;
  outgoing.writeHead(ERRORS[code], jsonHeaders(body, requestId));
  outgoing.end(body);
  logRefusal(options, incoming.method ?? '-', incoming.socket, ERRORS[code], code, requestId);
}

/**
 * Wraps the adapter's request listener: refuses what `refusalOf` finds before the adapter sees
 * it, and records each response so a later parser error on the same socket waits for it.
 */
export function guardRequests(listener: RequestListener, options: ClientErrorOptions): RequestListener {
  return (incoming, outgoing) => {
    track(incoming.socket, outgoing);
    const refusal = refusalOf(incoming);
    if (refusal) return answer(options, incoming, outgoing, refusal.code, refusal.message);
    return listener(incoming, outgoing);
  };
}

function parserRefusal(err: NodeJS.ErrnoException): Refusal {
  if (err.code === 'HPE_HEADER_OVERFLOW') return { code: 'headers_too_large', message: 'The request headers are too large.' };
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: 'request_timeout', message: 'The request headers took too long to arrive.' };
  return { code: 'bad_request', message: 'The request is not valid HTTP.' };
}

/**
 * The JSON answers for what never becomes a request: parser errors ('clientError') and
 * expectations other than 100-continue ('checkExpectation', 417).
 */
function answerClientErrors(server: Server, options: ClientErrorOptions): void {
  const handled = new WeakSet<Socket>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Node calls again for bytes that arrive after the first error: one answer per connection.
    if (handled.has(socket)) return;
    handled.add(socket);
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    // The peer ended the connection in the middle of a request. A request still waiting for its
    // body will never get the rest: waiting for its answer (below) would wait for ever and hold
    // its upload slot. Ending the socket makes that body fail, so its handler answers
    // `upload_interrupted` and frees what it holds. (Complete requests before it, pipelined, are
    // still answered in order: only an unfinished body ends the wait.)
    if (err.code === 'HPE_INVALID_EOF_STATE' && [...(inFlight.get(socket) ?? [])].some((r) => !r.writableFinished && !r.req.complete)) {
      return socket.destroy();
    }
    const { code, message } = parserRefusal(err);
    void answersBefore(socket).then(() => {
      if (!socket.writable || socket.destroyed) return socket.destroy();
      const requestId = crypto.randomUUID();
      const body = errorBody(code, message);
      const status = ERRORS[code];
      const head = Object.entries(jsonHeaders(body, requestId))
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ''}\r\n${head}\r\n${body}`);
      logRefusal(options, '-', socket, status, code, requestId);
    });
  });
  server.on('checkExpectation', (incoming: IncomingMessage, outgoing: ServerResponse) => {
    track(incoming.socket, outgoing);
    answer(options, incoming, outgoing, 'expectation_failed', 'Ferry meets no expectation but "100-continue".');
  });
}

/**
 * A `createServer` for @hono/node-server's `serve`: Node's server with the request guard in front
 * of the adapter's listener and the JSON answers above. `requireHostHeader` is off because the
 * guard answers a missing Host itself (Node's own answer is a bare 400).
 */
export function strictHttpServer(options: ClientErrorOptions): typeof createServer {
  return ((serverOptions: Parameters<typeof createServer>[0], listener: RequestListener) => {
    const server = createServer({ ...serverOptions, requireHostHeader: false }, guardRequests(listener, options));
    answerClientErrors(server, options);
    return server;
  }) as typeof createServer;
}
