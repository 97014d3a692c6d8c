import { describe, expect, it } from 'vitest';
import { postgresError } from '../test/support/fake-drizzle.js';
import { MigrationError } from './errors.js';
import type { Executor, Row } from './internal/executor.js';
import { applyMigrations, loadShippedMigrations, migrate, rewriteSchema } from './migrate.js';

/** An executor that records statements and answers the tag query with `applied`. */
function recordingExecutor(applied: string[] = [], failOn?: (text: string) => unknown) {
  const log: string[] = [];
  let inTransaction = 0;
  const executor: Executor = {
    inTransaction: false,
    async query(text: string, params: readonly unknown[]): Promise<Row[]> {
      log.push(`${text} ${JSON.stringify(params)}`);
      const failure = failOn?.(text);
      if (failure !== undefined) throw failure;
      return text.startsWith('SELECT tag') ? applied.map((tag) => [tag]) : [];
    },
    async run(text: string): Promise<void> {
      log.push(text);
      const failure = failOn?.(text);
      if (failure !== undefined) throw failure;
    },
    async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
      inTransaction++;
      log.push('BEGIN');
      try {
        const result = await work(executor);
        log.push('COMMIT');
        return result;
      } catch (error) {
        log.push('ROLLBACK');
        throw error;
      } finally {
        inTransaction--;
      }
    },
  };
  return { executor, log, inTransaction: () => inTransaction };
}

describe('shipped migrations', () => {
  it('are the drizzle-kit files of migrations/, in journal order, split at breakpoints', () => {
    const migrations = loadShippedMigrations();
    expect(migrations.length).toBeGreaterThanOrEqual(1);
    expect(migrations[0]!.tag).toBe('0000_init');
    expect(migrations[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    const statements = migrations.flatMap((m) => m.statements);
    expect(statements[0]).toBe('CREATE SCHEMA "es";');
    expect(statements.some((s) => s.includes('"es"."events"'))).toBe(true);
    expect(statements.every((s) => !s.includes('--> statement-breakpoint'))).toBe(true);
    // Later migrations are additive and idempotent (existing databases upgrade in place).
    const lease = migrations.find((m) => m.tag === '0001_dlq_claim_lease');
    expect(lease?.statements).toEqual([
      expect.stringContaining(
        'ALTER TABLE "es"."dead_letter_queue" ADD COLUMN IF NOT EXISTS "claimed_until" timestamp with time zone;',
      ),
    ]);
  });

  it('rewrite every reference to the schema "es", and only those', () => {
    for (const statement of loadShippedMigrations().flatMap((m) => m.statements)) {
      const rewritten = rewriteSchema(statement, 'tenant_x');
      expect(rewritten).not.toContain('"es"');
      const before = statement.split('"es".').length;
      expect(rewritten.split('"tenant_x".').length).toBe(before);
      expect(rewriteSchema(statement, 'es')).toBe(
        statement.replace(/^CREATE SCHEMA "es";?$/m, 'CREATE SCHEMA IF NOT EXISTS "es";'),
      );
    }
    expect(rewriteSchema('CREATE SCHEMA "es";', 'b')).toBe('CREATE SCHEMA IF NOT EXISTS "b";');
  });
});

describe('applyMigrations', () => {
  const migrations = [
    {
      tag: '0000_a',
      hash: 'h0',
      statements: ['CREATE SCHEMA "es";', 'CREATE TABLE "es"."t" (x int)'],
    },
    { tag: '0001_b', hash: 'h1', statements: ['ALTER TABLE "es"."t" ADD y int'] },
  ];

  it('locks first, then applies what is missing in one transaction, and records it', async () => {
    const { executor, log } = recordingExecutor(['0000_a']);
    const result = await applyMigrations(executor, 'app', migrations);
    expect(result).toEqual({ schema: 'app', applied: ['0001_b'] });
    expect(log[0]).toBe('BEGIN');
    expect(log[1]).toBe('SET LOCAL client_min_messages = warning');
    expect(log[2]).toMatch(
      /^SELECT pg_advisory_xact_lock\(\$1::int4, hashtext\(\$2::text\)\) \[\d+,"app"\]$/,
    );
    expect(log.slice(3, 5)).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "app"',
      'CREATE TABLE IF NOT EXISTS "app"."__es_migrations" (tag text PRIMARY KEY, hash text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    ]);
    expect(log).toContain('ALTER TABLE "app"."t" ADD y int');
    expect(log).not.toContain('CREATE TABLE "app"."t" (x int)');
    expect(log.at(-2)).toBe(
      'INSERT INTO "app"."__es_migrations" (tag, hash) VALUES ($1::text, $2::text) ["0001_b","h1"]',
    );
    expect(log.at(-1)).toBe('COMMIT');
  });

  it('does nothing when everything is applied', async () => {
    const { executor } = recordingExecutor(['0000_a', '0001_b']);
    expect(await applyMigrations(executor, 'es', migrations)).toEqual({
      schema: 'es',
      applied: [],
    });
  });

  it('rolls back and throws MigrationError naming the migration and the SQLSTATE', async () => {
    const failure = postgresError('42P07');
    const { executor, log } = recordingExecutor([], (text) =>
      text.startsWith('ALTER') ? failure : undefined,
    );
    const error = (await applyMigrations(executor, 'es', migrations).catch(
      (e: unknown) => e,
    )) as MigrationError;
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({
      code: 'ES_POSTGRES_MIGRATION',
      migration: '0001_b',
      sqlState: '42P07',
      cause: failure,
    });
    expect(error.message).not.toContain('secret');
    expect(log.at(-1)).toBe('ROLLBACK');
  });

  it('validates the schema name and the connection before touching anything', async () => {
    await expect(migrate('postgres://x/y', { schema: 'x;drop' })).rejects.toMatchObject({
      code: 'ES_INVALID_CONFIG',
      field: 'migrate.schema',
    });
    await expect(migrate({} as never)).rejects.toMatchObject({
      code: 'ES_INVALID_CONFIG',
      field: 'migrate.connection',
    });
  });
});
