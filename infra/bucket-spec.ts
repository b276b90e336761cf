// The one description of the bucket Ferry expects. `apply` writes it, `check` compares the bucket
// against it, `print` shows it, and test/infra/iac-drift.test.ts fails when the CloudFormation
// template or the Terraform module in this folder says anything else. Change a number here and the
// tests tell you which other file to change with it.
//
// The bucket is Ferry's alone: apply replaces the lifecycle configuration, the bucket policy and
// the CORS configuration as a whole (as Terraform's resources for them do), it does not merge.
import type {
  BucketLifecycleConfiguration,
  CORSConfiguration,
  PublicAccessBlockConfiguration,
  ServerSideEncryptionConfiguration,
} from '@aws-sdk/client-s3';

/** `aws`: Amazon S3 and servers with its full bucket API. `r2`: Cloudflare R2, which has only lifecycle and CORS of these. */
export type Provider = 'aws' | 'r2';

/** Ferry keeps files one day (FERRY_TTL_SECONDS ≤ 86400); the bucket deletes them after this many days. */
export const EXPIRE_AFTER_DAYS = 1;
/** A crashed upload leaves parts behind; they go after this many days. */
export const ABORT_MULTIPART_AFTER_DAYS = 1;
export const LIFECYCLE_RULE_ID = 'ferry-expire-after-one-day';

/** SSE-S3. Defence in depth: every object is already ciphertext under Ferry's own keys. */
export const SSE_ALGORITHM = 'AES256';

export const PUBLIC_ACCESS_BLOCK = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
} as const satisfies Required<PublicAccessBlockConfiguration>;

export const TLS_ONLY_SID = 'FerryDenyInsecureTransport';

/**
 * CORS: what upload sessions need and nothing more. A browser PUTs each encrypted part straight
 * to the bucket through a presigned URL (docs/uploads.md), so the bucket answers CORS for the
 * apps' origins (FERRY_APPS), for PUT only, and exposes ETag, without which the page cannot read
 * a part's ETag and the upload fails at the end (what Companion's users trip on: uppy#1762,
 * #5516). No GET: downloads go through Ferry, which decrypts. With no origins there is no CORS
 * configuration at all (apply deletes one).
 */
export const CORS_RULE_ID = 'ferry-upload-parts';
export const CORS_METHODS = ['PUT'] as const;
/** A part's body may carry a type (a File slice does); nothing else is sent or signed but Content-Length and Host. */
export const CORS_ALLOWED_HEADERS = ['content-type'] as const;
export const CORS_EXPOSE_HEADERS = ['ETag'] as const;
export const CORS_MAX_AGE_SECONDS = 3600;

export function corsConfiguration(origins: readonly string[]): CORSConfiguration | null {
  const unique = [...new Set(origins)].sort();
  if (unique.length === 0) return null;
  return {
    CORSRules: [
      {
        ID: CORS_RULE_ID,
        AllowedOrigins: unique,
        AllowedMethods: [...CORS_METHODS],
        AllowedHeaders: [...CORS_ALLOWED_HEADERS],
        ExposeHeaders: [...CORS_EXPOSE_HEADERS],
        MaxAgeSeconds: CORS_MAX_AGE_SECONDS,
      },
    ],
  };
}

export function lifecycleConfiguration(prefix: string): BucketLifecycleConfiguration {
  return {
    Rules: [
      {
        ID: LIFECYCLE_RULE_ID,
        Status: 'Enabled',
        Filter: { Prefix: prefix },
        Expiration: { Days: EXPIRE_AFTER_DAYS },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_MULTIPART_AFTER_DAYS },
      },
    ],
  };
}

export function encryptionConfiguration(): ServerSideEncryptionConfiguration {
  return { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: SSE_ALGORITHM } }] };
}

export interface PolicyStatement {
  Sid?: string;
  Effect: string;
  Principal: unknown;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

/** The ARN partition a region belongs to, so the policy names the bucket correctly in China and GovCloud. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Refuses every request made without TLS, from anyone, to the bucket and to every object in it. */
export function tlsOnlyStatement(bucket: string, partition = 'aws'): PolicyStatement {
  const arn = `arn:${partition}:s3:::${bucket}`;
  return {
    Sid: TLS_ONLY_SID,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [arn, `${arn}/*`],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

export function bucketPolicy(bucket: string, partition = 'aws'): PolicyDocument {
  return { Version: '2012-10-17', Statement: [tlsOnlyStatement(bucket, partition)] };
}

/** What the provider cannot be configured for through the S3 API, and why Ferry is still covered there. */
export const R2_NOTES = [
  'public access: R2 has no public access block; a bucket is private unless its r2.dev URL or a custom domain is enabled — keep both off (dashboard → bucket → Settings)',
  'encryption: R2 encrypts every object at rest with AES-256 itself; there is no setting to write',
  'TLS: R2 has no bucket policies; use its https:// endpoint in S3_ENDPOINT',
] as const;
