// What can go wrong when the CLI talks to a bucket, as one error type with an exit code and one
// line a person can act on. S3 reports failures as stable error codes (NoSuchBucket,
// AccessDenied…), which is what we switch on; the SDK's own messages are only appended.

export const EXIT = {
  ok: 0,
  /** `check` found differences. */
  drift: 1,
  usage: 2,
  credentials: 3,
  noSuchBucket: 4,
  accessDenied: 5,
  /** Anything else: the server answered an unexpected error, does not implement a call, or was unreachable. */
  failed: 6,
} as const;

export class InfraError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'InfraError';
  }
}

interface SdkErrorShape {
  name?: string;
  Code?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The S3 error code of an SDK error, or undefined when the request never got an S3 answer. */
export function s3ErrorCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as SdkErrorShape;
  if (e.Code) return e.Code;
  if (e.$metadata?.httpStatusCode !== undefined && e.name && e.name !== 'Error') return e.name;
  return undefined;
}

/**
 * Turns whatever the SDK threw while doing `action` into an InfraError. `bucket` and `endpoint`
 * only make the message specific.
 */
export function explainS3Error(error: unknown, action: string, bucket: string, endpoint: string): InfraError {
  if (error instanceof InfraError) return error;
  const e = (error ?? {}) as SdkErrorShape;
  if (e.name === 'CredentialsProviderError') {
    return new InfraError(
      EXIT.credentials,
      `no S3 credentials found: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where an IAM role is available)`,
    );
  }
  const code = s3ErrorCode(error);
  const status = e.$metadata?.httpStatusCode;
  const detail = e.message && e.message !== code && e.message !== 'UnknownError' ? ` (${e.message})` : '';
  switch (code) {
    case 'NoSuchBucket':
    case 'NotFound':
      return new InfraError(EXIT.noSuchBucket, `bucket "${bucket}" does not exist at ${endpoint}: create it first, or check --bucket, --endpoint and --region`);
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'InvalidToken':
    case 'ExpiredToken':
      return new InfraError(EXIT.credentials, `the S3 credentials were rejected while trying to ${action}: ${code}${detail}`);
    case 'AccessDenied':
    case 'Forbidden':
      return new InfraError(
        EXIT.accessDenied,
        `access denied while trying to ${action} on bucket "${bucket}": the credentials need permission for it (see docs/retention.md for the IAM actions)`,
      );
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return new InfraError(EXIT.failed, `bucket "${bucket}" is in another region than the one used: pass --region (${code}${detail})`);
    case 'NotImplemented':
      return new InfraError(EXIT.failed, `the server at ${endpoint} does not implement the call to ${action} (501 NotImplemented)`);
  }
  if (status === 403) {
    return new InfraError(EXIT.accessDenied, `access denied while trying to ${action} on bucket "${bucket}" (HTTP 403${code ? ` ${code}` : ''})`);
  }
  if (code) return new InfraError(EXIT.failed, `could not ${action}: ${code}${status ? ` (HTTP ${status})` : ''}${detail}`);
  return new InfraError(EXIT.failed, `could not ${action}: ${e.message ?? String(error)}`);
}
