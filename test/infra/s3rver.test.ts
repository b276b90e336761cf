// Against a real S3 server (s3rver, started by the global setup) for what it implements: CORS and
// missing buckets. It answers 501 to lifecycle calls, which is itself a behaviour apply must report
// clearly, since some S3-compatible servers do the same.
import { CreateBucketCommand, GetBucketCorsCommand, PutBucketCorsCommand } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { applyBucket } from '../../infra/apply.js';
import { checkBucket } from '../../infra/check.js';
import { EXIT } from '../../infra/errors.js';
import { createS3Client, type Target } from '../../infra/s3-client.js';

const endpoint = inject('s3Endpoint');
const bucket = `infra-${randomUUID().slice(0, 8)}`;
const target: Target = { bucket, prefix: '', provider: 'aws', region: 'us-east-1', endpoint, forcePathStyle: true };
const client = createS3Client(target, { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

describe('against s3rver', () => {
  it('check reports a CORS configuration, apply deletes it, check then finds none', async () => {
    await client.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://app.example'], AllowedMethods: ['GET', 'PUT'] }] },
      }),
    );
    expect(await checkBucket(client, target, ['cors'])).toEqual([
      { area: 'cors', message: 'a CORS configuration with 1 rule(s) is set; Ferry needs none (apply deletes it)' },
    ]);

    const lines: string[] = [];
    await applyBucket(client, target, (line) => lines.push(line), ['cors']);
    expect(lines).toEqual(['✓ cors: no CORS configuration: browsers cannot read the bucket cross-origin (Ferry needs none)']);
    await expect(client.send(new GetBucketCorsCommand({ Bucket: bucket }))).rejects.toMatchObject({ name: 'NoSuchCORSConfiguration' });
    expect(await checkBucket(client, target, ['cors'])).toEqual([]);

    // Deleting what is not there succeeds: apply stays idempotent.
    await applyBucket(client, target, () => {}, ['cors']);
  });

  it('apply stops at the lifecycle call with a clear NotImplemented error (exit 6)', async () => {
    const error = await applyBucket(client, target, () => {}).catch((e) => e);
    expect(error.exitCode).toBe(EXIT.failed);
    expect(error.message).toBe(`the server at ${endpoint} does not implement the call to set the lifecycle configuration (501 NotImplemented)`);
  });

  it('a missing bucket is exit 4, for apply and for check', async () => {
    const missing: Target = { ...target, bucket: `absent-${randomUUID().slice(0, 8)}` };
    const applyError = await applyBucket(client, missing, () => {}).catch((e) => e);
    expect(applyError.exitCode).toBe(EXIT.noSuchBucket);
    expect(applyError.message).toContain(`bucket "${missing.bucket}" does not exist at ${endpoint}`);
    const checkError = await checkBucket(client, missing, ['cors']).catch((e) => e);
    expect(checkError.exitCode).toBe(EXIT.noSuchBucket);
  });
});
