import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts', 'test/widget/build-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Memory tests measure RSS of their own server process: keep files in separate workers.
    pool: 'forks',
  },
});
