/**
 * Applying the shipped migrations.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type PostgresConnection, resolveConnection } from './connection.js';
import { MigrationError } from './errors.js';
import { describeDriverError, sqlStateOf } from './internal/driver-error.js';
import type { Executor } from './internal/executor.js';
import { validateSchemaName } from './schema-name.js';

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** The PostgreSQL schema to migrate; default `es`. Validated as an identifier. */
  readonly schema?: string;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** The migrated schema. */
  readonly schema: string;
  /** Tags of the migrations applied by this call, in order (empty when already up to date). */
  readonly applied: readonly string[];
}

/** One shipped migration, as drizzle-kit wrote it. */
export interface ShippedMigration {
  /** drizzle-kit's tag, for example `'0000_init'`. */
  readonly tag: string;
  /** SHA-256 of the file, as drizzle records it. */
  readonly hash: string;
  /** The statements, still for the schema `es`. */
  readonly statements: readonly string[];
}

/** The schema drizzle-kit generates the migrations for (see `drizzle.config.ts`). */
const GENERATED_SCHEMA = 'es';
const BREAKPOINT = '--> statement-breakpoint';
/** First key of the advisory lock taken while migrating (the second is `hashtext(schema)`). */
const MIGRATION_LOCK_CLASS = 0x45_53_4d_47; // 'ESMG'

let shipped: readonly ShippedMigration[] | undefined;

/**
 * The migrations shipped in the package's `migrations/` folder, in order.
 *
 * @internal
 */
export function loadShippedMigrations(): readonly ShippedMigration[] {
  if (shipped !== undefined) return shipped;
  const folder = new URL('../migrations/', import.meta.url);
  const journal = JSON.parse(readFileSync(new URL('meta/_journal.json', folder), 'utf8')) as {
    entries: { idx: number; tag: string }[];
  };
  shipped = [...journal.entries]
    .sort((a, b) => a.idx - b.idx)
    .map(({ tag }) => {
      const text = readFileSync(new URL(`${tag}.sql`, folder), 'utf8');
      return {
        tag,
        hash: createHash('sha256').update(text).digest('hex'),
        statements: text
          .split(BREAKPOINT)
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      };
    });
  return shipped;
}

/**
 * Rewrites a statement generated for the schema `es` to the (already validated) `schema`.
 *
 * drizzle-kit always qualifies names with the double-quoted schema (`"es"."events"`), so replacing
 * the quoted token `"es"` is exact: no other identifier or literal in our migrations is `"es"`.
 * `CREATE SCHEMA` becomes `CREATE SCHEMA IF NOT EXISTS`.
 *
 * @internal
 */
export function rewriteSchema(statement: string, schema: string): string {
  const quoted = `"${schema}"`;
  return statement
    .replace(/^CREATE SCHEMA "es";?$/m, `CREATE SCHEMA IF NOT EXISTS ${quoted};`)
    .replaceAll(`"${GENERATED_SCHEMA}".`, `${quoted}.`);
}

/**
 * Applies the shipped SQL migrations to `schema` (default `es`): creates the schema, the tables
 * and indexes, and records what was applied in `<schema>.__es_migrations`.
 *
 * Idempotent (applied migrations are skipped) and safe when several processes run it at once:
 * everything happens in one transaction holding a transaction-level advisory lock for the schema,
 * so a second caller waits, then finds nothing left to do. A failing migration rolls back
 * entirely. The connection is not ended (a connection string gets its own client, ended here).
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when `schema` is not a valid identifier or the
 *   connection is of an unknown kind
 * @throws {MigrationError} ES_POSTGRES_MIGRATION when a statement fails (SQLSTATE in `sqlState`,
 *   driver error in `cause`)
 * @example
 * ```ts
 * import postgres from 'postgres';
 * import { migrate } from '@es/store-postgres';
 *
 * const sql = postgres(process.env.DATABASE_URL!);
 * await migrate(sql); // schema "es"
 * await migrate(sql, { schema: 'tenant_a' });
 * ```
 */
export async function migrate(
  connection: PostgresConnection,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const schema = validateSchemaName(options.schema, 'migrate.schema');
  const resolved = resolveConnection(connection, 'migrate.connection');
  try {
    const executor = await resolved.getExecutor();
    return await applyMigrations(executor, schema, loadShippedMigrations());
  } finally {
    await resolved.close();
  }
}

/**
 * Applies `migrations` to `schema` in one transaction under the schema's advisory lock.
 *
 * @internal
 */
export async function applyMigrations(
  executor: Executor,
  schema: string,
  migrations: readonly ShippedMigration[],
): Promise<MigrateResult> {
  const quoted = `"${schema}"`;
  const table = `${quoted}."__es_migrations"`;
  let current: string | undefined;
  try {
    const applied = await executor.transaction(async (tx) => {
      // "already exists, skipping" notices are noise on every run after the first.
      await tx.run('SET LOCAL client_min_messages = warning');
      await tx.query('SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))', [
        MIGRATION_LOCK_CLASS,
        schema,
      ]);
      await tx.run(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
      await tx.run(
        `CREATE TABLE IF NOT EXISTS ${table} (tag text PRIMARY KEY, hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const rows = await tx.query(`SELECT tag FROM ${table}`, []);
      const done = new Set(rows.map((row) => String(row[0])));
      const appliedNow: string[] = [];
      for (const migration of migrations) {
        if (done.has(migration.tag)) continue;
        current = migration.tag;
        for (const statement of migration.statements) {
          await tx.run(rewriteSchema(statement, schema));
        }
        await tx.query(`INSERT INTO ${table} (tag, hash) VALUES ($1::text, $2::text)`, [
          migration.tag,
          migration.hash,
        ]);
        appliedNow.push(migration.tag);
      }
      current = undefined;
      return appliedNow;
    });
    return { schema, applied };
  } catch (error) {
    throw new MigrationError(
      current,
      sqlStateOf(error),
      `Migrating schema "${schema}" failed${current === undefined ? '' : ` in ${current}`}: ${describeDriverError(error)}`,
      { cause: error },
    );
  }
}
