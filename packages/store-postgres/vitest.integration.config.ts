import { defineProject } from 'vitest/config';

// Integration tests against the PostgreSQL server (DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres) and against PGlite. The global setup creates a
// throwaway database es_test_<random> and drops it afterwards; an unreachable server fails the
// run. The read horizon is cluster-wide and some tests hold transactions open, so files run one at
// a time, and the project runs after the other projects of a multi-project run (groupOrder), never
// beside them.
export default defineProject({
  resolve: { conditions: ['@es/source'] },
  ssr: { resolve: { conditions: ['@es/source'] } },
  test: {
    name: 'store-postgres:integration',
    include: ['test/integration/**/*.int.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    environment: 'node',
    fileParallelism: false,
    sequence: { groupOrder: 10 },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
