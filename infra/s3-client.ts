// The S3 client the infra commands use, and the one deliberate change to what the SDK sends:
// bucket-configuration PUTs carry Content-MD5 instead of the SDK's x-amz-checksum-crc32. Both
// satisfy S3's "Content-MD5 or x-amz-checksum-*" requirement on these calls, but only Content-MD5
// is accepted everywhere: R2 lists the x-amz-checksum headers as not implemented on
// PutBucketLifecycleConfiguration and has answered 501 to them elsewhere.
import { createHash } from 'node:crypto';
import { S3Client, type S3ClientConfig, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/client-s3';
import type { FinalizeRequestMiddleware } from '@smithy/types';
import type { Provider } from './bucket-spec.js';

export interface Target {
  bucket: string;
  /** Key prefix of Ferry's objects; "" = the whole bucket. */
  prefix: string;
  provider: Provider;
  region: string;
  /** Custom endpoint (R2, MinIO, a test server); undefined = AWS's own. */
  endpoint?: string;
  forcePathStyle: boolean;
  /** The apps' origins, for the bucket's CORS (browsers PUT upload parts straight to it); none = no CORS. */
  origins?: string[];
}

// Type-only: @smithy/types is the SDK's own type package (a dependency of client-s3), erased at run time.
type FinalizeMiddleware = FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes>;

export function createS3Client(target: Target, extra: Partial<S3ClientConfig> = {}): S3Client {
  const client = new S3Client({
    region: target.region,
    endpoint: target.endpoint,
    forcePathStyle: target.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    ...extra,
  });
  const swapChecksumForMd5: FinalizeMiddleware = (next) => async (args) => {
    const request = args.request as { headers?: Record<string, string>; body?: unknown };
    if (request?.headers && typeof request.body === 'string') {
      const headers = request.headers;
      const checksumHeaders = Object.keys(headers).filter(
        (name) => name.toLowerCase().startsWith('x-amz-checksum-') || name.toLowerCase() === 'x-amz-sdk-checksum-algorithm',
      );
      if (checksumHeaders.length > 0) {
        for (const name of checksumHeaders) delete headers[name];
        headers['content-md5'] = createHash('md5').update(request.body, 'utf8').digest('base64');
      }
    }
    return next(args);
  };
  // In the finalize step, so after every build-step middleware (the SDK's checksum one included),
  // and right before signing, so the signature covers the headers actually sent.
  client.middlewareStack.addRelativeTo(swapChecksumForMd5, { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'ferryContentMd5' });
  return client;
}

export function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\./.test(host);
}

/** R2's S3 endpoints are https://<account>.r2.cloudflarestorage.com (optionally .eu. / .fedramp.). */
export function looksLikeR2(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    return new URL(endpoint).hostname.endsWith('.r2.cloudflarestorage.com');
  } catch {
    return false;
  }
}
