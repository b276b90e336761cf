// In workerd too, memory per transfer is bounded by a constant, never by file size: a 256 MiB
// file (twice a Worker's 128 MB memory limit) goes up and comes back down through the Worker
// while we sample the resident set size of the workerd process.
import { readFileSync, readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { TEST_APP, TEST_APPS, newBucket, s3Vars, testKey } from '../helpers/targets.js';
import { roundTripRss, rssBytes } from '../helpers/transfer.js';
import { startWorkerd } from './workerd.js';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;

/** The workerd processes this test process started (Miniflare spawns them as children). */
function workerdPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat)!;
        return comm === 'workerd' && Number(rest!.split(' ')[1]) === process.pid;
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

it.runIf(process.platform === 'linux')('streams a 256 MiB file up and down through workerd in bounded memory', async () => {
  const { bucket, endpoint } = await newBucket();
  // Enterprise: a 500 MB request-body limit, so 256 MiB is allowed.
  const worker = await startWorkerd({ ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS, FERRY_CF_PLAN: 'enterprise' });
  try {
    const [pid] = workerdPids();
    expect(pid).toBeDefined();
    // Two warm-ups, the second large: the V8 heap and allocator must grow to their working size
    // before the baseline (workerd's RSS keeps freed garbage for a while).
    const { baseline, peak } = await roundTripRss(worker.url, TEST_APP.key, SIZE, () => rssBytes(pid!), [8 * MiB, 64 * MiB]);
    console.info(`workerd RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB`);
    // Measured here: 70–85 MiB of growth, nearly all of it garbage V8 has not collected yet (the
    // live set is two 8 MiB S3 parts in flight, the part being filled, and 16 KiB chunks). A Worker
    // that held the body whole would grow by the file's size or more. RSS is the whole process, not
    // the isolate's heap that Cloudflare's 128 MB limit counts; workerd exposes no heap figure.
    expect(peak - baseline).toBeLessThan(SIZE / 2);
  } finally {
    await worker.dispose();
  }
});
