import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests share two cores with watchers, workers and a browser: keep parallelism modest.
    maxWorkers: 2,
  },
});
