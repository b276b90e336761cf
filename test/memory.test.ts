// Memory per transfer is bounded by a constant, never by file size: a 1 GiB file goes up and
// comes back down through a real server process while we sample its resident set size. The
// baseline is taken after an 8 MiB and a 64 MiB round trip, so it holds the slack any transfer
// leaves (allocator arenas, the collector's headroom: +125 MiB over a cold server on Node 24.11
// in CI, 25 MiB short of the bound); what the 1 GiB adds on top is what grows with the size
// (measured +24 MiB on the filesystem, +52 MiB on S3, Node 24.11 and 26.12).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_APP, TEST_APPS, newBucket, s3Vars, testKey } from './helpers/targets.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { roundTripRss } from './helpers/transfer.js';

const GiB = 1024 ** 3;

async function measure(server: ServerProcess, key: string) {
  const { baseline, peak } = await roundTripRss(server.url, key, GiB, () => server.rssBytes(), [8 * 1024 * 1024, 64 * 1024 * 1024]);
  console.info(`RSS baseline ${(baseline / 2 ** 20).toFixed(0)} MiB, peak ${(peak / 2 ** 20).toFixed(0)} MiB`);
  return { baseline, peak };
}

describe('memory stays bounded for a 1 GiB file', () => {
  it('with the embedded filesystem store', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferry-mem-'));
    const server = await startServerProcess({ FERRY_DATA_DIR: dir, FERRY_KEYS: testKey() });
    try {
      const { baseline, peak } = await measure(server, 'dev');
      expect(peak - baseline).toBeLessThan(150 * 1024 * 1024);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with the S3 store', { timeout: 300_000 }, async () => {
    const { bucket, endpoint } = await newBucket();
    const server = await startServerProcess({ ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS });
    try {
      const { baseline, peak } = await measure(server, TEST_APP.key);
      expect(peak - baseline).toBeLessThan(150 * 1024 * 1024);
    } finally {
      await server.stop();
    }
  });
});
