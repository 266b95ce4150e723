import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Hang guards, not speed checks: tests wait on events, and a loaded machine may be slow.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Servers, SQLite files and child processes per test file: two workers match CI's two cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
