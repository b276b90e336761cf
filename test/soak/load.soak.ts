// The load the issue names: 50 concurrent 64 MiB uploads, then 50 downloads, through each store,
// byte-exact, zero errors, peak RSS (VmHWM) bounded for the configured upload concurrency (the
// default, 16: the other 34 clients are turned away with 429 and retry). 6.4 GiB of traffic per
// store, which is why this is in `npm run soak` and npm test runs 12 × 8 MiB.
// FERRY_LOAD_CLIENTS and FERRY_LOAD_MIB change the shape.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_APP, TEST_APPS, newBucket, s3Vars, testKey } from '../helpers/targets.js';
import { MiB } from '../faults/harness.js';
import { describeLoad, runLoad } from '../faults/load.js';

const clients = Number(process.env.FERRY_LOAD_CLIENTS ?? 50);
const size = Number(process.env.FERRY_LOAD_MIB ?? 64) * MiB;
const concurrency = 16;
/** 16 uploads in flight: on S3 two 8 MiB parts each (lib-storage), on the filesystem much less. */
const BOUND = { fs: 256 * MiB, s3: 512 * MiB };

describe(`load: ${clients} concurrent uploads of ${size / MiB} MiB, then downloads`, () => {
  it('through the embedded filesystem store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-load-'));
    try {
      const r = await runLoad({ clients, size, concurrency, key: TEST_APP.key, env: { FERRY_DATA_DIR: dir, FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS } });
      console.info(`[load] ${describeLoad('fs', r)}`);
      expect(r.errors).toEqual([]);
      expect(r.peakRss - r.baselineRss).toBeLessThan(BOUND.fs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('through S3 (s3rver)', async () => {
    const { bucket, endpoint } = await newBucket();
    const r = await runLoad({ clients, size, concurrency, key: TEST_APP.key, env: { ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS } });
    console.info(`[load] ${describeLoad('s3', r)}`);
    expect(r.errors).toEqual([]);
    expect(r.peakRss - r.baselineRss).toBeLessThan(BOUND.s3);
  });
});
