import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: { conditions: ['@es/source'] },
  ssr: { resolve: { conditions: ['@es/source'] } },
  test: {
    name: 'core',
    include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
    environment: 'node',
  },
});
