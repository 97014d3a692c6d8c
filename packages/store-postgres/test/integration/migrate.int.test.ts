import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/connection.js';
import {
  applyMigrations,
  loadShippedMigrations,
  migrate,
  rewriteSchema,
} from '../../src/migrate.js';
import { PostgresDLQRepository } from '../../src/postgres-dlq-repository.js';
import { connect, databaseUrl, uniqueSchema } from '../support/test-database.js';

const sql = connect();
/** Every shipped migration, in order. */
const ALL = ['0000_init', '0001_dlq_claim_lease'];

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

async function tablesOf(schema: string): Promise<string[]> {
  const rows = await sql.unsafe(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
    [schema],
  );
  return rows.map((row) => String(row.table_name));
}

describe('migrate on the PostgreSQL server', () => {
  it('applies the shipped migrations once, then is a no-op', async () => {
    const schema = uniqueSchema('mig');
    expect(await migrate(sql, { schema })).toEqual({ schema, applied: ALL });
    expect(await migrate(sql, { schema })).toEqual({ schema, applied: [] });
    expect(await tablesOf(schema)).toEqual([
      '__es_migrations',
      'checkpoints',
      'dead_letter_queue',
      'events',
    ]);
  });

  it('lets two processes migrate the same schema at once: both succeed, one applies', async () => {
    const schema = uniqueSchema('race');
    const a = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    const b = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    try {
      const results = await Promise.all([migrate(a, { schema }), migrate(b, { schema })]);
      expect(results.flatMap((r) => r.applied)).toEqual(ALL);
      const recorded = await sql.unsafe(`SELECT tag FROM "${schema}".__es_migrations`);
      expect(recorded.map((r) => r.tag)).toEqual(ALL);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('creates everything in the requested schema and nothing elsewhere', async () => {
    const before = await tablesOf('es');
    const schema = uniqueSchema('only');
    await migrate(sql, { schema });
    expect(await tablesOf('es')).toEqual(before);
    const sequences = await sql.unsafe(
      `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'S' AND c.relname = $1 AND n.nspname = $2`,
      ['events_global_position_seq', schema],
    );
    expect(sequences).toHaveLength(1);
    const indexes = await sql.unsafe('SELECT indexname FROM pg_indexes WHERE schemaname = $1', [
      schema,
    ]);
    expect(indexes.map((r) => String(r.indexname))).toContain(
      'events_transaction_id_global_position_idx',
    );
  });

  it('accepts a connection string and ends the client it made', async () => {
    const schema = uniqueSchema('url');
    expect((await migrate(databaseUrl(), { schema })).applied).toEqual(ALL);
  });
});

describe('upgrading a database migrated before the claim leases', () => {
  it('adds claimed_until in place (idempotent DDL); existing entries keep working', async () => {
    const schema = uniqueSchema('upg');
    const [init, lease] = loadShippedMigrations();
    const connection = resolveConnection(sql, 'test');
    const executor = await connection.getExecutor();
    expect((await applyMigrations(executor, schema, [init!])).applied).toEqual(['0000_init']);
    const old = await sql.unsafe(
      `INSERT INTO "${schema}".dead_letter_queue (event_id, projection_name, event_type, event_data,
         error_message, first_failed_at, last_failed_at, status)
       VALUES ('e1', 'p', 'T', '{}', 'boom', now(), now(), 'retrying'), ('e2', 'p', 'T', '{}', 'boom', now(), now(), 'failed')
       RETURNING id::text AS id`,
    );
    expect(await migrate(sql, { schema })).toEqual({ schema, applied: ['0001_dlq_claim_lease'] });
    // Running the statement again is a no-op (ADD COLUMN IF NOT EXISTS).
    for (const statement of lease!.statements) await sql.unsafe(rewriteSchema(statement, schema));
    const repo = new PostgresDLQRepository({ connection: sql, schema });
    const [retrying, failed] = old.map((row) => String(row.id));
    expect((await repo.getFailedEventById(retrying!))?.claimedUntil).toBeNull();
    // A claim taken before the upgrade has no lease: it is not taken over.
    expect(await repo.markRetrying(retrying!, { leaseMs: 1 })).toBe(false);
    expect(await repo.markRetrying(failed!, { leaseMs: 60_000 })).toBe(true);
    expect((await repo.getFailedEventById(failed!))?.claimedUntil).toBeInstanceOf(Date);
  });
});

describe('migrate on PGlite', () => {
  it('applies the same SQL, idempotently, in the default or a custom schema', async () => {
    const pglite = new PGlite();
    try {
      expect((await migrate(pglite)).applied).toEqual(ALL);
      expect((await migrate(pglite)).applied).toEqual([]);
      expect((await migrate(pglite, { schema: 'tenant_b' })).applied).toEqual(ALL);
      const rows = await pglite.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema IN ('es', 'tenant_b')",
      );
      expect(rows.rows[0]?.n).toBe(8);
    } finally {
      await pglite.close();
    }
  });
});
