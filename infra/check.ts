// `check`: read each configuration apply writes and list every way the bucket differs from
// bucket-spec.ts. A configuration S3 reports as absent (NoSuch…) is a difference; any other
// failure (no bucket, access denied, no credentials) stops the check with an InfraError, because
// "could not look" must not read as "in order".
import {
  GetBucketCorsCommand,
  type CORSRule,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  type LifecycleRule,
  type PublicAccessBlockConfiguration,
  type S3Client,
  type ServerSideEncryptionRule,
} from '@aws-sdk/client-s3';
import { prefixOnlyFilter, shortestExpiry } from '../src/store/lifecycle-check.js';
import { areasFor, type Area } from './apply.js';
import {
  ABORT_MULTIPART_AFTER_DAYS,
  corsConfiguration,
  EXPIRE_AFTER_DAYS,
  LIFECYCLE_RULE_ID,
  partitionOf,
  PUBLIC_ACCESS_BLOCK,
  SSE_ALGORITHM,
  TLS_ONLY_SID,
  tlsOnlyStatement,
  type PolicyStatement,
} from './bucket-spec.js';
import { explainS3Error, s3ErrorCode } from './errors.js';
import type { Target } from './s3-client.js';

export interface Difference {
  area: Area;
  message: string;
}

type AreaCheck = (client: S3Client, target: Target) => Promise<Difference[]>;

/** Calls S3 and returns the output, or null when S3 answers `absentCode` (the configuration does not exist). */
async function read<T>(target: Target, send: () => Promise<T>, absentCode: string, action: string): Promise<T | null> {
  try {
    return await send();
  } catch (error) {
    if (s3ErrorCode(error) === absentCode) return null;
    throw explainS3Error(error, action, target.bucket, target.endpoint ?? `AWS ${target.region}`);
  }
}

/** One reader per configuration apply writes; `areasFor` says which exist on a provider. */
export const AREA_CHECKS: Record<Area, AreaCheck> = {
  lifecycle: async (client, target) => {
    const output = await read(
      target,
      () => client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: target.bucket })),
      'NoSuchLifecycleConfiguration',
      'read the lifecycle configuration',
    );
    return compareLifecycle(output?.Rules ?? null, target.prefix);
  },
  'public-access-block': async (client, target) => {
    const output = await read(
      target,
      () => client.send(new GetPublicAccessBlockCommand({ Bucket: target.bucket })),
      'NoSuchPublicAccessBlockConfiguration',
      'read the public access block',
    );
    return comparePublicAccessBlock(output?.PublicAccessBlockConfiguration ?? null);
  },
  encryption: async (client, target) => {
    const output = await read(
      target,
      () => client.send(new GetBucketEncryptionCommand({ Bucket: target.bucket })),
      'ServerSideEncryptionConfigurationNotFoundError',
      'read default encryption',
    );
    return compareEncryption(output?.ServerSideEncryptionConfiguration?.Rules ?? null);
  },
  policy: async (client, target) => {
    const output = await read(
      target,
      () => client.send(new GetBucketPolicyCommand({ Bucket: target.bucket })),
      'NoSuchBucketPolicy',
      'read the bucket policy',
    );
    return comparePolicy(output?.Policy ?? null, target.bucket, partitionOf(target.region));
  },
  cors: async (client, target) => {
    const output = await read(
      target,
      () => client.send(new GetBucketCorsCommand({ Bucket: target.bucket })),
      'NoSuchCORSConfiguration',
      'read the CORS configuration',
    );
    return compareCors(output?.CORSRules ?? null, target.origins ?? []);
  },
};

/** Every difference between the bucket and bucket-spec.ts, in apply's order. */
export async function checkBucket(client: S3Client, target: Target, areas: readonly Area[] = areasFor(target.provider)): Promise<Difference[]> {
  const differences: Difference[] = [];
  for (const area of areas) differences.push(...(await AREA_CHECKS[area](client, target)));
  return differences;
}

export function compareLifecycle(rules: LifecycleRule[] | null, prefix: string): Difference[] {
  const d = (message: string): Difference => ({ area: 'lifecycle', message });
  if (rules === null) return [d('no lifecycle configuration: nothing deletes stored files')];
  const out: Difference[] = [];
  const ours = rules.find((rule) => rule.ID === LIFECYCLE_RULE_ID);
  if (!ours) {
    out.push(d(`rule "${LIFECYCLE_RULE_ID}" is missing`));
  } else {
    if (ours.Status !== 'Enabled') out.push(d(`rule "${LIFECYCLE_RULE_ID}" is ${ours.Status ?? 'without status'}, expected Enabled`));
    const rulePrefix = prefixOnlyFilter(ours);
    if (rulePrefix === null) out.push(d(`rule "${LIFECYCLE_RULE_ID}" filters on tags or object size; expected the prefix "${prefix}" alone`));
    else if (rulePrefix !== prefix) out.push(d(`rule "${LIFECYCLE_RULE_ID}" applies to prefix "${rulePrefix}", expected "${prefix}"`));
    const days = ours.Expiration?.Days;
    if (days !== EXPIRE_AFTER_DAYS) {
      out.push(d(`rule "${LIFECYCLE_RULE_ID}" expires objects ${days === undefined ? 'never (no Expiration Days)' : `after ${days} days`}, expected ${EXPIRE_AFTER_DAYS}`));
    }
    if (ours.Expiration?.Date) out.push(d(`rule "${LIFECYCLE_RULE_ID}" has an expiration date; expected days only`));
    const abort = ours.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
    if (abort !== ABORT_MULTIPART_AFTER_DAYS) {
      out.push(d(`rule "${LIFECYCLE_RULE_ID}" aborts incomplete multipart uploads ${abort === undefined ? 'never' : `after ${abort} days`}, expected ${ABORT_MULTIPART_AFTER_DAYS}`));
    }
    if (ours.Transitions?.length || ours.NoncurrentVersionTransitions?.length || ours.NoncurrentVersionExpiration) {
      out.push(d(`rule "${LIFECYCLE_RULE_ID}" has transition or noncurrent-version actions Ferry does not set`));
    }
  }
  for (const rule of rules) {
    if (rule === ours) continue;
    out.push(d(`unexpected rule ${rule.ID ? `"${rule.ID}"` : '(no ID)'}: apply replaces the lifecycle configuration with Ferry's rule alone`));
  }
  // Without Ferry's rule, say plainly whether anything else deletes the files within a day.
  const shortest = shortestExpiry(rules, prefix);
  if (!ours && (shortest === null || shortest > EXPIRE_AFTER_DAYS)) {
    out.push(d(`no enabled rule deletes ${prefix ? `every object under "${prefix}"` : 'every object'} within ${EXPIRE_AFTER_DAYS} day${shortest ? ` (shortest: ${shortest} days)` : ''}`));
  }
  return out;
}

/**
 * The bucket's CORS against the upload-parts rule for `origins` (none: no CORS at all). Each
 * missing piece is named with what it breaks, since a browser only reports "CORS error".
 */
export function compareCors(rules: CORSRule[] | null, origins: readonly string[]): Difference[] {
  const d = (message: string): Difference => ({ area: 'cors', message });
  const expected = corsConfiguration(origins)?.CORSRules?.[0];
  const actual = rules ?? [];
  if (!expected) {
    return actual.length > 0 ? [d(`a CORS configuration with ${actual.length} rule(s) is set; Ferry needs none without app origins (apply deletes it)`)] : [];
  }
  if (actual.length === 0) return [d('no CORS configuration: browsers cannot upload parts straight to the bucket')];
  const out: Difference[] = [];
  // The browser's preflight is answered by the first rule that matches origin and method.
  const ours = actual.find((r) => r.AllowedMethods?.some((m) => m.toUpperCase() === 'PUT')) ?? actual[0]!;
  const set = (v: string[] | undefined, fold = false) => new Set((v ?? []).map((x) => (fold ? x.toLowerCase() : x)));
  const has = set(ours.AllowedOrigins);
  const missing = expected.AllowedOrigins!.filter((o) => !has.has(o) && !has.has('*'));
  if (missing.length) out.push(d(`origins ${missing.join(', ')} may not PUT: their pages cannot upload parts`));
  if (has.has('*')) out.push(d('every origin ("*") may use the bucket; expected the apps\' origins only'));
  const extra = [...has].filter((o) => o !== '*' && !expected.AllowedOrigins!.includes(o));
  if (extra.length) out.push(d(`origins ${extra.join(', ')} are allowed but belong to no app`));
  const methods = set(ours.AllowedMethods?.map((m) => m.toUpperCase()));
  if (!methods.has('PUT')) out.push(d('PUT is not allowed: browsers cannot upload parts'));
  const otherMethods = [...methods].filter((m) => m !== 'PUT');
  if (otherMethods.length) out.push(d(`methods ${otherMethods.join(', ')} are allowed; expected PUT only`));
  const exposed = set(ours.ExposeHeaders, true);
  if (!exposed.has('etag')) out.push(d('ETag is not exposed: pages cannot read a part\'s ETag, so uploads fail when they complete (uppy#1762)'));
  const headers = set(ours.AllowedHeaders, true);
  if (!headers.has('content-type') && !headers.has('*')) out.push(d('the Content-Type header is not allowed: a part sent with a type fails its preflight'));
  if (ours.MaxAgeSeconds !== expected.MaxAgeSeconds) out.push(d(`preflights are cached ${ours.MaxAgeSeconds ?? 'not at all'}${ours.MaxAgeSeconds ? ' s' : ''}, expected ${expected.MaxAgeSeconds} s`));
  for (const r of actual) if (r !== ours) out.push(d(`unexpected CORS rule ${r.ID ? `"${r.ID}"` : '(no ID)'}: apply replaces the CORS configuration with Ferry's rule alone`));
  return out;
}

export function comparePublicAccessBlock(actual: PublicAccessBlockConfiguration | null): Difference[] {
  if (actual === null) return [{ area: 'public-access-block', message: 'no public access block on the bucket' }];
  const flags = Object.keys(PUBLIC_ACCESS_BLOCK) as (keyof typeof PUBLIC_ACCESS_BLOCK)[];
  return flags
    .filter((flag) => actual[flag] !== PUBLIC_ACCESS_BLOCK[flag])
    .map((flag) => ({ area: 'public-access-block', message: `${flag} is ${actual[flag] ?? 'unset'}, expected ${PUBLIC_ACCESS_BLOCK[flag]}` }));
}

export function compareEncryption(rules: ServerSideEncryptionRule[] | null): Difference[] {
  const d = (message: string): Difference => ({ area: 'encryption', message });
  if (rules === null || rules.length === 0) return [d('no default encryption configured')];
  const byDefault = rules[0]?.ApplyServerSideEncryptionByDefault;
  const out: Difference[] = [];
  if (byDefault?.SSEAlgorithm !== SSE_ALGORITHM) out.push(d(`default encryption is ${byDefault?.SSEAlgorithm ?? 'unset'}, expected ${SSE_ALGORITHM}`));
  if (byDefault?.KMSMasterKeyID) out.push(d(`default encryption names a KMS key; expected ${SSE_ALGORITHM} without one`));
  if (rules.length > 1) out.push(d(`${rules.length} encryption rules; expected one`));
  return out;
}

export function comparePolicy(policyJson: string | null, bucket: string, partition: string): Difference[] {
  const d = (message: string): Difference => ({ area: 'policy', message });
  if (policyJson === null) return [d('no bucket policy: requests without TLS are not refused')];
  let policy: { Version?: string; Statement?: PolicyStatement | PolicyStatement[] };
  try {
    policy = JSON.parse(policyJson);
  } catch {
    return [d('the bucket policy is not valid JSON')];
  }
  const statements = policy.Statement === undefined ? [] : Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const expected = tlsOnlyStatement(bucket, partition);
  const out: Difference[] = [];
  if (policy.Version !== '2012-10-17') out.push(d(`policy Version is ${policy.Version ?? 'unset'}, expected 2012-10-17`));
  const ours = statements.find((s) => s.Sid === TLS_ONLY_SID);
  if (!ours) {
    out.push(d(`statement "${TLS_ONLY_SID}" (deny requests without TLS) is missing`));
  } else {
    for (const field of ['Effect', 'Principal', 'Action', 'Resource', 'Condition'] as const) {
      if (canonical(field, ours[field]) !== canonical(field, expected[field])) {
        out.push(d(`statement "${TLS_ONLY_SID}" ${field} is ${JSON.stringify(ours[field])}, expected ${JSON.stringify(expected[field])}`));
      }
    }
  }
  for (const s of statements) {
    if (s === ours) continue;
    out.push(d(`unexpected statement ${s.Sid ? `"${s.Sid}"` : '(no Sid)'}: apply replaces the bucket policy with Ferry's alone`));
  }
  return out;
}

/** One string per meaning: "s3:*" ≡ ["s3:*"], false ≡ "false", {"AWS":"*"} ≡ "*", order of lists ignored. */
function canonical(field: string, value: unknown): string {
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]).map(String).sort();
  if (field === 'Principal') {
    if (value === '*' || (value && typeof value === 'object' && list((value as Record<string, unknown>).AWS).join() === '*' && Object.keys(value).length === 1)) return '"*"';
    return JSON.stringify(value);
  }
  if (field === 'Action' || field === 'Resource') return JSON.stringify(list(value));
  if (field === 'Condition' && value && typeof value === 'object') {
    const operators = Object.entries(value as Record<string, Record<string, unknown>>)
      .map(([op, keys]) => [op, Object.entries(keys ?? {}).map(([k, v]) => [k.toLowerCase(), list(v).map((x) => x.toLowerCase())]).sort()] as const)
      .sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify(operators);
  }
  return JSON.stringify(value);
}
