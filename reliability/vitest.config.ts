import { defineProject } from 'vitest/config';

// The fast tier without a database: the history checker and the fault tools' self-tests, fuzzing,
// and the fault tests on the in-memory backends. Runs with every unit test (`--project '!*:integration'`).
export default defineProject({
  resolve: { conditions: ['@es/source'] },
  ssr: { resolve: { conditions: ['@es/source'] } },
  test: {
    name: 'reliability',
    include: ['src/**/*.test.ts', 'test/fast/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
