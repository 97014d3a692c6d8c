/**
 * Helpers of the integration tests: clients on the run's throwaway database, a fresh migrated
 * schema per suite, and PGlite instances.
 */
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import { migrate } from '../../src/migrate.js';

/** The URL of the run's throwaway database (created by the global setup). */
export function databaseUrl(): string {
  return inject('databaseUrl');
}

/** A postgres.js client on the run's database; `applicationName` helps find its backends. */
export function connect(
  options: { max?: number; applicationName?: string; fetchTypes?: boolean } = {},
): Sql {
  return postgres(databaseUrl(), {
    max: options.max ?? 10,
    onnotice: () => {},
    fetch_types: options.fetchTypes ?? true,
    connection: { application_name: options.applicationName ?? 'es-store-postgres-test' },
  });
}

/** A unique schema name with a readable prefix. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Creates and migrates a fresh schema on the server; returns its name. */
export async function freshSchema(sql: Sql, prefix: string): Promise<string> {
  const schema = uniqueSchema(prefix);
  await migrate(sql, { schema });
  return schema;
}

/** A new in-memory PGlite with the store migrated into `schema` (default `es`). */
export async function freshPGlite(schema = 'es'): Promise<PGlite> {
  const pglite = new PGlite();
  await pglite.waitReady;
  await migrate(pglite, { schema });
  return pglite;
}

/** A unique aggregate id. */
export function newAggregateId(prefix = 'agg'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
