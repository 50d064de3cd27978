import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // No wall-clock budget per test or hook: on a shared, loaded machine a budget fails correct code. Tests wait on
    // events and counts; what can hang (a child, a browser, a watcher) has its own progress watchdog in the helper
    // that waits on it, and .ci/run guards each whole run.
    testTimeout: 0,
    hookTimeout: 0,
    // One test file per core of the machine running the tests.
    maxWorkers: os.availableParallelism(),
  },
});
