// The benchmark's S3 backend: s3rver on loopback, as test/helpers/s3rver-process.mjs runs it
// for the tests (own process, --openssl-legacy-provider for list pagination), with the same
// multipart calls added (ListParts, which @tus/s3-store asks at the start of every PATCH, and
// AbortMultipartUpload): test/helpers/s3rver-multipart.mjs.
import S3rver from 's3rver';
import { addMultipartCalls } from '../../test/helpers/s3rver-multipart.mjs';

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [] });

addMultipartCalls(server);

const { port } = await server.run();
process.stdout.write(JSON.stringify({ endpoint: `http://127.0.0.1:${port}` }) + '\n');
process.on('SIGTERM', async () => {
  await server.close();
  process.exit(0);
});
