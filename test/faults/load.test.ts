// Load to hold, at the size CI can afford on two cores: 12 clients × 8 MiB at once through each
// store, every byte checked, zero errors, and the server's peak RSS bounded by a constant for
// the configured upload concurrency (4 here, so 8 of the 12 are turned away with 429 at first and
// retry). The 50 × 64 MiB version runs in `npm run soak` (test/soak/load.soak.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_APP, TEST_APPS, newBucket, s3Vars, testKey } from '../helpers/targets.js';
import { MiB } from './harness.js';
import { describeLoad, runLoad } from './load.js';

/**
 * What the server may hold beyond its baseline with 4 uploads in flight and 12 downloads: on S3
 * an upload buffers up to two 8 MiB parts (lib-storage's queue), on the filesystem far less;
 * downloads hold one 256 KiB read and a socket buffer each. Generous for GC timing, and far
 * below the 96 MiB the files add up to.
 */
const BOUND = { fs: 96 * MiB, s3: 160 * MiB };

describe('load: 12 concurrent 8 MiB uploads, then downloads', () => {
  it('through the embedded filesystem store', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-load-'));
    try {
      const r = await runLoad({ clients: 12, size: 8 * MiB, concurrency: 4, key: TEST_APP.key, env: { FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS } });
      console.info(`[load] ${describeLoad('fs', r)}`);
      expect(r.errors).toEqual([]);
      expect(r.peakRss - r.baselineRss).toBeLessThan(BOUND.fs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('through S3 (s3rver)', { timeout: 240_000 }, async () => {
    const { bucket, endpoint } = await newBucket();
    const r = await runLoad({ clients: 12, size: 8 * MiB, concurrency: 4, key: TEST_APP.key, env: { ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS } });
    console.info(`[load] ${describeLoad('s3', r)}`);
    expect(r.errors).toEqual([]);
    expect(r.peakRss - r.baselineRss).toBeLessThan(BOUND.s3);
  });
});
