import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'subscriptions', include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'], environment: 'node' },
});
