import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@es/source'] },
  ssr: { resolve: { conditions: ['@es/source'] } },
  test: {
    name: 'tutorial',
    include: ['src/**/*.test.ts', 'test/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
