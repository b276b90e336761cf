// The floor: what storing and serving bytes costs on this machine without Ferry. A minimal
// node:http server that streams request bodies, unencrypted, into the same backend Ferry uses
// and streams them back, with the same durability and the same S3 settings:
// - embedded (FLOOR_DIR): a temp file written in 256 KiB pieces, fsync'd and renamed into place
//   (as FsStore does), read back with fs.createReadStream in 256 KiB pieces (FsStore's size);
// - S3 (S3_BUCKET, S3_ENDPOINT): @aws-sdk/lib-storage Upload, 8 MiB parts, two in flight (as
//   S3Store does), through the same createS3Client settings.
// PUT /o/:key stores; GET /o/:key serves, with one `Range: bytes=a-b`; DELETE /o/:key removes.
// Nothing else: no auth, no metadata, no checks. Loopback only.
import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createS3Client } from '../../src/store/s3-client.js';

const PIECE = 256 * 1024;
const dir = process.env.FLOOR_DIR;
const bucket = process.env.S3_BUCKET;
const s3 = bucket
  ? createS3Client({ endpoint: process.env.S3_ENDPOINT, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true })
  : undefined;
if (!dir && !s3) throw new Error('set FLOOR_DIR or S3_BUCKET');

function range(req: IncomingMessage): { start: number; end: number } | undefined {
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
  return m ? { start: Number(m[1]), end: Number(m[2]) } : undefined;
}

async function put(key: string, req: IncomingMessage): Promise<void> {
  if (s3) {
    await new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: req }, partSize: 8 * 1024 * 1024, queueSize: 2 }).done();
    return;
  }
  const temp = join(dir!, `${randomUUID()}.part`);
  // Gathered into 256 KiB pieces, one writev each, then fsync'd: FsStore's durability, with
  // fewer, larger writes than fs.createWriteStream makes.
  const fh = await open(temp, 'wx', 0o600);
  try {
    let batch: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      batch.push(chunk);
      size += chunk.length;
      if (size >= PIECE) {
        await fh.writev(batch);
        batch = [];
        size = 0;
      }
    }
    if (batch.length) await fh.writev(batch);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(temp, join(dir!, key));
  const d = await open(dir!, 'r');
  await d.sync().finally(() => d.close());
}

async function get(key: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const r = range(req);
  if (s3) {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(r && { Range: `bytes=${r.start}-${r.end}` }) }));
    res.writeHead(r ? 206 : 200, { 'content-length': String(out.ContentLength) });
    await pipeline(out.Body as Readable, res);
    return;
  }
  const path = join(dir!, key);
  const { size } = await stat(path);
  const start = r?.start ?? 0;
  const end = r?.end ?? size - 1;
  res.writeHead(r ? 206 : 200, { 'content-length': String(end - start + 1) });
  await pipeline(createReadStream(path, { start, end, highWaterMark: PIECE }), res);
}

async function remove(key: string): Promise<void> {
  if (s3) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  else await unlink(join(dir!, key));
}

if (dir) await mkdir(dir, { recursive: true });
const server = createServer((req, res) => {
  const m = /^\/o\/([A-Za-z0-9._-]+)$/.exec(req.url ?? '');
  const work = !m
    ? Promise.reject(new Error('not found'))
    : req.method === 'PUT'
      ? put(m[1]!, req).then(() => void res.writeHead(201).end())
      : req.method === 'DELETE'
        ? remove(m[1]!).then(() => void res.writeHead(204).end())
        : get(m[1]!, req, res);
  work.catch((e: Error) => {
    if (res.headersSent) res.destroy(e);
    else res.writeHead(500).end(e.message);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
