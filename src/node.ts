// The Node adapter: reads configuration from process.env, hands src/compose.ts what only Node
// has (node:crypto, the filesystem store, the resolving link connector, the embedded key file
// and dev app, in-memory limits, the socket's address), then serves the app with
// @hono/node-server and runs the sweeper on the same clock. `npm start` runs this file.
import { serve, type HttpBindings, type Http2Bindings } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHmac } from 'node:crypto';
import { devApp, type App } from './apps.js';
import { composeFerry } from './compose.js';
import { openS3Bucket } from './store/s3-bucket.js';
import { MemoryLimits } from './limits.js';
import { strictHttpServer } from './node-http/client-errors.js';
import type { RequestLogger } from './request-log.js';
import { ConfigError, readConfig, type Env, type FerryConfig } from './config.js';
import { nodeCrypto } from './crypto/node-crypto.js';
import { formatKeyring, generateKeyring, parseKeyring, type Keyring } from './crypto/keyring.js';
import { FsStore } from './store/fs-store.js';
import type { ObjectStore } from './store/object-store.js';
import { startSweeper } from './store/sweep.js';
import { nodeConnector } from './sources/url/node-connector.js';
import { handleEarlyAnswers, type EarlyAnswerDrain } from './node-http/early-answer.js';

/** How much a connection buffers before backpressure: one FsStore read (256 KiB). */
const SOCKET_BUFFER_BYTES = 256 * 1024;

export interface RunningFerry {
  url: string;
  server: Server;
  store: ObjectStore;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where start-up messages go (one line each). */
  log?: (line: string) => void;
  /** Where request log entries go; default: one JSON line each on stdout. */
  requestLog?: RequestLogger;
  /** Milliseconds between sweeps of expired objects. */
  sweepIntervalMs?: number;
  /** How long a client may take to send its request headers (default 30 s). */
  headersTimeoutMs?: number;
  /** How long a connection may stay silent before it is closed (default 60 s). */
  idleTimeoutMs?: number;
  /** How much of a body answered early is still read and dropped (src/node-http/early-answer.ts). */
  earlyAnswerDrain?: EarlyAnswerDrain;
  now?: () => Date;
}

/** Without FERRY_KEYS (embedded mode only): loads, or creates, the persisted key file. */
function embeddedKeyring(config: FerryConfig, log: (line: string) => void): Keyring {
  if (config.s3) throw new ConfigError('FERRY_KEYS', 'is required when S3_BUCKET is set (kid:base64key, 32-byte keys)');
  const file = join(config.dataDir, 'keys');
  if (existsSync(file)) {
    try {
      return parseKeyring(readFileSync(file, 'utf8').trim());
    } catch (e) {
      throw new ConfigError('FERRY_KEYS', `the generated key file ${file} is unreadable: ${(e as Error).message}`);
    }
  }
  const ring = generateKeyring();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, formatKeyring(ring) + '\n', { mode: 0o600, flag: 'wx' });
  log(
    `ferry: warning: FERRY_KEYS is not set, so a master key was generated and saved in ${file}. ` +
      'Anyone who can read that file and a handle can read the file behind it; set FERRY_KEYS in production (docs/security.md).',
  );
  return ring;
}

/** Without FERRY_APPS (embedded mode only): the one dev app, its secret derived from the master key. */
function embeddedApps(config: FerryConfig, keyring: Keyring, log: (line: string) => void): App[] {
  if (config.s3) throw new ConfigError('FERRY_APPS', 'is required when S3_BUCKET is set (a JSON array of apps, or @file.json)');
  const secret = createHmac('sha256', keyring.key(keyring.current)!).update('ferry/v1 dev app secret').digest('base64url');
  log(
    'ferry: FERRY_APPS is not set: running one app "dev" (key "dev") open to http://localhost origins. ' +
      `Its secret, for policies and listing, is ${secret}. Set FERRY_APPS in production.`,
  );
  return [devApp(secret)];
}

/**
 * When a response body fails part-way (a damaged chunk, the store going away) the client must
 * see a broken transfer: destroy the socket before the Node server can end the response cleanly
 * or append an error text to the body.
 */
function destroyOnError(body: ReadableStream<Uint8Array>, destroy: (e: unknown) => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (e) {
          destroy(e);
          controller.error(e);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

export async function startFerry(env: Env, options: StartOptions = {}): Promise<RunningFerry> {
  const log = options.log ?? ((line: string) => console.log(line));
  const config = readConfig(env);
  const requestLog: RequestLogger = options.requestLog ?? ((entry) => process.stdout.write(JSON.stringify(entry) + '\n'));
  const { app, store, now, checkLifecycle } = composeFerry(config, env, {
    crypto: nodeCrypto,
    defaultKeyring: (c) => embeddedKeyring(c, log),
    defaultApps: (c, keyring) => embeddedApps(c, keyring, log),
    readFile: (path) => readFileSync(path, 'utf8'),
    localStore: (dataDir) => new FsStore(resolve(dataDir)),
    openS3: openS3Bucket,
    connector: nodeConnector({ allowlist: config.urlAllowlist, timeoutMs: config.originTimeoutSeconds * 1000 }),
    limits: new MemoryLimits(),
    getConnInfo,
    requestLog,
    onUnexpectedError: (e) => console.error('ferry: unexpected error:', e),
    log,
    now: options.now,
  });
  // The one-day promise also rests on the bucket's lifecycle rule: say so when it is missing.
  // In the background, so an unreachable bucket does not hold up start-up.
  if (config.s3) void checkLifecycle().then((warning) => warning && log(`ferry: ${warning}`));

  const server = await new Promise<Server>((resolveServer) => {
    const s = serve(
      {
        fetch: async (req: Request, bindings: HttpBindings | Http2Bindings) => {
          const res = await app.fetch(req, bindings);
          if (!res.body) return res;
          const outgoing = bindings.outgoing as { destroy?: (e?: Error) => void };
          const body = destroyOnError(res.body, (e) => outgoing.destroy?.(e as Error));
          return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
        },
        port: config.port,
        hostname: config.host ?? '0.0.0.0',
        // Parser errors, a bad or doubled Host, Expect: answered with JSON and logged, in order.
        createServer: strictHttpServer({ requestLog, now: options.now }),
        // Node checks header and request deadlines on this interval (default 30 s, far too lax).
        serverOptions: {
          // Node 20's sockets buffer 16 KiB before write() asks the caller to wait: a download,
          // which leaves as 16 KiB decrypted chunks, then costs a send() per chunk and a 'drain'
          // round trip on the event loop. 256 KiB lets a whole store read's worth leave in one
          // writev (still a constant per connection: memory stays bounded per transfer).
          highWaterMark: SOCKET_BUFFER_BYTES,
          headersTimeout: options.headersTimeoutMs ?? 30_000,
          requestTimeout: 0,
          connectionsCheckingInterval: Math.min(1000, Math.ceil((options.headersTimeoutMs ?? 30_000) / 4)),
        },
      },
      () => resolveServer(s as Server),
    );
  });
  // Large uploads and downloads may take long: no overall request deadline, but a client must
  // send its headers promptly and keep the connection moving.
  server.requestTimeout = 0;
  server.headersTimeout = options.headersTimeoutMs ?? 30_000;
  server.keepAliveTimeout = 5_000;
  // A connection that sends or accepts nothing for a minute is closed (slowloris, stalled peers).
  server.setTimeout(options.idleTimeoutMs ?? 60_000, (socket) => socket.destroy());
  handleEarlyAnswers(server, options.earlyAnswerDrain);
  const stopSweeper = startSweeper(store, {
    intervalMs: options.sweepIntervalMs ?? 10 * 60_000,
    now,
    onError: (e: unknown) => console.error('ferry: sweeping expired files failed:', e),
    unref: (t: unknown) => (t as { unref?: () => void }).unref?.(),
  });

  const { port } = server.address() as AddressInfo;
  const host = config.host && config.host !== '0.0.0.0' && config.host !== '::' ? config.host : 'localhost';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const mode = config.s3 ? `S3 bucket ${config.s3.bucket}` : `embedded store in ${resolve(config.dataDir)}`;
  log(`Ferry listening on ${url} (${mode})`);

  return {
    url,
    server,
    store,
    // A sweep in progress finishes first, so nothing runs against the store after close().
    close: async () => {
      await stopSweeper();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  startFerry(process.env).then(
    (ferry) => {
      const stop = () => void ferry.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (e) => {
      if (e instanceof ConfigError) {
        console.error(`ferry: ${e.message}`);
      } else {
        console.error('ferry: could not start:', e instanceof Error ? e.message : e);
      }
      process.exit(1);
    },
  );
}
