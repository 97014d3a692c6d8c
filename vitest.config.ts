import { defineConfig } from 'vitest/config';

// One process for every project: unit projects (`<name>`), integration projects (`<name>:integration`),
// the tutorial and the reliability suite. `vitest run --project '!*:integration'` runs the unit tier only.
export default defineConfig({
  test: {
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.integration.config.ts',
      'apps/*/vitest.config.ts',
      'apps/*/vitest.integration.config.ts',
      'reliability/vitest.config.ts',
      'reliability/vitest.integration.config.ts',
    ],
  },
});
