import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'dlq', include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'], environment: 'node' },
});
