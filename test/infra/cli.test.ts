// The CLI as a person runs it: `npx tsx infra/cli.ts …` in its own process, with nothing but the
// environment given here (no AWS variables, no ~/.aws, instance metadata disabled, so the SDK's
// credential chain cannot reach beyond loopback), against the recording endpoint.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Error, startRecordingS3, type RecordingS3 } from './recording-s3.js';

const ROOT = join(import.meta.dirname, '../..');
const BUCKET = 'ferry-cli';
let home: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'ferry-infra-home-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** Each test gets its own recording endpoint, so the tests (each a few process starts) run concurrently. */
async function withS3(body: (s3: RecordingS3) => Promise<void>): Promise<void> {
  const s3 = await startRecordingS3([BUCKET]);
  try {
    await body(s3);
  } finally {
    await s3.close();
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn('npx', ['tsx', 'infra/cli.ts', ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH!,
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      npm_config_update_notifier: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr: stderr.replace(/^npm warn.*\n/gm, '') }));
  });
}

const CREDENTIALS = { S3_ACCESS_KEY_ID: 'AKIATEST', S3_SECRET_ACCESS_KEY: 'secret' };
const at = (s3: RecordingS3) => ['--bucket', BUCKET, '--endpoint', s3.endpoint];

describe.concurrent('npm run infra', () => {
  it('print shows the requests for AWS and sends nothing, without credentials', async () => {
    await withS3(async (s3) => {
      const run = await cli(['print', '--bucket', 'ferry-files', '--region', 'eu-west-1']);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('PUT https://ferry-files.s3.eu-west-1.amazonaws.com/?lifecycle=\ncontent-length: 389\ncontent-md5: ');
      expect(run.stdout).toContain('<Expiration><Days>1</Days></Expiration><ID>ferry-expire-after-one-day</ID><Filter><Prefix></Prefix></Filter>');
      expect(run.stdout).toContain('"Condition":{"Bool":{"aws:SecureTransport":"false"}}');
      expect(run.stdout).toContain('DELETE https://ferry-files.s3.eu-west-1.amazonaws.com/?cors=');
      expect(run.stdout).not.toMatch(/^(authorization|x-amz-date|x-amz-content-sha256):/im);

      // With an endpoint given, print still sends nothing to it.
      const atEndpoint = await cli(['print', ...at(s3)]);
      expect(atEndpoint.code).toBe(0);
      expect(atEndpoint.stdout).toContain(`PUT ${s3.endpoint}/${BUCKET}/?lifecycle=`);
      expect(s3.requests).toHaveLength(0);
    });
  });

  it('apply configures the bucket (exit 0), and check then finds it in order (exit 0)', async () => {
    await withS3(async (s3) => {
      const apply = await cli(['apply', ...at(s3)], CREDENTIALS);
      expect(apply.stderr).toBe('');
      expect(apply.code).toBe(0);
      expect(apply.stdout.split('\n').filter((l) => l.startsWith('✓ ')).map((l) => l.split(':')[0])).toEqual([
        '✓ lifecycle',
        '✓ public-access-block',
        '✓ encryption',
        '✓ policy',
        '✓ cors',
      ]);
      expect(s3.requests.map((r) => `${r.method} ${r.subresource}`)).toEqual(['PUT lifecycle', 'PUT publicAccessBlock', 'PUT encryption', 'PUT policy', 'DELETE cors']);

      const check = await cli(['check', ...at(s3)], CREDENTIALS);
      expect(check.code).toBe(0);
      expect(check.stdout).toContain(`✓ bucket "${BUCKET}" (aws, whole bucket, ${s3.endpoint}) matches Ferry's configuration`);
    });
  });

  it('check exits 1 and lists each difference when the bucket drifted', async () => {
    await withS3(async (s3) => {
      s3.seed(BUCKET, 'lifecycle', '<LifecycleConfiguration><Rule><ID>ferry-expire-after-one-day</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule></LifecycleConfiguration>');
      s3.seed(BUCKET, 'encryption', '<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>');
      const run = await cli(['check', ...at(s3)], CREDENTIALS);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe(
        [
          `✗ bucket "${BUCKET}" (aws, whole bucket, ${s3.endpoint}) differs from Ferry's configuration in 3 ways:`,
          '  lifecycle: rule "ferry-expire-after-one-day" expires objects after 3 days, expected 1',
          '  public-access-block: no public access block on the bucket',
          '  policy: no bucket policy: requests without TLS are not refused',
          'run `npm run infra -- apply` with the same options to fix',
          '',
        ].join('\n'),
      );
    });
  });

  it('a missing bucket (404 NoSuchBucket) exits 4 with a clear message', async () => {
    await withS3(async (s3) => {
      const run = await cli(['check', '--bucket', 'absent-bucket', '--endpoint', s3.endpoint], CREDENTIALS);
      expect(run.code).toBe(4);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`error: bucket "absent-bucket" does not exist at ${s3.endpoint}: create it first, or check --bucket, --endpoint and --region\n`);
    });
  });

  it('AccessDenied (403) exits 5 and names what was being done', async () => {
    await withS3(async (s3) => {
      s3.answer('* *', s3Error(403, 'AccessDenied', 'Access Denied'));
      const run = await cli(['apply', ...at(s3)], CREDENTIALS);
      expect(run.code).toBe(5);
      expect(run.stderr).toContain(`error: access denied while trying to set the lifecycle configuration on bucket "${BUCKET}"`);
    });
  });

  it('missing credentials exit 3 before any request is sent', async () => {
    await withS3(async (s3) => {
      const run = await cli(['apply', ...at(s3)]);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('error: no S3 credentials found: set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
      expect(s3.requests).toHaveLength(0);
    });
  });

  it('on R2 applies lifecycle and CORS only and says what covers the rest', async () => {
    await withS3(async (s3) => {
      const run = await cli(['apply', ...at(s3), '--provider', 'r2', '--prefix', 'ferry/'], CREDENTIALS);
      expect(run.code).toBe(0);
      expect(s3.requests.map((r) => `${r.method} ${r.subresource}`)).toEqual(['PUT lifecycle', 'DELETE cors']);
      expect(s3.requests[0]!.body).toContain('<Filter><Prefix>ferry/</Prefix></Filter>');
      expect(run.stdout).toContain('R2 has no public access block');
    });
  });

  it('takes the CORS origins from FERRY_APPS (or --origin), and check reports when the apps gained one', async () => {
    await withS3(async (s3) => {
      const apps = (origins: string[]) => JSON.stringify([{ name: 'a', key: 'app-key', secret: 's'.repeat(32), origins }]);
      const run = await cli(['apply', ...at(s3), '--provider', 'r2'], { ...CREDENTIALS, FERRY_APPS: apps(['https://app.example']) });
      expect(run.code).toBe(0);
      expect(s3.requests.map((r) => `${r.method} ${r.subresource}`)).toEqual(['PUT lifecycle', 'PUT cors']);
      expect(s3.requests[1]!.body).toContain('<AllowedOrigin>https://app.example</AllowedOrigin>');
      const drift = await cli(['check', ...at(s3), '--provider', 'r2'], { ...CREDENTIALS, FERRY_APPS: apps(['https://app.example', 'https://new.example']) });
      expect(drift.code).toBe(1);
      expect(drift.stdout).toContain('  cors: origins https://new.example may not PUT: their pages cannot upload parts');
      const given = await cli(['check', ...at(s3), '--provider', 'r2', '--origin', 'https://app.example'], CREDENTIALS);
      expect(given.code).toBe(0);
      expect(given.stdout).toContain('lifecycle, CORS for 1 origin');
      const bad = await cli(['check', ...at(s3), '--origin', 'https://app.example/'], CREDENTIALS);
      expect(bad.code).toBe(2);
      expect(bad.stderr.split('\n')[0]).toBe('error: --origin "https://app.example/" must be an exact origin like https://app.example (no path, no trailing slash)');
    });
  });

  it('usage errors exit 2 with the usage text', async () => {
    const runs = await Promise.all([cli([]), cli(['apply']), cli(['destroy', '--bucket', BUCKET]), cli(['check', '--bucket', BUCKET, '--prefix', 'no-slash'])]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(runs.map((r) => r.stderr.split('\n')[0])).toEqual([
      'error: missing command',
      'error: missing --bucket (or S3_BUCKET)',
      'error: unknown command "destroy"',
      'error: --prefix "no-slash" must be empty or segments of [A-Za-z0-9._-] each ending in "/", like "ferry/"',
    ]);
    expect(runs[0]!.stderr).toContain('usage: npm run infra -- <print|apply|check>');
  });
});
