// What only the Workers adapter does: refuse to run without its required settings, hold uploads
// to Cloudflare's request-body limit for the plan, and sweep expired files from a Cron Trigger.
// The HTTP contract itself runs against workerd in the shared suite (test/api).
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { CLOUDFLARE_PLANS, buildFerry } from '../../src/worker.js';
import { R2Store } from '../../src/store/r2-store.js';
import { S3Store } from '../../src/store/s3-store.js';
import { TEST_APP, TEST_APPS, newBucket, s3Client, s3Vars, testKey } from '../helpers/targets.js';
import { startWorkerd, type RunningWorker } from './workerd.js';

const KEY = TEST_APP.key;

/** A complete, valid Workers configuration (the S3 settings are never contacted here). */
function validEnv(): Record<string, string> {
  return {
    ...s3Vars('ferry-files', 'http://127.0.0.1:9'),
    FERRY_KEYS: testKey(),
    FERRY_APPS: TEST_APPS,
  };
}

async function configErrorOf(env: Record<string, string | undefined>): Promise<ConfigError> {
  try {
    await buildFerry(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  expect.fail('buildFerry accepted the configuration');
}

/**
 * Sends the headers of an upload declaring `declared` bytes, then only `sent` bytes, and
 * resolves with the response the server gives before the body is complete.
 */
function declareUpload(url: string, path: string, declared: number, sent: number, method = 'POST') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const u = new URL(path, url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: { 'content-length': String(declared) } });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no response before the body was complete'));
    }, 10_000);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode!, body });
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.write(new Uint8Array(sent));
  });
}

describe('Workers configuration', () => {
  it('refuses to build without the settings Workers need, naming the variable', async () => {
    const cases: [string, Record<string, string | undefined>][] = [
      ['FERRY_BUCKET', { S3_BUCKET: undefined, S3_ENDPOINT: undefined, S3_ACCESS_KEY_ID: undefined, S3_SECRET_ACCESS_KEY: undefined }],
      ['S3_ACCESS_KEY_ID', { S3_ACCESS_KEY_ID: undefined, S3_SECRET_ACCESS_KEY: undefined }],
      ['FERRY_KEYS', { FERRY_KEYS: undefined }],
      ['FERRY_KEYS', { FERRY_KEYS: 'test:not-a-key' }],
      ['FERRY_APPS', { FERRY_APPS: undefined }],
      ['FERRY_APPS', { FERRY_APPS: '@apps.json' }],
      ['FERRY_CF_PLAN', { FERRY_CF_PLAN: 'gold' }],
    ];
    for (const [variable, change] of cases) {
      const error = await configErrorOf({ ...validEnv(), ...change });
      expect(error.variable, JSON.stringify(change)).toBe(variable);
      expect(error.message.startsWith(`${variable}: `)).toBe(true);
    }
    // The keys themselves never appear in an error.
    const env = { ...validEnv(), FERRY_KEYS: `a:${'A'.repeat(43)}=,b:short` };
    expect((await configErrorOf(env)).message).not.toContain('A'.repeat(43));
  });

  it('builds on the R2 binding with no S3 setting at all, and names what is wrong around it', async () => {
    // Shaped like a binding, for configuration only: nothing here is stored (the workerd+r2 target
    // runs the real binding on Miniflare's R2).
    const binding = { put: () => {}, createMultipartUpload: () => {} };
    const base = { FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS };
    const ferry = await buildFerry({ ...base, FERRY_BUCKET: binding } as never);
    expect(ferry.store).toBeInstanceOf(R2Store);
    expect(ferry.store.presignPart).toBeUndefined();
    expect(await ferry.checkLifecycle()).toBeNull();
    // An R2 token pair beside the binding: part URLs are presigned through R2's S3 API.
    const withApi = await buildFerry({ ...base, ...s3Vars('ferry-files', 'http://127.0.0.1:9'), FERRY_BUCKET: binding } as never);
    expect(withApi.store).toBeInstanceOf(R2Store);
    expect(typeof withApi.store.presignPart).toBe('function');
    const url = await withApi.store.presignPart!('apps/test/f', 'upload-1', 3, { expiresInSeconds: 60, size: 5 });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:9\/ferry-files\/apps\/test\/f\?.*partNumber=3.*uploadId=upload-1/);
    for (const [variable, env] of [
      ['FERRY_BUCKET', { ...base, FERRY_BUCKET: 'a string var, not a binding' }],
      ['S3_ACCESS_KEY_ID', { ...base, S3_BUCKET: 'ferry-files', FERRY_BUCKET: binding }],
    ] as const) {
      const error = await configErrorOf(env as never);
      expect(error.variable).toBe(variable);
      expect(error.message.split('\n')).toHaveLength(1);
    }
  });

  it('lets files be larger than the plan’s request-body limit (upload sessions send no body through the Worker)', async () => {
    // The plan caps streaming uploads (the 413 tests below); files default to Node's 10 GiB.
    expect((await buildFerry(validEnv())).config.maxFileBytes).toBe(10 * 1024 ** 3);
    for (const plan of Object.keys(CLOUDFLARE_PLANS)) {
      expect((await buildFerry({ ...validEnv(), FERRY_CF_PLAN: plan.toUpperCase(), FERRY_MAX_FILE_BYTES: '6000000000' })).config.maxFileBytes, plan).toBe(6_000_000_000);
    }
    expect(CLOUDFLARE_PLANS.business.bytes).toBe(200_000_000);
    expect(CLOUDFLARE_PLANS.enterprise.bytes).toBe(500_000_000);
    expect((await buildFerry({ ...validEnv(), FERRY_MAX_FILE_BYTES: '5000' })).config.maxFileBytes).toBe(5000);
  });

  it('answers every request with a 500 naming the missing variable in workerd, and logs it', async () => {
    // Neither the R2 binding nor S3_BUCKET: a deploy without its bucket must say what to set.
    const noBucket = await startWorkerd({ FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS });
    const noKeys = await startWorkerd({ ...s3Vars('ferry-files', 'http://127.0.0.1:9'), FERRY_APPS: TEST_APPS });
    try {
      for (const [worker, variable] of [[noBucket, 'FERRY_BUCKET'], [noKeys, 'FERRY_KEYS']] as const) {
        for (const [path, init] of [['/healthz', {}], [`/v1/files?key=${KEY}&filename=a`, { method: 'POST', body: 'x' }]] as const) {
          const res = await fetch(`${worker.url}${path}`, init);
          expect(res.status, `${variable} ${path}`).toBe(500);
          const body = (await res.json()) as { error: { code: string; message: string } };
          expect(body.error.code).toBe('internal_error');
          expect(body.error.message).toContain(`${variable}: `);
        }
        expect(worker.output()).toContain(`ferry: ${variable}: `);
      }
    } finally {
      await Promise.all([noBucket.dispose(), noKeys.dispose()]);
    }
  });
});

describe('Cloudflare request-body limits in workerd', () => {
  let bucket: string;
  let store: S3Store;
  let client: ReturnType<typeof s3Client>;
  let free: RunningWorker;
  let business: RunningWorker;
  let small: RunningWorker;

  beforeAll(async () => {
    const b = await newBucket();
    bucket = b.bucket;
    client = s3Client(b.endpoint);
    store = new S3Store({ client, bucket });
    const base = { ...s3Vars(bucket, b.endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS };
    [free, business, small] = await Promise.all([
      startWorkerd(base), // FERRY_CF_PLAN = "free" from wrangler.toml
      startWorkerd({ ...base, FERRY_CF_PLAN: 'business' }),
      startWorkerd({ ...base, FERRY_MAX_FILE_BYTES: '1000' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([free, business, small].map((w) => w?.dispose()));
    client?.destroy();
  });

  async function stored(): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    return keys;
  }

  it('answers a declared length over the plan’s limit with a 413 naming the plan, before the body arrives', async () => {
    // Only 64 KiB of the declared body is ever sent: the answer must come from the declared length.
    const cases: [RunningWorker, number, string, string][] = [
      [free, 100_000_001, "Cloudflare's Free plan", '100000000'],
      [business, 200_000_001, "Cloudflare's Business plan", '200000000'],
    ];
    for (const [worker, declared, plan, limit] of cases) {
      for (const [method, path] of [['POST', `/v1/files?key=${KEY}&filename=big.bin`], ['PUT', `/v1/files/big.bin?key=${KEY}`]]) {
        const res = await declareUpload(worker.url, path, declared, 64 * 1024, method);
        expect(res.status, `${plan} ${method}`).toBe(413);
        const { error } = JSON.parse(res.body) as { error: { code: string; message: string } };
        expect(error.code).toBe('file_too_large');
        expect(error.message).toContain(plan);
        expect(error.message).toContain(limit);
      }
    }
    expect(await stored()).toEqual([]);
  });

  it('names the configured limit, not the plan, when FERRY_MAX_FILE_BYTES is lower', async () => {
    const res = await fetch(`${small.url}/v1/files?key=${KEY}&filename=a.bin`, { method: 'POST', body: new Uint8Array(1001) });
    expect(res.status).toBe(413);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('file_too_large');
    expect(error.message).toContain('1000 bytes');
    expect(error.message).not.toContain('Cloudflare');
    const ok = await fetch(`${small.url}/v1/files?key=${KEY}&filename=a.bin`, { method: 'POST', body: new Uint8Array(1000) });
    expect(ok.status).toBe(201);
  });
});

describe('Cron Trigger in workerd', () => {
  it('deletes expired files, keeps the others, and checks the lifecycle rule', async () => {
    const { bucket, endpoint } = await newBucket();
    const client = s3Client(endpoint);
    const store = new S3Store({ client, bucket });
    const worker = await startWorkerd({ ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS });
    try {
      const upload = async (ttl: number) => {
        const res = await fetch(`${worker.url}/v1/files?key=${KEY}&filename=a.txt&ttl=${ttl}`, { method: 'POST', body: 'hello' });
        expect(res.status).toBe(201);
        return (await res.json()) as { handle: string; expiresAt: string };
      };
      const idOf = (handle: string) => Buffer.from(handle, 'base64url').subarray(0, 16).toString('hex');
      const keysOf = async () => {
        const keys: string[] = [];
        for await (const o of store.list('')) keys.push(o.key);
        return keys;
      };
      const [soon, later] = await Promise.all([upload(1), upload(3600)]);
      expect((await keysOf()).filter((k) => k.includes(idOf(soon.handle)))).toHaveLength(1); // one object per file (v2)
      await new Promise((r) => setTimeout(r, 1100 + Date.parse(soon.expiresAt) - Date.now()));
      await worker.scheduled();
      const left = await keysOf();
      expect(left.filter((k) => k.includes(idOf(soon.handle)))).toEqual([]);
      expect(left.filter((k) => k.includes(idOf(later.handle)))).toHaveLength(1);
      // The same run checks the bucket's lifecycle rule, as Node does at start-up (s3rver has none).
      for (let i = 0; i < 40 && !/does not support lifecycle rules/.test(worker.output()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(worker.output()).toMatch(/ferry: warning: .*does not support lifecycle rules/);
    } finally {
      await worker.dispose();
      client.destroy();
    }
  });

  it('on the R2 binding, deletes expired files and aborts expired uploads in parts', async () => {
    const worker = await startWorkerd({ FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS }, { r2: true });
    try {
      const store = new R2Store({ bucket: await worker.bucket() });
      const res = await fetch(`${worker.url}/v1/files?key=${KEY}&filename=a.txt&ttl=1`, { method: 'POST', body: 'hello' });
      expect(res.status).toBe(201);
      const soon = (await res.json()) as { expiresAt: string };
      const kept = await fetch(`${worker.url}/v1/files?key=${KEY}&filename=b.txt&ttl=3600`, { method: 'POST', body: 'hello' });
      expect(kept.status).toBe(201);
      const stale = await store.createMultipart('apps/test/stale', { expiresAt: new Date(Date.now() + 500) });
      await store.putPart('apps/test/stale', stale, 1, new Blob(['abc']).stream(), { size: 3 });
      await new Promise((r) => setTimeout(r, 1100 + Date.parse(soon.expiresAt) - Date.now()));
      await worker.scheduled();
      const left: string[] = [];
      for await (const o of store.list('')) left.push(o.key);
      expect(left).toHaveLength(1);
      const pending: string[] = [];
      for await (const u of store.listMultipart('')) pending.push(u.uploadId);
      expect(pending).toEqual([]);
      // The binding cannot read lifecycle rules: no warning is made up.
      expect(worker.output()).not.toMatch(/ferry: warning/);
    } finally {
      await worker.dispose();
    }
  });
});
