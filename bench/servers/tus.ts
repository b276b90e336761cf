// The peer: @tus/server with its S3 store, the resumable-upload server a user might pick
// instead of Ferry, writing into the same s3rver bucket with the same S3 client settings
// (path style, checksums only when required) and the same 8 MiB parts. Downloads go through
// tus's own GET handler (whole files only: it serves no Range). Loopback only.
import { S3Store } from '@tus/s3-store';
import { Server } from '@tus/server';
import { createServer } from 'node:http';

const datastore = new S3Store({
  // bench/tus.ts sets the part size Ferry's tus uses, so the two write the same parts.
  partSize: Number(process.env.TUS_PART_SIZE ?? 8 * 1024 * 1024),
  s3ClientConfig: {
    bucket: process.env.S3_BUCKET!,
    endpoint: process.env.S3_ENDPOINT!,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  },
});
const tus = new Server({ path: '/files', datastore });
const server = createServer((req, res) => void tus.handle(req, res));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
