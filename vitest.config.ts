import { defineConfig } from 'vitest/config';
import { excludingOpenDefects, includeOpenDefects } from './reliability/open-defects.js';

// One process for every project: unit projects (`<name>`), integration projects (`<name>:integration`),
// the tutorial and the reliability suite. `vitest run --project '!*:integration'` runs the unit tier only.
// Reliability tests listed in reliability/open-defects.ts stay out of the default run (counted as
// skipped) until their fix lands; `ES_RELIABILITY=defects` runs them.
export default defineConfig({
  test: {
    ...(includeOpenDefects() ? {} : { testNamePattern: excludingOpenDefects() }),
    projects: [
      'packages/*/vitest.config.ts',
      'packages/*/vitest.integration.config.ts',
      'apps/*/vitest.config.ts',
      'apps/*/vitest.integration.config.ts',
      'reliability/vitest.config.ts',
      'reliability/vitest.integration.config.ts',
      'bench/vitest.config.mjs',
    ],
  },
});
