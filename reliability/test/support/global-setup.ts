/**
 * The integration tier's global setup: a throwaway database `es_rel_<random>` on the server at
 * `DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres, loopback only), dropped at
 * the end; fails the run loudly when the server is unreachable. Bundles the child-process scripts.
 */
import { rm } from 'node:fs/promises';
import type { TestProject } from 'vitest/node';
import { bundleChild } from '../../src/support/child-bundle.js';
import { createDatabase, serverUrl } from '../../src/support/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the throwaway database of this run. */
    relDatabaseUrl: string;
    /** The bundled subscriber child script. */
    subscriberBundle: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const database = await createDatabase(serverUrl(), 'es_rel');
  project.provide('relDatabaseUrl', database.url);
  const bundle = await bundleChild('test/child/subscriber.ts', 'subscriber');
  project.provide('subscriberBundle', bundle);
  return async () => {
    await rm(bundle, { force: true });
    await database.drop();
  };
}
