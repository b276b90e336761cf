// The raw Node proxy a link pick is compared with: `http.get` to the origin and `pipeline` into
// the response, nothing else (NOTES.md, "Physical anchors"). ORIGIN names the origin. Loopback only.
import { createServer, get } from 'node:http';
import { pipeline } from 'node:stream';

const origin = new URL(process.env.ORIGIN!);
const server = createServer((req, res) => {
  get({ host: origin.hostname, port: origin.port, path: req.url, agent: false }, (up) => {
    res.writeHead(up.statusCode!, up.headers);
    pipeline(up, res, () => {});
  }).on('error', () => res.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
