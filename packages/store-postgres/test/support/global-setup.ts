/**
 * Creates a throwaway database `es_test_<random>` on the PostgreSQL server for the integration
 * run (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres) and drops it at the end.
 * Fails the run, loudly, when the server cannot be reached: these tests are never skipped.
 */
import type { TestProject } from 'vitest/node';
import { createTestDatabase } from '../../src/testing.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the throwaway database of this run. */
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  try {
    database = await createTestDatabase();
  } catch (error) {
    const where = process.env.DATABASE_URL === undefined ? '127.0.0.1:5432' : 'DATABASE_URL';
    throw new Error(
      `The store-postgres integration tests need PostgreSQL and could not use the server at ${where}: ${
        error instanceof Error ? error.message : String(error)
      }\nStart it (scripts/ensure-postgres.sh, or pg_ctlcluster --skip-systemctl-redirect <version> main start) ` +
        'or set DATABASE_URL to a reachable server. These tests are never skipped.',
      { cause: error },
    );
  }
  project.provide('databaseUrl', database.url);
  return () => database.drop();
}
