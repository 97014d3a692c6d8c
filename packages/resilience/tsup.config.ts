import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  sourcemap: true,
  clean: true,
  // tsup 8.5.1 injects `baseUrl` into its dts program; TypeScript 6 rejects that (TS5101).
  dts: { compilerOptions: { ignoreDeprecations: '6.0', customConditions: [] } },
});
