import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['app/**/*.test.ts', 'renderer/**/*.test.ts', 'electron/**/*.test.ts', 'scripts/**/*.test.ts'],
    environment: 'node',
    // Each run's temp folders in one folder, removed at the end (leftovers are named).
    globalSetup: ['scripts/unit-temp-folder.ts'],
    testTimeout: 60_000,
    // A wait for a condition (a worker started, a child printed) is bounded by the test's own
    // limit, not by a second clock of its own that a loaded machine can outrun.
    expect: { poll: { timeout: 50_000 } },
    hookTimeout: 60_000,
    // Engine tests start processes and workers of their own; keep files apart.
    fileParallelism: false,
  },
});
