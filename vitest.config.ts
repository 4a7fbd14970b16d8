import { defineConfig } from 'vitest/config';

// Two projects: `main` is the whole suite; `leakscan` runs afterwards and reads everything the main run
// logged, failing if any test-range My Number appears in it.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'main',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/final/**', 'node_modules/**'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'leakscan',
          include: ['test/final/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
