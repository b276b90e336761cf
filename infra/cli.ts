// `npm run infra -- <print|apply|check> --bucket NAME [--endpoint URL] [--region R] [--prefix P] [--provider aws|r2]`
//
// Configures, verifies or shows the bucket Ferry stores files in, from infra/bucket-spec.ts.
// Options fall back to the variables Ferry itself reads (S3_BUCKET, S3_ENDPOINT, S3_REGION,
// S3_PREFIX, S3_FORCE_PATH_STYLE, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, and FERRY_APPS for the
// origins the bucket's CORS allows), so one .env serves both.
// Exit codes are in errors.ts (0 ok, 1 drift, 2 usage, 3 credentials, 4 no bucket, 5 denied, 6 other).
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseApps } from '../src/apps.js';
import { applyBucket, captureRequests, describePrefix, formatCaptured } from './apply.js';
import { R2_NOTES, type Provider } from './bucket-spec.js';
import { checkBucket } from './check.js';
import { EXIT, explainS3Error, InfraError } from './errors.js';
import { createS3Client, isLoopback, looksLikeR2, type Target } from './s3-client.js';

const USAGE = `usage: npm run infra -- <print|apply|check> --bucket NAME [--endpoint URL] [--region R] [--prefix P] [--provider aws|r2] [--origin O…]

  print   show the exact requests apply would send, without sending anything
  apply   configure the bucket (idempotent): lifecycle, public access block, encryption,
          TLS-only policy, CORS for upload parts — on R2 only lifecycle and CORS exist
  check   compare the bucket with that configuration; exit 1 and list each difference

  --bucket    bucket name (default: S3_BUCKET)
  --endpoint  S3 endpoint URL for R2, MinIO… (default: S3_ENDPOINT, else AWS)
  --region    region (default: S3_REGION, AWS_REGION, else us-east-1; "auto" on R2)
  --prefix    key prefix Ferry stores objects under, like "ferry/" (default: S3_PREFIX, else none = whole bucket)
  --provider  aws or r2 (default: r2 for *.r2.cloudflarestorage.com endpoints, else aws)
  --origin    an origin whose pages upload parts straight to the bucket, like https://app.example
              (repeat for several; default: every app's origins in FERRY_APPS; none = no CORS)

credentials: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, else the AWS SDK's usual chain
exit codes: 0 ok, 1 drift, 2 usage, 3 credentials, 4 no such bucket, 5 access denied, 6 other failure`;

type Command = 'print' | 'apply' | 'check';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let command: Command;
  let target: Target;
  try {
    ({ command, target } = parseCommandLine(argv, env));
  } catch (error) {
    if (error instanceof InfraError && error.exitCode === EXIT.ok) {
      io.out(USAGE);
      return EXIT.ok;
    }
    if (error instanceof InfraError) {
      io.err(`error: ${error.message}`);
      if (error.exitCode === EXIT.usage) io.err(`${USAGE.split('\n')[0]}\n(--help for more)`);
      return error.exitCode;
    }
    throw error;
  }
  if (target.endpoint && new URL(target.endpoint).protocol === 'http:' && !isLoopback(target.endpoint)) {
    io.err(`warning: ${target.endpoint} is plain HTTP: credentials and configuration travel unencrypted`);
  }
  const heading = `bucket "${target.bucket}" (${target.provider}, ${describePrefix(target.prefix)}, ${target.endpoint ?? `AWS ${target.region}`})`;

  if (command === 'print') {
    const requests = await captureRequests(target);
    io.out(`# apply for ${heading}: ${requests.length} requests, shown as apply sends them`);
    io.out(`# (without the signature headers authorization, x-amz-date and x-amz-content-sha256, added when sent)\n`);
    io.out(formatCaptured(requests));
    if (target.provider === 'r2') printR2Notes(io);
    return EXIT.ok;
  }

  const credentials =
    env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
      ? { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY }
      : undefined;
  const client = createS3Client(target, credentials ? { credentials } : {});
  try {
    if (command === 'apply') {
      io.out(`applying Ferry's configuration to ${heading}`);
      await applyBucket(client, target, io.out);
      if (target.provider === 'r2') printR2Notes(io);
      io.out(`done; \`npm run infra -- check\` verifies it (S3 may take a few minutes to show a new lifecycle everywhere)`);
      return EXIT.ok;
    }
    const differences = await checkBucket(client, target);
    if (differences.length === 0) {
      const cors = target.origins?.length ? `CORS for ${target.origins.length} origin${target.origins.length === 1 ? '' : 's'}` : 'no CORS';
      const parts = target.provider === 'aws' ? `lifecycle, public access block, encryption, TLS-only policy, ${cors}` : `lifecycle, ${cors}`;
      io.out(`✓ ${heading} matches Ferry's configuration: ${parts}`);
      if (target.provider === 'r2') printR2Notes(io);
      return EXIT.ok;
    }
    io.out(`✗ ${heading} differs from Ferry's configuration in ${differences.length} way${differences.length === 1 ? '' : 's'}:`);
    for (const d of differences) io.out(`  ${d.area}: ${d.message}`);
    io.out(`run \`npm run infra -- apply\` with the same options to fix`);
    return EXIT.drift;
  } catch (error) {
    const e = error instanceof InfraError ? error : explainS3Error(error, command === 'apply' ? 'configure the bucket' : 'read the bucket', target.bucket, target.endpoint ?? `AWS ${target.region}`);
    io.err(`error: ${e.message}`);
    return e.exitCode;
  } finally {
    client.destroy();
  }
}

function printR2Notes(io: CliIo): void {
  io.out(`R2 offers no S3 call for the rest; what covers it instead:`);
  for (const note of R2_NOTES) io.out(`  - ${note}`);
}

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): { command: Command; target: Target } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        bucket: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        prefix: { type: 'string' },
        provider: { type: 'string' },
        origin: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new InfraError(EXIT.usage, (error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) throw new InfraError(EXIT.ok, '');
  const [command, ...extra] = positionals;
  if (command !== 'print' && command !== 'apply' && command !== 'check') {
    throw new InfraError(EXIT.usage, command ? `unknown command "${command}"` : 'missing command');
  }
  if (extra.length) throw new InfraError(EXIT.usage, `unexpected argument "${extra[0]}"`);

  const bucket = values.bucket ?? env.S3_BUCKET;
  if (!bucket) throw new InfraError(EXIT.usage, 'missing --bucket (or S3_BUCKET)');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new InfraError(EXIT.usage, `"${bucket}" is not a valid bucket name (3–63 characters: a-z, 0-9, "." and "-")`);
  }

  const endpoint = values.endpoint ?? (env.S3_ENDPOINT || undefined);
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new InfraError(EXIT.usage, `--endpoint "${endpoint}" is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InfraError(EXIT.usage, `--endpoint must be http(s), got ${url.protocol}`);
  }

  const providerValue = values.provider ?? (looksLikeR2(endpoint) ? 'r2' : 'aws');
  if (providerValue !== 'aws' && providerValue !== 'r2') throw new InfraError(EXIT.usage, `--provider must be aws or r2, got "${providerValue}"`);
  const provider: Provider = providerValue;

  // Same rule as Ferry's S3_PREFIX: "" or path segments each ending in "/".
  const prefix = values.prefix ?? env.S3_PREFIX ?? '';
  if (prefix !== '' && (prefix.length > 512 || !/^([A-Za-z0-9._-]+\/)+$/.test(prefix))) {
    throw new InfraError(EXIT.usage, `--prefix "${prefix}" must be empty or segments of [A-Za-z0-9._-] each ending in "/", like "ferry/"`);
  }

  const region = values.region ?? (env.S3_REGION || env.AWS_REGION || (provider === 'r2' ? 'auto' : 'us-east-1'));
  const pathStyle = env.S3_FORCE_PATH_STYLE;
  const forcePathStyle = pathStyle === undefined || pathStyle === '' ? endpoint !== undefined : pathStyle === 'true' || pathStyle === '1';
  return { command, target: { bucket, prefix, provider, region, endpoint, forcePathStyle, origins: originsOf(values.origin, env) } };
}

/** --origin values, else the origins of every app in FERRY_APPS (inline JSON or @file), as Ferry reads it. */
function originsOf(given: string[] | undefined, env: NodeJS.ProcessEnv): string[] {
  if (given?.length) {
    for (const o of given) {
      let url: URL | undefined;
      try {
        url = new URL(o);
      } catch {
        url = undefined;
      }
      if (!url || url.origin !== o || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
        throw new InfraError(EXIT.usage, `--origin "${o}" must be an exact origin like https://app.example (no path, no trailing slash)`);
      }
    }
    return [...new Set(given)].sort();
  }
  if (!env.FERRY_APPS) return [];
  try {
    return [...new Set(parseApps(env.FERRY_APPS, (path) => readFileSync(path, 'utf8')).flatMap((app) => app.origins))].sort();
  } catch (error) {
    throw new InfraError(EXIT.usage, `FERRY_APPS: ${(error as Error).message.replace(/^FERRY_APPS: /, '')}`);
  }
}

function isMain(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const code = await runCli(process.argv.slice(2), process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  process.exitCode = code;
}
