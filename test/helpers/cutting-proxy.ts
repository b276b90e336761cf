// A loopback TCP proxy that understands just enough HTTP/1.1 to break uploads on purpose: it
// reads each request's head on a connection (keep-alive included), forwards head and body bytes
// to the target unchanged, and for the requests `cut` picks it forwards only part of the body and
// then destroys both sockets, the way a dropped connection looks to a browser and to S3. It
// counts every body byte it forwarded, per request, so a test can show no completed part was sent
// twice. Bodies must carry Content-Length (browsers and the AWS SDK send it for byte bodies).
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  length: number;
  /** Body bytes forwarded before the request ended or was cut. */
  forwarded: number;
  cut: boolean;
  /** The status line's code, once the answer began (0 if cut first). */
  status: number;
}

export interface CuttingProxy {
  url: string;
  port: number;
  requests: ProxiedRequest[];
  /** Decide per request: forward only `fraction` of its body, then cut (return undefined to let it pass). */
  setCut(cut: ((r: ProxiedRequest, index: number) => number | undefined) | undefined): void;
  close(): Promise<void>;
}

export async function startCuttingProxy(targetPort: number, cut?: (r: ProxiedRequest, index: number) => number | undefined): Promise<CuttingProxy> {
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  let decide = cut;
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    const inFlight: ProxiedRequest[] = []; // answers come back in request order
    let head = Buffer.alloc(0);
    let current: { r: ProxiedRequest; left: number; limit: number } | undefined;
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      upstream.destroy();
      sockets.delete(client);
    });
    upstream.on('close', () => {
      client.destroy();
      sockets.delete(upstream);
    });
    client.on('error', kill);
    upstream.on('error', kill);
    let answerHead = '';
    upstream.on('data', (d: Buffer) => {
      if (inFlight.length && inFlight[0]!.status === 0) {
        answerHead += d.toString('latin1', 0, Math.min(d.length, 64));
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(answerHead);
        if (m) {
          inFlight.shift()!.status = Number(m[1]);
          answerHead = '';
        }
      }
      client.write(d);
    });
    client.on('data', (d: Buffer) => {
      let buf = d;
      while (buf.length) {
        if (current) {
          const take = Math.min(buf.length, current.left);
          const allowed = Math.max(0, Math.min(take, current.limit - current.r.forwarded));
          if (allowed > 0) upstream.write(buf.subarray(0, allowed));
          current.r.forwarded += allowed;
          if (allowed < take) {
            current.r.cut = true;
            return kill();
          }
          current.left -= take;
          buf = buf.subarray(take);
          if (current.left === 0) current = undefined;
          continue;
        }
        head = Buffer.concat([head, buf]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = head.toString('latin1', 0, end);
        const rest = head.subarray(end + 4);
        head = Buffer.alloc(0);
        const [method = '', target = ''] = text.split('\r\n')[0]!.split(' ');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(text)?.[1] ?? 0);
        const r: ProxiedRequest = { method, target, length, forwarded: 0, cut: false, status: 0 };
        const index = requests.push(r) - 1;
        inFlight.push(r);
        const fraction = decide?.(r, index);
        upstream.write(text + '\r\n\r\n', 'latin1');
        if (length > 0) current = { r, left: length, limit: fraction === undefined ? length : Math.floor(length * fraction) };
        buf = rest;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setCut: (c) => {
      decide = c;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
