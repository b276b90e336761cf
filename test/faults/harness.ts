// What the fault tests share: a real Ferry server as a child process (so `kill -9` is a real
// SIGKILL and its file handles, sockets and peak memory can be read from /proc), requests that
// send part of a body and then hold, and the views of a server's open files and S3 sockets
// that show a transfer was really cancelled. Linux only (/proc), like the machines CI runs on.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

export { startServerProcess, type ServerProcess };

/** Kills the server with SIGKILL (no clean-up of any kind runs) and waits for it to be gone. */
export async function kill9(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const gone = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGKILL');
  await gone;
}

/** The byte at offset i of every test body: cheap to produce and to check, different per seed. */
export function patternBlock(seed: number, size = 1024 * 1024): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 131 + 7) & 0xff;
  return out;
}

/** SHA-256 of `size` bytes made of `block` repeated (what sendBody sends). */
export function repeatedSha256(block: Uint8Array, size: number): string {
  const h = createHash('sha256');
  for (let sent = 0; sent < size; sent += block.length) h.update(block.subarray(0, Math.min(block.length, size - sent)));
  return h.digest('hex');
}

export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface HeldRequest {
  req: ClientRequest;
  /** Resolves once `sendBytes` are written (and accepted by the socket). */
  sent: Promise<void>;
  /** The answer, if one comes; rejects when the connection breaks. */
  answer: Promise<Answer>;
  /** Sends the rest of the declared body. */
  finish(): void;
}

/**
 * Sends a request that declares `length` body bytes (made of `block` repeated), writes the first
 * `sendBytes` of them, and then holds the connection open until `finish()` or the socket dies.
 */
export function sendBody(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string | number>,
  length: number,
  sendBytes = length,
  block = patternBlock(1),
): HeldRequest {
  const u = new URL(path, url);
  // A connection of its own: a server may close one after refusing a body mid-way.
  const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, agent: false, headers: { ...headers, 'content-length': length } });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  answer.catch(() => {}); // a killed server is the point of most of these requests
  let sent = 0;
  let limit = sendBytes;
  let wake: (() => void) | undefined;
  const sentAll = new Promise<void>((resolve) => (wake = resolve));
  const write = () => {
    while (sent < limit) {
      const n = Math.min(block.length, limit - sent);
      const ok = req.write(block.subarray(0, n));
      sent += n;
      if (!ok) return void req.once('drain', write);
    }
    if (limit === length) req.end();
    wake?.();
  };
  req.on('error', () => wake?.());
  write();
  return {
    req,
    sent: sentAll,
    answer,
    finish: () => {
      limit = length;
      write();
    },
  };
}

/** A whole request with a small body, answered as text. */
export async function call(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const res = await fetch(new URL(path, url), { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers) as IncomingMessage['headers'], body: text };
}

/** Streams a download, keeping only size and SHA-256; `error` is set if the transfer broke. */
export function download(url: string, headers: Record<string, string> = {}): Promise<{ status: number; size: number; sha256: string; error?: string; complete: boolean }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers }, (res) => {
      const h = createHash('sha256');
      let size = 0;
      res.on('data', (d: Buffer) => {
        size += d.length;
        h.update(d);
      });
      res.on('end', () => resolve({ status: res.statusCode!, size, sha256: h.digest('hex'), complete: res.complete }));
      res.on('error', (e) => resolve({ status: res.statusCode!, size, sha256: '', error: e.message, complete: false }));
      res.on('aborted', () => resolve({ status: res.statusCode!, size, sha256: '', error: 'aborted', complete: false }));
    });
    req.on('error', (e) => resolve({ status: 0, size: 0, sha256: '', error: e.message, complete: false }));
    req.end();
  });
}

/** Polls `check` until it returns a truthy value (event-like, for state in another process). */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 30_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---- the server process seen through /proc ----------------------------------------------------

/** What each open file descriptor of `pid` points at (`/path`, `socket:[inode]`, `pipe:[…]`…). */
export function openFiles(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed while we looked
    }
  }
  return out;
}

/** Open regular files of `pid` under `dir`. */
export function openFilesUnder(pid: number, dir: string): string[] {
  return openFiles(pid).filter((f) => f.startsWith(dir));
}

/** Established TCP connections of `pid` to (or from) loopback `port`, from /proc/<pid>/net/tcp{,6}. */
export function tcpConnections(pid: number, port: number): number {
  const inodes = new Set(
    openFiles(pid)
      .map((f) => /^socket:\[(\d+)\]$/.exec(f)?.[1])
      .filter((x): x is string => x !== undefined),
  );
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [local, remote, state, inode] = [f[1]!, f[2]!, f[3]!, f[9]!];
      if (state !== '01' || !inodes.has(inode)) continue;
      if (remote.endsWith(`:${hex}`) || local.endsWith(`:${hex}`)) n++;
    }
  }
  return n;
}

/** The process's peak resident set size so far (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

export const MiB = 1024 * 1024;
