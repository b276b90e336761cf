// Memory per tus upload is a constant, not the file's size: tus-js-client sends 64 MiB, then
// 512 MiB, from a file, each as one PATCH, to a real server process over S3 (s3rver) while we
// sample its resident set. At most four 5 MiB part buffers (and the store's copy of each part in
// flight) are alive; the rest is the runtime's garbage-collection slack, which varies with load
// (seen: +9 MiB alone, +43 MiB beside other suites) but does not grow with the size.
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Upload } from 'tus-js-client';
import { expect, it } from 'vitest';
import { TEST_APP, TEST_APPS, newBucket, s3Vars, testKey } from '../helpers/targets.js';
import { startServerProcess } from '../helpers/server-process.js';

const MiB = 1024 * 1024;

it('keeps the peak flat from a 64 MiB to a 512 MiB tus upload', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-tus-mem-'));
  const path = join(dir, 'big.bin');
  const out = createWriteStream(path);
  for (let o = 0; o < 512 * MiB; o += 4 * MiB) {
    if (!out.write(randomBytes(4 * MiB))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  const { bucket, endpoint } = await newBucket();
  const server = await startServerProcess({ ...s3Vars(bucket, endpoint), FERRY_KEYS: testKey(), FERRY_APPS: TEST_APPS });
  try {
    // Warm up (first request, code paths loaded), then measure from there.
    await fetch(`${server.url}/healthz`);
    const baseline = server.rssBytes();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, server.rssBytes())), 25);
    const peaks: number[] = [];
    try {
      for (const size of [64 * MiB, 512 * MiB]) {
        await new Promise<void>((resolve, reject) => {
          new Upload(createReadStream(path, { end: size - 1 }), {
            endpoint: `${server.url}/v1/tus?key=${TEST_APP.key}`,
            uploadSize: size,
            metadata: { filename: 'big.bin' },
            onError: reject,
            onSuccess: () => resolve(),
          }).start();
        });
        peaks.push(peak);
      }
    } finally {
      clearInterval(sampler);
    }
    console.info(`tus RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${peaks.map((p) => (p / MiB).toFixed(0)).join(' MiB (64 MiB), ')} MiB (512 MiB)`);
    // No growth with the size is the claim: 8 times the data may add less than one 64 MiB
    // upload's worth (measured: +12 to +37 MiB). The absolute bound only catches a constant gone
    // wrong, so it leaves room for the slack: measured +115 to +152 MiB above the baseline at
    // 512 MiB (Node 24.11 and 26.12, alone and beside other suites; +152 failed a CI run under
    // the old 150 MiB bound), of which the parts in flight and their copies are about 40 MiB and
    // the rest is what the allocator and the collector keep once a 64 MiB upload has passed.
    expect(peaks[1]! - baseline).toBeLessThan(200 * MiB);
    expect(peaks[1]! - peaks[0]!).toBeLessThan(64 * MiB);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
