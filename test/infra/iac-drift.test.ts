// The CloudFormation template and the Terraform module must describe the bucket apply configures.
// Each file is parsed (the Terraform module with HashiCorp's own HCL parser, compiled to wasm in
// @cdktf/hcl2json) and reduced to one shape — lifecycle days, multipart-abort days, SSE algorithm,
// public-access-block flags, the TLS-deny statement, CORS — which must equal the shape built from
// infra/bucket-spec.ts. The last tests feed edited copies through the same reduction to show a
// drift is caught.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import { corsConfiguration, encryptionConfiguration, lifecycleConfiguration, PUBLIC_ACCESS_BLOCK, tlsOnlyStatement } from '../../infra/bucket-spec.js';

const INFRA = join(import.meta.dirname, '../../infra');
// Stand-ins for what each file leaves to its parameters.
const BUCKET = '<bucket>';
const PREFIX = '<prefix>';
const ORIGINS = '<origins>';

interface Shape {
  lifecycle: { id: string; status: string; prefix: string; expirationDays: number; abortDays: number; extra: string[] }[];
  prefixDefault: string;
  publicAccessBlock: Record<string, boolean>;
  sse: { algorithm: string; kmsKey: boolean }[];
  policy: { sid: string; effect: string; principal: string; actions: string[]; resources: string[]; condition: string }[];
  /** The upload-parts rule, present when the origins parameter is not empty. */
  cors: { id: string; origins: string; methods: string[]; headers: string[]; expose: string[]; maxAge: number; onlyWithOrigins: boolean }[];
}

const sorted = (v: unknown) => (Array.isArray(v) ? v : [v]).map(String).sort();
const conditionKey = (operator: string, key: string, values: unknown) => `${operator}:${key}=${sorted(values).join(',')}`;

function specShape(): Shape {
  const rule = lifecycleConfiguration(PREFIX).Rules![0]!;
  const statement = tlsOnlyStatement(BUCKET);
  return {
    lifecycle: [
      {
        id: rule.ID!,
        status: rule.Status!,
        prefix: rule.Filter!.Prefix!,
        expirationDays: rule.Expiration!.Days!,
        abortDays: rule.AbortIncompleteMultipartUpload!.DaysAfterInitiation!,
        extra: [],
      },
    ],
    prefixDefault: '',
    publicAccessBlock: { ...PUBLIC_ACCESS_BLOCK },
    sse: encryptionConfiguration().Rules!.map((r) => ({ algorithm: r.ApplyServerSideEncryptionByDefault!.SSEAlgorithm!, kmsKey: false })),
    policy: [
      {
        sid: statement.Sid!,
        effect: statement.Effect,
        principal: JSON.stringify(statement.Principal),
        actions: sorted(statement.Action),
        resources: sorted(statement.Resource),
        condition: Object.entries(statement.Condition!)
          .flatMap(([op, keys]) => Object.entries(keys).map(([k, v]) => conditionKey(op, k, v)))
          .sort()
          .join(';'),
      },
    ],
    cors: corsConfiguration([ORIGINS])!.CORSRules!.map((r) => ({
      id: r.ID!,
      origins: r.AllowedOrigins!.join(),
      methods: sorted(r.AllowedMethods),
      headers: sorted(r.AllowedHeaders),
      expose: sorted(r.ExposeHeaders),
      maxAge: r.MaxAgeSeconds!,
      onlyWithOrigins: true,
    })),
  };
}

// --- CloudFormation --------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed templates of any shape
type Json = Record<string, any>;

function cloudFormationShape(template: Json): Shape {
  const resources = Object.entries(template.Resources as Record<string, Json>);
  const buckets = resources.filter(([, r]) => r.Type === 'AWS::S3::Bucket');
  expect(buckets, 'exactly one AWS::S3::Bucket').toHaveLength(1);
  const [bucketId, bucket] = buckets[0]!;
  const props = bucket.Properties as Json;
  expect(props.BucketName).toEqual({ Ref: 'BucketName' });

  const arnOf = (value: unknown): string => {
    if (JSON.stringify(value) === JSON.stringify({ 'Fn::GetAtt': [bucketId, 'Arn'] })) return `arn:aws:s3:::${BUCKET}`;
    const join = (value as Json)?.['Fn::Join'];
    if (join && join[0] === '') return (join[1] as unknown[]).map((part) => (typeof part === 'string' ? part : arnOf(part))).join('');
    if (typeof value === 'object' && value && 'Fn::Sub' in value) {
      return String((value as Json)['Fn::Sub']).replace(`\${${bucketId}.Arn}`, `arn:aws:s3:::${BUCKET}`);
    }
    return JSON.stringify(value);
  };
  const policies = resources.filter(([, r]) => r.Type === 'AWS::S3::BucketPolicy');
  for (const [, p] of policies) expect(p.Properties.Bucket).toEqual({ Ref: bucketId });

  return {
    lifecycle: (props.LifecycleConfiguration?.Rules ?? []).map((r: Json) => ({
      id: r.Id,
      status: r.Status,
      prefix: JSON.stringify(r.Prefix) === JSON.stringify({ Ref: 'Prefix' }) ? PREFIX : (r.Prefix ?? ''),
      expirationDays: r.ExpirationInDays,
      abortDays: r.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
      extra: Object.keys(r)
        .filter((k) => !['Id', 'Status', 'Prefix', 'ExpirationInDays', 'AbortIncompleteMultipartUpload'].includes(k))
        .sort(),
    })),
    prefixDefault: template.Parameters?.Prefix?.Default,
    publicAccessBlock: props.PublicAccessBlockConfiguration ?? {},
    sse: (props.BucketEncryption?.ServerSideEncryptionConfiguration ?? []).map((r: Json) => ({
      algorithm: r.ServerSideEncryptionByDefault?.SSEAlgorithm,
      kmsKey: r.ServerSideEncryptionByDefault?.KMSMasterKeyID !== undefined,
    })),
    policy: policies.flatMap(([, p]) =>
      (p.Properties.PolicyDocument.Statement as Json[]).map((s) => ({
        sid: s.Sid,
        effect: s.Effect,
        principal: JSON.stringify(s.Principal),
        actions: sorted(s.Action),
        resources: sorted((Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(arnOf)),
        condition: Object.entries(s.Condition ?? {})
          .flatMap(([op, keys]) => Object.entries(keys as Json).map(([k, v]) => conditionKey(op, k, v)))
          .sort()
          .join(';'),
      })),
    ),
    cors: cloudFormationCors(template, props.CorsConfiguration),
  };
}

function cloudFormationCors(template: Json, cors: Json | undefined): Shape['cors'] {
  if (cors === undefined) return [];
  const branch = cors['Fn::If'] as [string, Json, Json] | undefined;
  // Present exactly when the AllowedOrigins parameter is not empty.
  const condition = branch ? JSON.stringify(template.Conditions?.[branch[0]]) : '';
  const onlyWithOrigins =
    branch !== undefined &&
    JSON.stringify(branch[2]) === JSON.stringify({ Ref: 'AWS::NoValue' }) &&
    condition === JSON.stringify({ 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'AllowedOrigins' }] }, ''] }] }) &&
    template.Parameters?.AllowedOrigins?.Default === '';
  const rules = ((branch ? branch[1] : cors).CorsRules ?? []) as Json[];
  return rules.map((r) => ({
    id: r.Id,
    origins: JSON.stringify(r.AllowedOrigins) === JSON.stringify({ Ref: 'AllowedOrigins' }) ? ORIGINS : JSON.stringify(r.AllowedOrigins),
    methods: sorted(r.AllowedMethods ?? []),
    headers: sorted(r.AllowedHeaders ?? []),
    expose: sorted(r.ExposedHeaders ?? []),
    maxAge: r.MaxAge,
    onlyWithOrigins,
  }));
}

// --- Terraform -------------------------------------------------------------------------------

async function terraformShape(files: Record<string, string>): Promise<Shape> {
  const merged: Json = {};
  for (const [name, text] of Object.entries(files)) {
    const parsed = (await parseHcl(name, text)) as Json;
    for (const [kind, blocks] of Object.entries(parsed)) merged[kind] = { ...(merged[kind] ?? {}), ...(blocks as Json) };
  }
  const resources = (merged.resource ?? {}) as Record<string, Record<string, Json[]>>;
  const one = (type: string): Json | undefined => {
    const instances = Object.values(resources[type] ?? {});
    expect(instances.length, `at most one ${type}`).toBeLessThanOrEqual(1);
    return instances[0]?.[0];
  };
  const bucketNames = Object.keys(resources.aws_s3_bucket ?? {});
  expect(bucketNames, 'exactly one aws_s3_bucket').toHaveLength(1);
  const bucketRef = `aws_s3_bucket.${bucketNames[0]}`;
  const bucket = one('aws_s3_bucket')!;
  expect(bucket.bucket).toBe('${var.bucket_name}');

  const lifecycle = one('aws_s3_bucket_lifecycle_configuration');
  const pab = one('aws_s3_bucket_public_access_block');
  const sse = one('aws_s3_bucket_server_side_encryption_configuration');
  const policy = one('aws_s3_bucket_policy');
  for (const r of [lifecycle, pab, sse, policy]) expect(r?.bucket, 'every part configures the module’s bucket').toBe(`\${${bucketRef}.id}`);

  // The policy is an aws_iam_policy_document data source, referenced by the bucket policy.
  const documentRef = /^\$\{data\.aws_iam_policy_document\.(\w+)\.json\}$/.exec(policy?.policy ?? '');
  expect(documentRef, 'aws_s3_bucket_policy.policy = data.aws_iam_policy_document.<name>.json').not.toBeNull();
  const document = merged.data?.aws_iam_policy_document?.[documentRef![1]!]?.[0] as Json;
  const arn = (value: string) => value.replace(`\${${bucketRef}.arn}`, `arn:aws:s3:::${BUCKET}`);

  return {
    lifecycle: (lifecycle?.rule ?? []).map((r: Json) => ({
      id: r.id,
      status: r.status,
      prefix: r.filter?.[0]?.prefix === '${var.prefix}' ? PREFIX : (r.filter?.[0]?.prefix ?? ''),
      expirationDays: r.expiration?.[0]?.days,
      abortDays: r.abort_incomplete_multipart_upload?.[0]?.days_after_initiation,
      extra: [
        ...Object.keys(r).filter((k) => !['id', 'status', 'filter', 'expiration', 'abort_incomplete_multipart_upload'].includes(k)),
        ...Object.keys(r.filter?.[0] ?? {}).filter((k) => k !== 'prefix'),
        ...Object.keys(r.expiration?.[0] ?? {}).filter((k) => k !== 'days'),
      ].sort(),
    })),
    prefixDefault: merged.variable?.prefix?.[0]?.default,
    publicAccessBlock: Object.fromEntries(
      Object.keys(PUBLIC_ACCESS_BLOCK).map((flag) => [flag, pab?.[flag.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase()]]),
    ),
    sse: (sse?.rule ?? []).map((r: Json) => ({
      algorithm: r.apply_server_side_encryption_by_default?.[0]?.sse_algorithm,
      kmsKey: r.apply_server_side_encryption_by_default?.[0]?.kms_master_key_id !== undefined,
    })),
    policy: (document?.statement ?? []).map((s: Json) => {
      const principals = (s.principals ?? []) as Json[];
      const principal =
        principals.length === 1 && principals[0]!.type === '*' && sorted(principals[0]!.identifiers).join() === '*' ? '"*"' : JSON.stringify(principals);
      return {
        sid: s.sid,
        effect: s.effect ?? 'Allow',
        principal,
        actions: sorted(s.actions),
        resources: sorted((s.resources as string[]).map(arn)),
        condition: ((s.condition ?? []) as Json[])
          .map((c) => conditionKey(c.test, c.variable, c.values))
          .sort()
          .join(';'),
      };
    }),
    cors: terraformCors(merged, one('aws_s3_bucket_cors_configuration'), bucketRef, bucket),
  };
}

function terraformCors(merged: Json, cors: Json | undefined, bucketRef: string, bucket: Json): Shape['cors'] {
  if (bucket.cors_rule !== undefined) return [{ id: 'inline cors_rule on aws_s3_bucket', origins: '', methods: [], headers: [], expose: [], maxAge: 0, onlyWithOrigins: false }];
  if (!cors) return [];
  expect(cors.bucket, 'the CORS configuration is the module’s bucket’s').toBe(`\${${bucketRef}.id}`);
  const onlyWithOrigins = cors.count === '${length(var.cors_origins) > 0 ? 1 : 0}' && JSON.stringify(merged.variable?.cors_origins?.[0]?.default) === '[]';
  return ((cors.cors_rule ?? []) as Json[]).map((r) => ({
    id: r.id,
    origins: r.allowed_origins === '${var.cors_origins}' ? ORIGINS : JSON.stringify(r.allowed_origins),
    methods: sorted(r.allowed_methods ?? []),
    headers: sorted(r.allowed_headers ?? []),
    expose: sorted(r.expose_headers ?? []),
    maxAge: r.max_age_seconds,
    onlyWithOrigins,
  }));
}

const read = (path: string) => readFileSync(join(INFRA, path), 'utf8');
const terraformFiles = () => Object.fromEntries(['main.tf', 'variables.tf', 'outputs.tf'].map((f) => [f, read(`terraform/${f}`)]));

describe('infrastructure as code matches infra/bucket-spec.ts', () => {
  it('the spec shape is what apply writes (days 1 and 1, AES256, four flags, TLS deny, CORS: PUT with ETag exposed)', () => {
    expect(specShape()).toMatchObject({
      lifecycle: [{ expirationDays: 1, abortDays: 1, status: 'Enabled', prefix: PREFIX }],
      publicAccessBlock: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      sse: [{ algorithm: 'AES256', kmsKey: false }],
      policy: [{ effect: 'Deny', principal: '"*"', actions: ['s3:*'], condition: 'Bool:aws:SecureTransport=false' }],
      cors: [{ origins: ORIGINS, methods: ['PUT'], expose: ['ETag'], headers: ['content-type'], maxAge: 3600, onlyWithOrigins: true }],
    });
  });

  it('infra/cloudformation.json', () => {
    expect(cloudFormationShape(JSON.parse(read('cloudformation.json')))).toEqual(specShape());
  });

  it('infra/terraform (main.tf, variables.tf, outputs.tf)', async () => {
    expect(await terraformShape(terraformFiles())).toEqual(specShape());
  });

  it('catches a drifted CloudFormation template', () => {
    const edits: ((t: Json) => void)[] = [
      (t) => (t.Resources.Bucket.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays = 2),
      (t) => (t.Resources.Bucket.Properties.LifecycleConfiguration.Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation = 7),
      (t) => (t.Resources.Bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm = 'aws:kms'),
      (t) => (t.Resources.Bucket.Properties.PublicAccessBlockConfiguration.RestrictPublicBuckets = false),
      (t) => (t.Resources.BucketPolicy.Properties.PolicyDocument.Statement[0].Condition.Bool['aws:SecureTransport'] = 'true'),
      (t) => t.Resources.BucketPolicy.Properties.PolicyDocument.Statement[0].Resource.pop(),
      (t) => (t.Resources.Bucket.Properties.CorsConfiguration = { CorsRules: [] }),
      (t) => t.Resources.Bucket.Properties.CorsConfiguration['Fn::If'][1].CorsRules[0].ExposedHeaders.pop(),
      (t) => t.Resources.Bucket.Properties.CorsConfiguration['Fn::If'][1].CorsRules[0].AllowedMethods.push('GET'),
      (t) => (t.Resources.Bucket.Properties.CorsConfiguration['Fn::If'][1].CorsRules[0].AllowedOrigins = ['*']),
      (t) => (t.Parameters.AllowedOrigins.Default = 'https://app.example'),
      (t) => delete t.Resources.Bucket.Properties.CorsConfiguration,
      (t) => (t.Parameters.Prefix.Default = 'ferry/'),
    ];
    for (const edit of edits) {
      const template = JSON.parse(read('cloudformation.json'));
      edit(template);
      expect(cloudFormationShape(template), edit.toString()).not.toEqual(specShape());
    }
  });

  it('catches a drifted Terraform module', async () => {
    const edits: [string, string, string][] = [
      ['main.tf', 'days = 1', 'days = 2'],
      ['main.tf', 'days_after_initiation = 1', 'days_after_initiation = 7'],
      ['main.tf', 'sse_algorithm = "AES256"', 'sse_algorithm = "aws:kms"'],
      ['main.tf', 'ignore_public_acls      = true', 'ignore_public_acls      = false'],
      ['main.tf', 'values   = ["false"]', 'values   = ["true"]'],
      ['main.tf', 'type        = "*"', 'type        = "AWS"'],
      ['main.tf', 'prefix = var.prefix', 'prefix = "tmp/"'],
      ['variables.tf', 'default     = ""', 'default     = "ferry/"'],
      ['main.tf', 'expose_headers  = ["ETag"]', 'expose_headers  = []'],
      ['main.tf', 'allowed_methods = ["PUT"]', 'allowed_methods = ["PUT", "GET"]'],
      ['main.tf', 'allowed_origins = var.cors_origins', 'allowed_origins = ["*"]'],
      ['main.tf', 'count  = length(var.cors_origins) > 0 ? 1 : 0', 'count  = 1'],
      ['main.tf', 'resource "aws_s3_bucket_cors_configuration" "ferry"', 'resource "aws_s3_bucket_cors_configuration_unused" "ferry"'],
    ];
    for (const [file, from, to] of edits) {
      const files = terraformFiles();
      expect(files[file], `${file} contains ${from}`).toContain(from);
      files[file] = files[file]!.replace(from, to);
      expect(await terraformShape(files), `${from} → ${to}`).not.toEqual(specShape());
    }
  });
});
