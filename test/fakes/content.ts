// Deterministic file contents of any size, generated as they are sent: byte i of a file is
// block[i mod BLOCK] for a block derived from the file's seed. BLOCK is a prime a little under
// 1 MiB, so a range served from the wrong offset never matches by accident. Nothing here
// holds more than one block per seed, whatever the file size.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const BLOCK = 1_048_573;
const blocks = new Map<number, Buffer>();

function blockFor(seed: number): Buffer {
  let b = blocks.get(seed);
  if (!b) {
    b = Buffer.alloc(BLOCK);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < BLOCK; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      b[i] = x >>> 24;
    }
    blocks.set(seed, b);
  }
  return b;
}

/** Bytes [start, end) of the file with this seed. */
export function slice(seed: number, start: number, end: number): Buffer {
  const block = blockFor(seed);
  const out = Buffer.allocUnsafe(end - start);
  let at = 0;
  let pos = start;
  while (pos < end) {
    const offset = pos % BLOCK;
    const n = Math.min(BLOCK - offset, end - pos);
    block.copy(out, at, offset, offset + n);
    at += n;
    pos += n;
  }
  return out;
}

export function sha256Of(seed: number, size: number, start = 0): string {
  const h = createHash('sha256');
  for (let pos = start; pos < size; pos += 4 * 1024 * 1024) h.update(slice(seed, pos, Math.min(size, pos + 4 * 1024 * 1024)));
  return h.digest('hex');
}

export interface Served {
  status: number;
  start: number;
  end: number;
}

/**
 * Parses a single `Range: bytes=` header against `size` the way file hosts do: a satisfiable
 * single range gives 206, an unsatisfiable one 416, none (or anything else) 200.
 */
export function rangeOf(header: string | undefined, size: number): Served {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return { status: 200, start: 0, end: size };
  if (m[1] === '') {
    const n = Math.min(Number(m[2]), size);
    return n === 0 ? { status: 416, start: 0, end: 0 } : { status: 206, start: size - n, end: size };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size : Math.min(Number(m[2]) + 1, size);
  if (start >= size || end <= start) return { status: 416, start: 0, end: 0 };
  return { status: 206, start, end };
}

export interface SendOptions {
  /** Destroy the connection after this many body bytes (an origin failing mid-stream). */
  failAfter?: number;
  /** Stop sending after this many body bytes, keeping the connection open (a stalled origin). */
  stallAfter?: number;
  /** Called with every chunk size written, for tests that watch the origin's pace. */
  onWrite?: (bytes: number) => void;
}

/**
 * Streams bytes [start, end) of a seed's contents with backpressure: 64 KiB at a time, waiting
 * for 'drain' whenever the socket's buffer is full.
 */
export function sendContent(res: ServerResponse, seed: number, start: number, end: number, options: SendOptions = {}): void {
  const CHUNK = 64 * 1024;
  let pos = start;
  const cut = options.failAfter ?? options.stallAfter;
  const stopAt = cut === undefined ? end : Math.min(end, start + cut);
  const pump = () => {
    while (pos < stopAt) {
      const n = Math.min(CHUNK, stopAt - pos);
      const chunk = slice(seed, pos, pos + n);
      pos += n;
      options.onWrite?.(n);
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (options.stallAfter !== undefined && stopAt < end) return;
    if (options.failAfter !== undefined && stopAt < end) {
      // Give the bytes a moment to leave, then break the connection without ending the body.
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.end();
  };
  res.on('close', () => (pos = stopAt));
  pump();
}

/**
 * Answers a request for a file's bytes the way file hosts do: `Range` honoured (206 with
 * Content-Range, or 416 with the size), the host's own `headers` added, the body streamed
 * with backpressure; a HEAD gets the headers alone.
 */
export function serveBytes(
  req: IncomingMessage,
  res: ServerResponse,
  file: { seed: number; size: number },
  headers: Record<string, string>,
  options: SendOptions = {},
): void {
  const r = rangeOf(req.headers.range, file.size);
  if (r.status === 416) {
    res.writeHead(416, { 'content-range': `bytes */${file.size}` }).end();
    return;
  }
  res.writeHead(r.status, {
    'content-length': r.end - r.start,
    ...(r.status === 206 ? { 'content-range': `bytes ${r.start}-${r.end - 1}/${file.size}` } : {}),
    ...headers,
  });
  if (req.method === 'HEAD') return void res.end();
  sendContent(res, file.seed, r.start, r.end, options);
}
