/**
 * Child processes cannot import TypeScript (Node 20 has no type stripping and no loader is
 * installed), and the packages' `dist` may be stale or not built yet. So the child scripts are
 * bundled once per run with tsup (esbuild) from the packages' sources (`@es/source` condition)
 * into plain `.mjs` files under `reliability/.cache/child/` — the same code the in-process tests
 * run.
 * The drivers (`postgres`, `drizzle-orm`, PGlite) stay external and resolve from this package.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The root of the reliability package. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Bundles the child script `entry` (relative to the package root) into a file of this run
 * (`<outName>-<pid>-<random>.mjs`, so that concurrent runs never share one); returns its path.
 */
export async function bundleChild(entry: string, outName: string): Promise<string> {
  const { build } = await import('tsup');
  const outDir = path.join(PACKAGE_ROOT, '.cache', 'child');
  const file = `${outName}-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(outDir, { recursive: true });
  await build({
    entry: { [file]: path.join(PACKAGE_ROOT, entry) },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    bundle: true,
    splitting: false,
    sourcemap: false,
    dts: false,
    clean: false,
    silent: true,
    config: false,
    noExternal: [/^@es\//],
    external: ['postgres', 'drizzle-orm', /^drizzle-orm\//, '@electric-sql/pglite'],
    outExtension: () => ({ js: '.mjs' }),
    esbuildOptions(options) {
      options.conditions = ['@es/source', 'import', 'node'];
    },
  });
  return path.join(outDir, `${file}.mjs`);
}
