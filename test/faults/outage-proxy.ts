// A loopback TCP proxy in front of s3rver that can make S3 go away on purpose, the two ways it
// does in production: `blackhole` (the network drops everything: connections stay open, no byte
// moves in either direction, new connections are accepted and then hear nothing) and `down`
// (the endpoint is gone: every connection is reset, new ones are refused at once). `up` forwards
// again, on fresh connections.
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export type ProxyMode = 'up' | 'blackhole' | 'down';

export interface OutageProxy {
  url: string;
  port: number;
  set(mode: ProxyMode): void;
  /** Connections open through the proxy right now. */
  open(): number;
  close(): Promise<void>;
}

export async function startOutageProxy(targetPort: number): Promise<OutageProxy> {
  let mode: ProxyMode = 'up';
  const pairs = new Set<{ client: Socket; upstream?: Socket }>();
  const server = createServer((client) => {
    const pair: { client: Socket; upstream?: Socket } = { client };
    pairs.add(pair);
    client.on('close', () => {
      pair.upstream?.destroy();
      pairs.delete(pair);
    });
    client.on('error', () => client.destroy());
    if (mode === 'down') return void client.resetAndDestroy();
    if (mode === 'blackhole') return void client.pause();
    const upstream = connect(targetPort, '127.0.0.1');
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (d) => {
      if (mode === 'up') upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (mode === 'up') client.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    set: (next) => {
      mode = next;
      if (next === 'down') {
        for (const p of pairs) {
          p.client.resetAndDestroy();
          p.upstream?.destroy();
        }
      }
      if (next === 'blackhole') {
        // Nothing moves any more: stop reading, so senders fill their buffers and wait.
        for (const p of pairs) {
          p.client.pause();
          p.upstream?.pause();
        }
      }
      if (next === 'up') {
        // Connections that lived through an outage are dead to their peers: only new ones work.
        for (const p of pairs) {
          p.client.destroy();
          p.upstream?.destroy();
        }
      }
    },
    open: () => pairs.size,
    close: () =>
      new Promise<void>((r) => {
        for (const p of pairs) {
          p.client.destroy();
          p.upstream?.destroy();
        }
        server.close(() => r());
      }),
  };
}
