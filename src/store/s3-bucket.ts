// A store on an S3 bucket (AWS S3, or R2 through its S3 API) with its lifecycle check, from the
// S3 settings: the one place the AWS SDK is wired. Kept apart from src/compose.ts so that the
// Worker loads it (and the SDK) only when it is configured for the S3 API: on the R2 binding the
// SDK is never evaluated (src/worker.ts imports this module dynamically).
import type { S3Config } from '../config.js';
import { checkLifecycle } from './lifecycle-check.js';
import type { ObjectStore } from './object-store.js';
import { createS3Client } from './s3-client.js';
import { S3Store } from './s3-store.js';

/** A store with the check of its bucket's lifecycle rule (a warning line, or null when it keeps the promise). */
export interface BucketStore {
  store: ObjectStore;
  checkLifecycle(): Promise<string | null>;
}

export function openS3Bucket(s3: S3Config, options: { partSize?: number; log: (line: string) => void }): BucketStore & { store: S3Store } {
  const client = createS3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: s3.forcePathStyle,
    idleTimeoutMs: s3.timeoutSeconds * 1000,
  });
  return {
    store: new S3Store({ client, bucket: s3.bucket, prefix: s3.prefix, partSize: options.partSize }),
    // The one-day promise also rests on the bucket's lifecycle rule: the adapter says when it is missing.
    checkLifecycle: () => checkLifecycle(client, s3.bucket, s3.prefix, { onUnchecked: (note) => options.log(`ferry: ${note}`) }),
  };
}
