// src/store/lifecycle-check.ts against the recording endpoint: the GET it sends, what it makes
// of the lifecycle documents S3 answers with, and that it never throws or hangs start-up.
import { S3Client } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lifecycleConfiguration } from '../../infra/bucket-spec.js';
import { checkLifecycle, inspectLifecycle, shortestExpiry } from '../../src/store/lifecycle-check.js';
import { s3Error, signatureIsValid, startRecordingS3, type RecordingS3 } from './recording-s3.js';

const BUCKET = 'ferry-test';
let s3: RecordingS3;
let client: S3Client;

beforeEach(async () => {
  s3 = await startRecordingS3([BUCKET]);
  // The settings Ferry's own client uses (see NOTES.md).
  client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
});
afterEach(async () => {
  client.destroy();
  await s3.close();
});

const rule = (inner: string) => `<Rule>${inner}</Rule>`;
const lifecycle = (...rules: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules.join('')}</LifecycleConfiguration>`;
const expiring = (days: number, prefix = '', status = 'Enabled') =>
  rule(`<ID>r${days}-${prefix}</ID><Filter><Prefix>${prefix}</Prefix></Filter><Status>${status}</Status><Expiration><Days>${days}</Days></Expiration>`);

describe('checkLifecycle', () => {
  it('returns null for the rule apply writes, after one signed GET ?lifecycle', async () => {
    s3.seed(BUCKET, 'lifecycle', lifecycle(expiring(1)));
    expect(await checkLifecycle(client, BUCKET)).toBeNull();
    expect(s3.requests).toHaveLength(1);
    const [request] = s3.requests;
    expect(`${request!.method} ${request!.path}?${request!.query}`).toBe('GET /ferry-test/?lifecycle=');
    expect(request!.body).toBe('');
    expect(signatureIsValid(request!, 'secret')).toBe(true);
  });

  it('warns when the bucket has no lifecycle configuration', async () => {
    const warning = await checkLifecycle(client, BUCKET);
    expect(warning).toBe(
      'warning: S3 bucket "ferry-test" has no lifecycle configuration: files are not deleted by the bucket after 1 day; ' +
        "run `npm run infra -- apply --bucket ferry-test`; until then only Ferry's own expiry and sweeper remove stored files",
    );
  });

  it('warns when the rule keeps files longer than a day', async () => {
    s3.seed(BUCKET, 'lifecycle', lifecycle(expiring(7)));
    expect(await checkLifecycle(client, BUCKET)).toMatch(/^warning: S3 bucket "ferry-test" deletes files after 7 days, not 1: /);
  });

  it('takes the shortest of several covering rules', async () => {
    s3.seed(BUCKET, 'lifecycle', lifecycle(expiring(30), expiring(1, 'a/'), expiring(3, 'a/')));
    expect(await checkLifecycle(client, BUCKET, 'a/app1/')).toBeNull();
    expect(await checkLifecycle(client, BUCKET, 'b/')).toMatch(/deletes files after 30 days, not 1/);
    expect(await checkLifecycle(client, BUCKET)).toMatch(/deletes files after 30 days/);
  });

  it('ignores disabled rules, rules for other prefixes, and tag or size filters', async () => {
    s3.seed(
      BUCKET,
      'lifecycle',
      lifecycle(
        expiring(1, '', 'Disabled'),
        expiring(1, 'other/'),
        rule(`<ID>tagged</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`),
        rule(`<ID>and</ID><Filter><And><Prefix></Prefix><ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`),
        rule(`<ID>abort-only</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`),
      ),
    );
    expect(await checkLifecycle(client, BUCKET, 'ferry/')).toBe(
      'warning: S3 bucket "ferry-test" (prefix "ferry/") has no enabled lifecycle rule that expires every object under "ferry/": files are not deleted by the bucket after 1 day; ' +
        "run `npm run infra -- apply --bucket ferry-test --prefix ferry/`; until then only Ferry's own expiry and sweeper remove stored files",
    );
  });

  it('understands the legacy rule-level <Prefix>, an empty <Filter/>, and <And> with a prefix only', async () => {
    for (const document of [
      lifecycle(rule('<ID>legacy</ID><Prefix></Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>')),
      lifecycle(rule('<ID>empty</ID><Filter></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>')),
      lifecycle(rule('<ID>and</ID><Filter><And><Prefix>a/</Prefix></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>')),
    ]) {
      s3.seed(BUCKET, 'lifecycle', document);
      expect(await checkLifecycle(client, BUCKET, 'a/x/'), document).toBeNull();
    }
  });

  it('returns null and passes a note when it may not read the configuration (AccessDenied)', async () => {
    s3.answer('GET lifecycle', s3Error(403, 'AccessDenied', 'Access Denied'));
    const notes: string[] = [];
    expect(await checkLifecycle(client, BUCKET, '', { onUnchecked: (note) => notes.push(note) })).toBeNull();
    expect(notes).toEqual(['note: could not check the lifecycle of S3 bucket "ferry-test": AccessDenied (grant s3:GetLifecycleConfiguration to check it at start-up)']);
    // Without a callback it stays silent, and still does not throw.
    expect(await checkLifecycle(client, BUCKET)).toBeNull();
  });

  it('warns when the server has no lifecycle support at all (501 NotImplemented)', async () => {
    s3.answer('GET lifecycle', s3Error(501, 'NotImplemented'));
    expect(await checkLifecycle(client, BUCKET)).toMatch(/^warning: the S3 endpoint of S3 bucket "ferry-test" does not support lifecycle rules \(NotImplemented\)/);
  });

  it('warns when the bucket does not exist', async () => {
    expect(await checkLifecycle(client, 'no-such-bucket')).toBe('warning: S3 bucket "no-such-bucket" does not exist (NoSuchBucket), so it has no lifecycle rule either');
  });

  it('gives up after the timeout instead of holding start-up', async () => {
    s3.answer('GET lifecycle', { status: 200, hang: true });
    const notes: string[] = [];
    const started = Date.now();
    expect(await checkLifecycle(client, BUCKET, '', { timeoutMs: 200, onUnchecked: (n) => notes.push(n) })).toBeNull();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(notes).toEqual(['note: could not check the lifecycle of S3 bucket "ferry-test": timed out']);
  });

  it('reports an unreachable endpoint as unchecked, never as a throw', async () => {
    await s3.close();
    const result = await inspectLifecycle(client, BUCKET, '', 2000);
    expect(result.state).toBe('unchecked');
  });
});

describe('shortestExpiry and bucket-spec agree', () => {
  it('the configuration apply writes satisfies the start-up check, for any prefix under it', () => {
    expect(shortestExpiry(lifecycleConfiguration('').Rules!, '')).toBe(1);
    expect(shortestExpiry(lifecycleConfiguration('').Rules!, 'a/app/')).toBe(1);
    expect(shortestExpiry(lifecycleConfiguration('ferry/').Rules!, 'ferry/a/app/')).toBe(1);
    expect(shortestExpiry(lifecycleConfiguration('ferry/').Rules!, 'other/')).toBeNull();
  });
});
