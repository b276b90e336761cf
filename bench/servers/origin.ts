// The origin a link pick points at: GET/HEAD /blob/<size> answers <size> bytes (one random
// 1 MiB block repeated) with a Content-Length, as fast as the socket takes them. Loopback only.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const block = randomBytes(1024 * 1024);
const server = createServer((req, res) => {
  const m = /^\/blob\/(\d+)$/.exec(req.url ?? '');
  if (!m) return void res.writeHead(404).end();
  const size = Number(m[1]);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  if (req.method === 'HEAD') return void res.end();
  let sent = 0;
  const write = () => {
    while (sent < size) {
      const n = Math.min(block.length, size - sent);
      sent += n;
      if (!res.write(block.subarray(0, n))) return void res.once('drain', write);
    }
    res.end();
  };
  write();
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
