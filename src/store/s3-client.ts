// Builds the one S3 client configuration Ferry uses, on Node and in Workers alike (Web APIs
// only: no node:* imports here; a caller may inject a request handler). src/compose.ts maps
// the S3_* configuration onto it, once for both runtimes.
//
// The two checksum settings are not optional. With the SDK's default ("WHEN_SUPPORTED") a
// streamed body is sent `aws-chunked` with a CRC32 trailer: S3-compatible servers that do not
// understand the framing store it as the object's bytes (silent corruption), and in workerd the
// body goes out empty. test/store/s3-store.test.ts shows both against a real S3 server.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  /** e.g. `http://127.0.0.1:9000`; omitted for AWS itself. */
  endpoint?: string;
  region: string;
  /** Both or neither: without them the SDK's default credential chain applies. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most S3-compatible servers need. */
  forcePathStyle?: boolean;
  requestHandler?: S3ClientConfig['requestHandler'];
  /**
   * How long a connection to S3 may stay silent (connecting, waiting for an answer, mid-body)
   * before the request fails. Without it a blackholed endpoint holds every transfer forever.
   * Applies to the SDK's Node handler; workerd's fetch has the platform's own limits.
   */
  idleTimeoutMs?: number;
}

export function createS3Client(options: S3ClientOptions): S3Client {
  const { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle = false, requestHandler, idleTimeoutMs } = options;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new TypeError('S3 credentials need both an access key id and a secret access key');
  }
  return new S3Client({
    region,
    forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(endpoint !== undefined && { endpoint }),
    ...(accessKeyId !== undefined && secretAccessKey !== undefined && { credentials: { accessKeyId, secretAccessKey } }),
    ...(requestHandler !== undefined
      ? { requestHandler }
      : idleTimeoutMs !== undefined && { requestHandler: { connectionTimeout: idleTimeoutMs, socketTimeout: idleTimeoutMs } }),
  });
}
