// The benchmark's S3 backend: s3rver on loopback, as test/helpers/s3rver-process.mjs runs it
// for the tests (own process, --openssl-legacy-provider for list pagination), plus the one call
// @tus/s3-store needs and s3rver lacks: ListParts (`GET /bucket/key?uploadId=…`, which s3rver
// answers 405). tus asks it at the start of every PATCH to learn the upload's offset. The answer
// is read from s3rver's own part files, so it costs a directory listing. Path-style only.
import S3rver from 's3rver';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [] });

const xml = (s) => String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function listParts(ctx) {
  const [, bucket, ...key] = decodeURIComponent(ctx.path).split('/');
  const uploadId = ctx.query.uploadId;
  const dir = join(server.store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  let names;
  try {
    names = await readdir(dir);
  } catch {
    ctx.status = 404;
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${xml(uploadId)}</UploadId></Error>`;
    return;
  }
  const numbers = names.filter((n) => /^\d+$/.test(n) && names.includes(`${n}.md5`)).map(Number).sort((a, b) => a - b);
  const parts = [];
  for (const n of numbers) {
    const [info, md5] = await Promise.all([stat(join(dir, String(n))), readFile(join(dir, `${n}.md5`), 'utf8')]);
    parts.push(
      `<Part><PartNumber>${n}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${xml(md5.trim())}"</ETag><Size>${info.size}</Size></Part>`,
    );
  }
  ctx.type = 'application/xml';
  ctx.body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
    `<Bucket>${xml(bucket)}</Bucket><Key>${xml(key.join('/'))}</Key><UploadId>${xml(uploadId)}</UploadId>` +
    `<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>${numbers.at(-1) ?? 0}</NextPartNumberMarker>` +
    `<MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`;
}

server.middleware.unshift(async (ctx, next) => {
  if (ctx.method === 'GET' && typeof ctx.query.uploadId === 'string' && ctx.path.split('/').length > 2) return listParts(ctx);
  return next();
});

const { port } = await server.run();
process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${port}` }) + '\n');
process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
