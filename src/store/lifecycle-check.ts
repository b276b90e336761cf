// Start-up check of the bucket's lifecycle: in S3 mode Ferry reads the bucket's lifecycle
// configuration and warns when no enabled rule deletes its objects within one day. The lifecycle
// rule is the backstop behind Ferry's own expiry (refused reads, the sweeper, retired keys), so a
// missing rule is worth a loud line but never a refusal to start. Runs on Node and in Workers:
// Web APIs and the S3 client only, and it never throws.
import { GetBucketLifecycleConfigurationCommand, type LifecycleRule, type S3Client } from '@aws-sdk/client-s3';

/** The promise: stored files are gone from the bucket one day after upload. */
export const MAX_LIFECYCLE_DAYS = 1;

export type LifecycleInspection =
  /** An enabled rule expires every object under the prefix within `days`. */
  | { state: 'ok'; days: number }
  /** No rule (or no lifecycle at all, or a server without lifecycle support) deletes these objects. */
  | { state: 'missing'; message: string }
  /** The shortest rule covering the prefix keeps objects `days` days. */
  | { state: 'too-long'; days: number; message: string }
  /** Not permitted to read it (AccessDenied), or the read failed: nothing is known. */
  | { state: 'unchecked'; message: string };

export interface CheckLifecycleOptions {
  /** Called with one line when the configuration could not be read (AccessDenied, timeout, network). */
  onUnchecked?: (note: string) => void;
  /** Give up after this long; start-up must not hang on a slow endpoint. Default 5000. */
  timeoutMs?: number;
}

/**
 * Reads the lifecycle of `bucket` and returns one warning line when no enabled rule deletes the
 * objects under `prefix` within one day, or null when one does. When the configuration cannot be
 * read (AccessDenied, timeout, network error) it returns null too, and passes a note saying so to
 * `options.onUnchecked`. Never throws.
 */
export async function checkLifecycle(
  client: S3Client,
  bucket: string,
  prefix = '',
  options: CheckLifecycleOptions = {},
): Promise<string | null> {
  const result = await inspectLifecycle(client, bucket, prefix, options.timeoutMs);
  if (result.state === 'ok') return null;
  if (result.state === 'unchecked') {
    options.onUnchecked?.(result.message);
    return null;
  }
  return result.message;
}

/** The same reading as `checkLifecycle`, as data. Never throws. */
export async function inspectLifecycle(
  client: S3Client,
  bucket: string,
  prefix = '',
  timeoutMs = 5000,
): Promise<LifecycleInspection> {
  const where = `S3 bucket "${bucket}"${prefix ? ` (prefix "${prefix}")` : ''}`;
  const fix = `run \`npm run infra -- apply --bucket ${bucket}${prefix ? ` --prefix ${prefix}` : ''}\`; until then only Ferry's own expiry and sweeper remove stored files`;
  let rules: LifecycleRule[];
  try {
    const output = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }), {
      abortSignal: AbortSignal.timeout(timeoutMs),
    });
    rules = output.Rules ?? [];
  } catch (error) {
    const code = errorCode(error);
    if (code === 'NoSuchLifecycleConfiguration') {
      return { state: 'missing', message: `warning: ${where} has no lifecycle configuration: files are not deleted by the bucket after ${MAX_LIFECYCLE_DAYS} day; ${fix}` };
    }
    if (code === 'NotImplemented') {
      return { state: 'missing', message: `warning: the S3 endpoint of ${where} does not support lifecycle rules (NotImplemented): files are not deleted by the bucket after ${MAX_LIFECYCLE_DAYS} day; only Ferry's own expiry and sweeper remove them` };
    }
    if (code === 'NoSuchBucket') {
      return { state: 'missing', message: `warning: ${where} does not exist (NoSuchBucket), so it has no lifecycle rule either` };
    }
    const reason = code === 'AccessDenied' ? 'AccessDenied (grant s3:GetLifecycleConfiguration to check it at start-up)' : code;
    return { state: 'unchecked', message: `note: could not check the lifecycle of ${where}: ${reason}` };
  }
  const days = shortestExpiry(rules, prefix);
  if (days === null) {
    return { state: 'missing', message: `warning: ${where} has no enabled lifecycle rule that expires ${prefix ? `every object under "${prefix}"` : 'every object'}: files are not deleted by the bucket after ${MAX_LIFECYCLE_DAYS} day; ${fix}` };
  }
  if (days > MAX_LIFECYCLE_DAYS) {
    return { state: 'too-long', days, message: `warning: ${where} deletes files after ${days} days, not ${MAX_LIFECYCLE_DAYS}: the bucket keeps them longer than Ferry promises; ${fix}` };
  }
  return { state: 'ok', days };
}

/**
 * The fewest days after which some enabled rule expires every object under `prefix`, or null
 * when none does. A rule counts only if its filter is a prefix alone that `prefix` starts with:
 * tag and size filters leave some of Ferry's objects out, and so does a longer prefix.
 */
export function shortestExpiry(rules: readonly LifecycleRule[], prefix: string): number | null {
  let shortest: number | null = null;
  for (const rule of rules) {
    if (rule.Status !== 'Enabled') continue;
    const days = rule.Expiration?.Days;
    if (typeof days !== 'number' || days < 1) continue;
    const rulePrefix = prefixOnlyFilter(rule);
    if (rulePrefix === null || !prefix.startsWith(rulePrefix)) continue;
    if (shortest === null || days < shortest) shortest = days;
  }
  return shortest;
}

/** The rule's prefix when its filter is a prefix and nothing else ("" = whole bucket), else null. */
export function prefixOnlyFilter(rule: LifecycleRule): string | null {
  const filter = rule.Filter;
  if (!filter) return rule.Prefix ?? '';
  if (filter.Tag || filter.ObjectSizeGreaterThan !== undefined || filter.ObjectSizeLessThan !== undefined) return null;
  if (filter.And) {
    const and = filter.And;
    if ((and.Tags?.length ?? 0) > 0 || and.ObjectSizeGreaterThan !== undefined || and.ObjectSizeLessThan !== undefined) return null;
    return and.Prefix ?? '';
  }
  return filter.Prefix ?? '';
}

/** S3's error code (`NoSuchBucket`, `AccessDenied`…) as the SDK reports it, or a short description. */
function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
    if (e.Code) return e.Code;
    if (e.$metadata?.httpStatusCode === 403) return 'AccessDenied';
    if (e.$metadata?.httpStatusCode === 501) return 'NotImplemented';
    if (e.name && e.name !== 'Error') return e.name;
    if (e.message) return e.message;
  }
  return String(error);
}
