import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Servers, SQLite files and child processes per test file: two workers match CI's two cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
