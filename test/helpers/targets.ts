// The places the shared HTTP suite runs against. Each target is a real server on loopback
// plus a view of its backing store, so tests can check what was (and was not) stored and
// damage objects on purpose. Node serves with each store; workerd runs src/worker.ts (the
// Cloudflare Workers build, from wrangler.toml) against the same loopback S3 server.
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { startFerry } from '../../src/node.js';
import { DECOY_KEY } from '../../src/files.js';
import { startWorkerd } from '../edge/workerd.js';
import { createS3Client } from '../../src/store/s3-client.js';
import { FsStore } from '../../src/store/fs-store.js';
import { S3Store } from '../../src/store/s3-store.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { R2Store } from '../../src/store/r2-store.js';

export interface Target {
  name: string;
  url: string;
  /** The backing store, seen directly (not through Ferry). */
  store: ObjectStore;
  /** Everything physically present in the backend, temp files and pending uploads included. */
  residue(): Promise<string[]>;
  close(): Promise<void>;
}

export type TargetFactory = (env?: Record<string, string>) => Promise<Target>;

/** The apps every target runs with (FERRY_APPS); tests may pass their own instead. */
export const TEST_APP = {
  name: 'test',
  key: 'test-key',
  secret: 'test-secret-0123456789abcdef',
  origins: ['http://app.test'],
};
export const OTHER_APP = {
  name: 'other',
  key: 'other-key',
  secret: 'other-secret-0123456789abcdef',
  origins: ['http://other.test'],
};
/** An app that signs everything, the way a locked-down production app would. */
export const SIGNED_APP = {
  name: 'signed',
  key: 'signed-key',
  secret: 'signed-secret-0123456789abcdef',
  origins: ['https://signed.test'],
  requireSignature: ['store', 'read', 'remove', 'pick'],
};
export const TEST_APPS = JSON.stringify([TEST_APP, OTHER_APP, SIGNED_APP]);

export function testKey(kid = 'test'): string {
  return `${kid}:${randomBytes(32).toString('base64')}`;
}

const quiet = () => {};

export const nodeFs: TargetFactory = async (env = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-fs-'));
  const ferry = await startFerry(
    { PORT: '0', HOST: '127.0.0.1', FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, ...env },
    { log: quiet, requestLog: quiet },
  );
  const store = new FsStore(dir);
  return {
    name: 'node+fs',
    url: ferry.url,
    store,
    // The decoy (src/files.ts) is Ferry's own fixture, written on first need: not a residue.
    residue: async () => (await listTree(join(dir, 'objects'))).filter((k) => !k.startsWith(DECOY_KEY)),
    close: async () => {
      await ferry.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

let bucketCounter = 0;
export async function newBucket(): Promise<{ bucket: string; endpoint: string }> {
  const endpoint = inject('s3Endpoint');
  const bucket = `t-${process.pid}-${Date.now().toString(36)}-${bucketCounter++}`;
  const client = s3Client(endpoint);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return { bucket, endpoint };
}

export function s3Client(endpoint: string) {
  return createS3Client({ endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
}

/** The S3 variables that point a server at a bucket of the loopback s3rver. */
export function s3Vars(bucket: string, endpoint: string): Record<string, string> {
  return {
    S3_BUCKET: bucket,
    S3_ENDPOINT: endpoint,
    S3_REGION: 'us-east-1',
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
  };
}

/** A server over a bucket of the loopback s3rver, with the bucket seen directly beside it. */
function s3Target(name: string, server: { url: string; close(): Promise<void> }, bucket: string, endpoint: string): Target {
  const client = s3Client(endpoint);
  const store = new S3Store({ client, bucket });
  return {
    name,
    url: server.url,
    store,
    residue: async () => {
      const keys: string[] = [];
      for await (const o of store.list('')) if (o.key !== DECOY_KEY) keys.push(o.key);
      return keys;
    },
    close: async () => {
      await server.close();
      client.destroy();
    },
  };
}

export const nodeS3: TargetFactory = async (env = {}) => {
  const { bucket, endpoint } = await newBucket();
  const ferry = await startFerry(
    { PORT: '0', HOST: '127.0.0.1', ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, ...env },
    { log: quiet, requestLog: quiet },
  );
  return s3Target('node+s3', ferry, bucket, endpoint);
};

export const workerdS3: TargetFactory = async (env = {}) => {
  const { bucket, endpoint } = await newBucket();
  const worker = await startWorkerd({ ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, ...env });
  return s3Target('workerd+s3', { url: worker.url, close: () => worker.dispose() }, bucket, endpoint);
};

/**
 * Ferry's Worker on its R2 binding (Miniflare's local R2), with no S3 setting at all. The test
 * sees the bucket through Miniflare's getR2Bucket, with the same R2Store on it (run from Node).
 */
export const workerdR2: TargetFactory = async (env = {}) => {
  const worker = await startWorkerd({ FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, ...env }, { r2: true });
  const bucket = await worker.bucket();
  const store = new R2Store({ bucket });
  return {
    name: 'workerd+r2',
    url: worker.url,
    store,
    // Objects and the store's ledger of uploads in parts (the binding cannot list uploads).
    residue: async () => {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ ...(cursor ? { cursor } : {}) });
        // The decoy (src/files.ts) is Ferry's own fixture, not a residue.
        keys.push(...page.objects.map((o) => o.key).filter((k) => k !== DECOY_KEY));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return keys;
    },
    close: () => worker.dispose(),
  };
};

export const targets: [string, TargetFactory][] = [
  ['node+fs', nodeFs],
  ['node+s3', nodeS3],
  ['workerd+s3', workerdS3],
  ['workerd+r2', workerdR2],
];

async function listTree(root: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
