import { defineProject } from 'vitest/config';

// The reliability suite's PostgreSQL tiers. Default: the fast integration tier
// (test/integration, runs in CI with every integration test). `ES_RELIABILITY=long`: the long tier
// (test/long) instead — it is not even registered otherwise, so nothing shows as skipped.
//
// Files run one at a time (fileParallelism: false). Vitest puts projects with a single worker and
// the default sequence.groupOrder into one sequential group that runs after every parallel
// project, one file at a time, so these tests never run beside another suite on the shared
// server. That matters: the read horizon (pg_snapshot_xmin) is cluster-wide, so a transaction one
// test holds open stalls every subscriber on the server, and the terminate/kill tests must only
// hit their own backends (they select by application_name and database). Database crash tests
// use a throwaway cluster of their own (src/faults/throwaway-cluster.ts).
const long = process.env.ES_RELIABILITY === 'long';

export default defineProject({
  resolve: { conditions: ['@es/source'] },
  ssr: { resolve: { conditions: ['@es/source'] } },
  test: {
    name: 'reliability:integration',
    include: long ? ['test/long/**/*.long.test.ts'] : ['test/integration/**/*.int.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: long ? 3_600_000 : 120_000,
    hookTimeout: 120_000,
  },
});
