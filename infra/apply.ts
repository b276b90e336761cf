// `apply` and `print`: the same list of requests, sent or shown. Every step is a full replacement
// (PUT the whole configuration, DELETE the CORS one), so applying twice changes nothing the second
// time. `print` runs the very same SDK commands through a handler that records the serialized
// request instead of sending it, so what it shows is byte for byte what `apply` sends, less the
// signature headers that depend on the time and the credentials.
import {
  DeleteBucketCorsCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  ABORT_MULTIPART_AFTER_DAYS,
  bucketPolicy,
  corsConfiguration,
  encryptionConfiguration,
  EXPIRE_AFTER_DAYS,
  lifecycleConfiguration,
  partitionOf,
  PUBLIC_ACCESS_BLOCK,
  SSE_ALGORITHM,
  type Provider,
} from './bucket-spec.js';
import { explainS3Error } from './errors.js';
import { createS3Client, type Target } from './s3-client.js';

export type Area = 'lifecycle' | 'public-access-block' | 'encryption' | 'policy' | 'cors';

export interface Step {
  area: Area;
  /** What the bucket does once this step is applied. */
  effect: string;
  /** For error messages: "set the lifecycle configuration". */
  action: string;
  send: (client: S3Client) => Promise<unknown>;
}

export function describePrefix(prefix: string): string {
  return prefix ? `prefix "${prefix}"` : 'whole bucket';
}

/** The configurations a provider lets us write through the S3 API, in apply's order. */
export function areasFor(provider: Provider): Area[] {
  return provider === 'aws' ? ['lifecycle', 'public-access-block', 'encryption', 'policy', 'cors'] : ['lifecycle', 'cors'];
}

/** The requests that bring a bucket to Ferry's configuration, in the order apply sends them. */
export function applySteps(target: Target): Step[] {
  const Bucket = target.bucket;
  const steps: Record<Area, Step> = {
    lifecycle: {
      area: 'lifecycle',
      effect: `objects ${target.prefix ? `under "${target.prefix}"` : 'anywhere in the bucket'} expire ${EXPIRE_AFTER_DAYS} day after upload; incomplete multipart uploads are aborted after ${ABORT_MULTIPART_AFTER_DAYS} day`,
      action: 'set the lifecycle configuration',
      send: (client) => client.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: lifecycleConfiguration(target.prefix) })),
    },
    'public-access-block': {
      area: 'public-access-block',
      effect: 'public ACLs and public bucket policies are blocked and ignored',
      action: 'set the public access block',
      send: (client) => client.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { ...PUBLIC_ACCESS_BLOCK } })),
    },
    encryption: {
      area: 'encryption',
      effect: `new objects are encrypted at rest with ${SSE_ALGORITHM} (SSE-S3), beneath Ferry's own encryption`,
      action: 'set default encryption',
      send: (client) => client.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: encryptionConfiguration() })),
    },
    policy: {
      area: 'policy',
      effect: 'every request without TLS is denied (this bucket policy replaces any other)',
      action: 'set the bucket policy',
      send: (client) => client.send(new PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(bucketPolicy(Bucket, partitionOf(target.region))) })),
    },
    cors: corsStep(target),
  };
  return areasFor(target.provider).map((area) => steps[area]);
}

/** PUT the upload-parts rule for the apps' origins, or, with none, DELETE any CORS configuration. */
function corsStep(target: Target): Step {
  const Bucket = target.bucket;
  const cors = corsConfiguration(target.origins ?? []);
  if (!cors) {
    return {
      area: 'cors',
      effect: 'no CORS configuration: no browser page can reach the bucket, so browsers cannot upload parts straight to it (give the apps\' origins: --origin or FERRY_APPS)',
      action: 'delete the CORS configuration',
      send: (client) => client.send(new DeleteBucketCorsCommand({ Bucket })),
    };
  }
  const origins = cors.CORSRules![0]!.AllowedOrigins!;
  return {
    area: 'cors',
    effect: `browsers on ${origins.join(', ')} may PUT upload parts and read their ETag; nothing else (this CORS configuration replaces any other)`,
    action: 'set the CORS configuration',
    send: (client) => client.send(new PutBucketCorsCommand({ Bucket, CORSConfiguration: cors })),
  };
}

/** Sends every step (or those of `areas`); stops at the first failure with an InfraError. */
export async function applyBucket(client: S3Client, target: Target, log: (line: string) => void, areas?: readonly Area[]): Promise<void> {
  for (const step of applySteps(target)) {
    if (areas && !areas.includes(step.area)) continue;
    try {
      await step.send(client);
    } catch (error) {
      throw explainS3Error(error, step.action, target.bucket, target.endpoint ?? `AWS ${target.region}`);
    }
    log(`✓ ${step.area}: ${step.effect}`);
  }
}

export interface CapturedRequest {
  area: Area;
  effect: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

class Captured extends Error {
  constructor(readonly request: { method: string; protocol: string; hostname: string; port?: number; path: string; query?: Record<string, string | string[] | null>; headers: Record<string, string>; body?: unknown }) {
    super('request captured');
    this.name = 'CapturedRequest';
  }
}

/** Headers that depend on the moment, the machine or the credentials: added when apply sends. */
const VOLATILE_HEADERS = new Set([
  'authorization',
  'x-amz-date',
  'x-amz-content-sha256',
  'x-amz-security-token',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'user-agent',
  'x-amz-user-agent',
  'host',
]);

/** The exact requests apply would send, built by the SDK and never sent. Needs no credentials. */
export async function captureRequests(target: Target): Promise<CapturedRequest[]> {
  const recorder = {
    handle: async (request: Captured['request']) => {
      throw new Captured(request);
    },
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
  };
  const client = createS3Client(target, {
    // Signing needs some credentials; these never leave the process.
    credentials: { accessKeyId: 'PRINT-ONLY', secretAccessKey: 'PRINT-ONLY' },
    requestHandler: recorder as unknown as S3ClientConfig['requestHandler'],
    maxAttempts: 1,
  });
  const captured: CapturedRequest[] = [];
  for (const step of applySteps(target)) {
    try {
      await step.send(client);
      throw new Error(`${step.area}: request was sent instead of captured`);
    } catch (error) {
      if (!(error instanceof Captured)) throw error;
      const r = error.request;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(r.headers).sort(([a], [b]) => a.localeCompare(b))) {
        if (!VOLATILE_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
      }
      captured.push({
        area: step.area,
        effect: step.effect,
        method: r.method,
        url: `${r.protocol}//${r.hostname}${r.port ? `:${r.port}` : ''}${r.path}${formatQuery(r.query)}`,
        headers,
        body: typeof r.body === 'string' ? r.body : '',
      });
    }
  }
  client.destroy();
  return captured;
}

function formatQuery(query: Record<string, string | string[] | null> | undefined): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) parts.push(v === null ? encodeURIComponent(key) : `${encodeURIComponent(key)}=${encodeURIComponent(v)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export function formatCaptured(requests: CapturedRequest[]): string {
  return requests
    .map((r, i) => {
      const headers = Object.entries(r.headers).map(([name, value]) => `${name}: ${value}`);
      return [`# ${i + 1}. ${r.area}: ${r.effect}`, `${r.method} ${r.url}`, ...headers, '', ...(r.body ? [r.body, ''] : [])].join('\n');
    })
    .join('\n');
}
