// `npm run soak`: what is too long for `npm test` — the 50 × 64 MiB load through each store and
// the mixed soak (FERRY_SOAK_MINUTES, default 10). Same s3rver global setup as the main suite.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/soak/**/*.soak.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One at a time: each measures its own server's memory, and the machine has two cores.
    fileParallelism: false,
  },
});
