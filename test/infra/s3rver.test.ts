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
      { area: 'cors', message: 'a CORS configuration with 1 rule(s) is set; Ferry needs none without app origins (apply deletes it)' },
    ]);

    const lines: string[] = [];
    await applyBucket(client, target, (line) => lines.push(line), ['cors']);
    expect(lines).toEqual([expect.stringMatching(/^✓ cors: no CORS configuration: no browser page can reach the bucket/)]);
    await expect(client.send(new GetBucketCorsCommand({ Bucket: bucket }))).rejects.toMatchObject({ name: 'NoSuchCORSConfiguration' });
    expect(await checkBucket(client, target, ['cors'])).toEqual([]);

    // Deleting what is not there succeeds: apply stays idempotent.
    await applyBucket(client, target, () => {}, ['cors']);
  });

  it('with the apps\' origins, apply sets the rule browsers need for upload parts, and the server enforces it', async () => {
    const origin = 'https://app.example';
    const withOrigins: Target = { ...target, origins: [origin, 'https://b.example'] };
    expect(await checkBucket(client, withOrigins, ['cors'])).toEqual([
      { area: 'cors', message: 'no CORS configuration: browsers cannot upload parts straight to the bucket' },
    ]);
    const lines: string[] = [];
    await applyBucket(client, withOrigins, (line) => lines.push(line), ['cors']);
    expect(lines).toEqual([expect.stringMatching(/^✓ cors: browsers on https:\/\/app.example, https:\/\/b.example may PUT upload parts and read their ETag/)]);
    expect(await checkBucket(client, withOrigins, ['cors'])).toEqual([]);
    // Drift: an app origin added to FERRY_APPS since.
    expect(await checkBucket(client, { ...withOrigins, origins: [...withOrigins.origins!, 'https://c.example'] }, ['cors'])).toEqual([
      { area: 'cors', message: 'origins https://c.example may not PUT: their pages cannot upload parts' },
    ]);

    // What a browser does before PUTting a part to a presigned URL, answered by the server itself.
    const url = `${endpoint}/${bucket}/apps/test/data/0123`;
    const preflight = (from: string, method = 'PUT') =>
      fetch(url, { method: 'OPTIONS', headers: { origin: from, 'access-control-request-method': method, 'access-control-request-headers': 'content-type' } });
    const ok = await preflight(origin);
    expect(ok.status).toBe(200);
    // s3rver answers "*" where S3 echoes the origin; either lets the page send the PUT.
    expect(ok.headers.get('access-control-allow-origin')).toMatch(/^(\*|https:\/\/app\.example)$/);
    expect(ok.headers.get('access-control-allow-methods')).toBe('PUT');
    // The PUT's own answer lets the page read the ETag.
    const put = await fetch(url, { method: 'PUT', headers: { origin }, body: 'part' });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe(origin);
    expect(put.headers.get('access-control-expose-headers')).toMatch(/\bETag\b/i);
    expect((await preflight('https://evil.example')).status).toBe(403);
    expect((await preflight(origin, 'GET')).status).toBe(403);

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
