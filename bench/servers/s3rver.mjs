// The benchmark's S3 backend: s3rver on loopback, as test/helpers/s3rver-process.mjs runs it
// for the tests (own process, --openssl-legacy-provider for list pagination), with the same
// multipart calls added (ListParts, which @tus/s3-store asks at the start of every PATCH, and
// AbortMultipartUpload): test/helpers/s3rver-multipart.mjs.
// It also keeps a log of the requests it serves, so the bench can count the store requests a
// file costs each contender from the backend's side: `GET /_requests?after=N` answers the
// entries after sequence number N as JSON (`_requests` cannot be a bucket name, so no S3
// request is ever mistaken for it). The log holds the latest 10,000 requests.
import S3rver from 's3rver';
import { addMultipartCalls } from '../../test/helpers/s3rver-multipart.mjs';

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [] });

addMultipartCalls(server);

const LOG_SIZE = 10_000;
const log = [];
let seq = 0;
// First in the chain, so it sees every request, including those the multipart calls answer.
server.middleware.unshift(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/_requests') {
    const after = Number(ctx.query.after ?? 0);
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({ seq, requests: log.filter((r) => r.seq > after) });
    return;
  }
  const [bucket = '', ...key] = ctx.path.slice(1).split('/');
  const query = Object.keys(ctx.query).sort().join('&');
  const entry = { seq: ++seq, method: ctx.method, bucket, key: key.join('/'), query, range: ctx.get('range') || undefined };
  log.push(entry);
  if (log.length > LOG_SIZE) log.splice(0, log.length - LOG_SIZE);
  await next();
  entry.status = ctx.status;
});

const { port } = await server.run();
process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${port}` }) + '\n');
process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
