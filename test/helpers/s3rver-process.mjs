// Runs a real S3 HTTP server (s3rver) on loopback for the test suite. It lives in its own
// process because ListObjectsV2 pagination needs --openssl-legacy-provider (s3rver encrypts
// continuation tokens with DES), which we do not want in the test workers. The multipart calls
// s3rver lacks are added from its own files (s3rver-multipart.mjs).
import S3rver from 's3rver';
import { addMultipartCalls } from './s3rver-multipart.mjs';

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [] });
addMultipartCalls(server);
const { port } = await server.run();
process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${port}` }) + '\n');
process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
