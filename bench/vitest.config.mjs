import { defineConfig } from 'vitest/config';

// Unit tests of the harness's pure parts (statistics, ratios, report, chart). They never run a
// benchmark and need no database.
export default defineConfig({
  test: {
    name: 'bench',
    include: ['test/**/*.test.mjs'],
  },
});
