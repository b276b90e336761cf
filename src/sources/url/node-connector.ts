// The Node connector for links: node:http on a socket we dial ourselves, so that the addresses
// checked are exactly the addresses connected to. For each request it resolves the host name
// (every A and AAAA record), refuses the request if ANY address is refused by the policy (a
// name that resolves to one public and one private address is refused: the platform would
// pick either), then dials the first address itself. Nothing resolves the name a second
// time, so DNS rebinding between check and connect is impossible. Redirects come back to the
// link source, which calls here again for the next hop: every hop is resolved and checked.
//
// Node-only (node:*); imported only by src/node.ts and by tests. The resolver and the dialler
// are injectable so tests can see what would have been dialled without sending anything
// anywhere but loopback.
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect as netConnect, isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { FerryError } from '../../errors.js';
import { blocked, checkLink, hostOf, isAllowlisted, refusedAddress, type Allowlist } from './address-policy.js';
import type { Connector } from './connector.js';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a name resolves to. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface DialTarget {
  /** The checked IP address to connect to. */
  address: string;
  family: 4 | 6;
  port: number;
  /** The URL's host name, for TLS SNI and certificate checks. */
  hostname: string;
  tls: boolean;
}

/** Opens the connection. Only ever called with an address that passed the policy. */
export type Dialer = (target: DialTarget) => Duplex;

export interface NodeConnectorOptions {
  allowlist: Allowlist;
  resolve?: Resolver;
  dial?: Dialer;
  /**
   * How long the origin may keep us waiting: for the connection and the response headers, and
   * for each body chunk while the client is waiting for one. Time the origin spends paused
   * because the client reads slowly does not count.
   */
  timeoutMs?: number;
}

export const systemResolver: Resolver = async (hostname) => {
  const all = await lookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export const systemDialer: Dialer = (t) =>
  t.tls
    ? tlsConnect({
        host: t.address,
        port: t.port,
        servername: isIP(t.hostname) ? undefined : t.hostname,
        ALPNProtocols: ['http/1.1'],
      })
    : netConnect({ host: t.address, port: t.port });

export function nodeConnector(options: NodeConnectorOptions): Connector {
  const resolve = options.resolve ?? systemResolver;
  const dial = options.dial ?? systemDialer;
  const timeoutMs = options.timeoutMs ?? 30_000;

  /** The lookup step: every address checked, at connect time, for this very request. */
  async function guardedLookup(url: URL): Promise<ResolvedAddress> {
    const host = hostOf(url);
    const allowlisted = isAllowlisted(url, options.allowlist);
    let addresses: ResolvedAddress[];
    if ('ip' in host) {
      addresses = [{ address: host.ip, family: host.ip.includes(':') ? 6 : 4 }];
    } else {
      try {
        addresses = await resolve(host.name);
      } catch {
        throw new FerryError('origin_failed', `The link's host ${url.hostname} could not be resolved.`);
      }
      if (addresses.length === 0) throw new FerryError('origin_failed', `The link's host ${url.hostname} has no addresses.`);
    }
    if (!allowlisted) {
      for (const a of addresses) {
        const why = refusedAddress(a.address);
        if (why) throw blocked(`${url.hostname} (${a.address})`, why);
      }
    }
    return addresses[0]!;
  }

  return {
    async request(raw, init) {
      const url = checkLink(raw, options.allowlist);
      const target = await guardedLookup(url);
      init.signal?.throwIfAborted();
      const tls = url.protocol === 'https:';
      const port = Number(url.port || (tls ? 443 : 80));
      const headers: Record<string, string> = { host: url.host };
      init.headers.forEach((v, k) => {
        if (k !== 'host') headers[k] = v;
      });
      return new Promise<Response>((resolvePromise, reject) => {
        let settled = false;
        const fail = (e: unknown) => {
          if (settled) return;
          settled = true;
          reject(e instanceof FerryError ? e : new FerryError('origin_failed', `The link's server could not be reached (${describe(e)}).`));
        };
        const req = httpRequest({
          method: init.method,
          path: url.pathname + url.search,
          headers,
          setHost: false,
          createConnection: () => {
            const socket = dial({ ...target, port, hostname: url.hostname, tls });
            socket.on('timeout', () => socket.destroy(new Error('timed out')));
            (socket as unknown as { setTimeout?: (ms: number) => void }).setTimeout?.(timeoutMs);
            return socket as never;
          },
        });
        const onAbort = () => req.destroy(new Error('cancelled'));
        init.signal?.addEventListener('abort', onAbort, { once: true });
        req.on('error', fail);
        req.on('response', (res) => {
          settled = true;
          const nullBody = init.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 205 || res.statusCode === 304;
          const responseHeaders = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            try {
              responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
            } catch {
              // a header the Fetch API refuses is dropped, not fatal
            }
          }
          // From here the body's own clock applies (bodyStream): a paused socket is not a stalled one.
          res.socket?.setTimeout(0);
          if (nullBody) res.resume();
          const body = nullBody ? null : bodyStream(res, () => init.signal?.removeEventListener('abort', onAbort), timeoutMs);
          if (nullBody) init.signal?.removeEventListener('abort', onAbort);
          const status = res.statusCode && res.statusCode >= 200 && res.statusCode <= 599 ? res.statusCode : 502;
          resolvePromise(new Response(body, { status, statusText: res.statusMessage, headers: responseHeaders }));
        });
        req.end();
      });
    },
  };
}

function describe(e: unknown): string {
  const code = (e as { code?: string } | null)?.code;
  return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : 'connection failed';
}

/**
 * The response body as a Web stream with backpressure: the socket is paused while the
 * consumer's queue is full and resumed when it pulls; cancelling destroys the socket; a
 * connection that closes before the body ended errors the stream (never a clean short end), and
 * so does an origin that sends nothing for `idleMs` while the consumer is waiting.
 */
export function bodyStream(res: IncomingMessage, done: () => void, idleMs = 30_000): ReadableStream<Uint8Array> {
  let finished = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const disarm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    disarm();
    timer = setTimeout(() => res.destroy(new Error('The origin stopped sending.')), idleMs);
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        res.on('data', (chunk: Buffer) => {
          if (finished) return;
          disarm();
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) res.pause();
          else arm();
        });
        res.on('end', () => {
          if (finished) return;
          finished = true;
          disarm();
          done();
          controller.close();
        });
        const broken = (e?: unknown) => {
          if (finished) return;
          finished = true;
          disarm();
          done();
          controller.error(e instanceof Error ? e : new Error('The origin closed the connection before the body ended.'));
        };
        res.on('error', broken);
        res.on('close', () => broken());
      },
      pull() {
        if (finished) return;
        arm();
        res.resume();
      },
      cancel() {
        finished = true;
        disarm();
        done();
        res.destroy();
      },
    },
    { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength },
  );
}
