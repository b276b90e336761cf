// Early answers on Node: what happens to a request body Ferry answered before reading it.
// Ferry refuses many uploads before their body has arrived (a declared Content-Length over the
// limit, an unknown key, a bad ?ttl…). Node's server would then close the connection at once,
// and a client still sending (Python's urllib and http.client send the whole body before they
// read anything) gets a broken pipe or a reset instead of the answer: Linux drops received data
// that was never read when the peer resets. So, after an early answer, Ferry says
// `Connection: close`, keeps reading and discarding the body for a bounded time and byte
// count, and only then closes. And `Expect: 100-continue` gets its 100 only once the app starts
// reading the body: a request refused on its headers gets the refusal and never the 100.
// Node-only (node:http), beside src/node.ts.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface EarlyAnswerDrain {
  /** Body bytes read and dropped after an early answer before the connection is cut. */
  maxBytes: number;
  /** How long the rest of the body may take to arrive after an early answer. */
  maxMs: number;
}

/**
 * The defaults: enough for a client that overshoots a limit by tens of MiB to read its 413 on a
 * LAN, while a refused client can hold a connection only briefly and costs no memory (the bytes
 * are dropped as they come).
 */
export const EARLY_ANSWER_DRAIN: EarlyAnswerDrain = { maxBytes: 64 * 1024 * 1024, maxMs: 5_000 };

/** Whether the request announces a body (a length above zero, or chunked). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
}

/**
 * Installs the early-answer handling on a server whose 'request' listener is already there
 * (@hono/node-server's). Call once, right after the server is created.
 */
export function handleEarlyAnswers(server: Server, drain: EarlyAnswerDrain = EARLY_ANSWER_DRAIN): void {
  // With a 'checkContinue' listener Node no longer sends the 100 itself.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueOnFirstRead(req, res);
    server.emit('request', req, res);
  });
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!hasBody(req)) return;
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      // Answered before the body is in: this connection will not carry another request.
      if (!req.complete) this.setHeader('connection', 'close');
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as ServerResponse['writeHead'];
    // Before Node's own 'finish' handler, which would close the socket right away.
    res.prependOnceListener('finish', () => {
      if (!req.complete) lingerThenClose(req, req.socket, drain);
    });
  });
}

/** Sends `100 Continue` when something first reads the body, unless an answer has gone out. */
function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  const read = req._read;
  req._read = function (this: IncomingMessage, size: number) {
    req._read = read;
    if (!res.headersSent && !res.writableEnded) res.writeContinue();
    return read.call(this, size);
  };
}

/**
 * The answer is complete: half-close so the client sees its end, drop what is still coming of
 * the body until it is all in (then close cleanly) or a bound is hit (then cut the connection).
 * Node and @hono/node-server ask the socket to `destroySoon()` meanwhile; that waits.
 */
function lingerThenClose(req: IncomingMessage, socket: Socket, drain: EarlyAnswerDrain): void {
  if (socket.destroyed) return;
  // An own property over Socket.prototype.destroySoon, deleted again when the linger ends.
  const lingering = socket as { destroySoon?: () => void };
  lingering.destroySoon = () => {};
  let dropped = 0;
  let done = false;
  const finish = (cut: boolean) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    socket.off('close', onClose);
    delete lingering.destroySoon;
    if (cut) socket.destroy();
    else socket.destroySoon();
  };
  const onData = (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > drain.maxBytes) finish(true);
  };
  const onEnd = () => finish(false);
  const onClose = () => finish(true);
  const timer = setTimeout(() => finish(true), drain.maxMs);
  timer.unref();
  socket.once('close', onClose);
  // Whatever was reading the body (the app's stream) has given up on it: its listeners go, the
  // bytes flow into nothing.
  req.removeAllListeners('data');
  req.on('data', onData);
  req.once('end', onEnd);
  req.resume();
  socket.end();
}
