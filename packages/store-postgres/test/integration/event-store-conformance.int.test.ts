import type { PGlite } from '@electric-sql/pglite';
import { describeEventStoreConformance } from '@es/core/testing';
import { afterAll } from 'vitest';
import { PostgresEventStore } from '../../src/postgres-event-store.js';
import { connect, freshPGlite, freshSchema } from '../support/test-database.js';

// Each test needs an empty store: one migrated schema per backend, emptied before every test.
const sql = connect();
const schema = freshSchema(sql, 'esc');
let pglite: Promise<PGlite> | undefined;

afterAll(async () => {
  await sql.end({ timeout: 5 });
  await (await pglite)?.close();
});

describeEventStoreConformance(
  'PostgresEventStore on the PostgreSQL server',
  async ({ registry }) => {
    const name = await schema;
    await sql.unsafe(`TRUNCATE "${name}".events RESTART IDENTITY`);
    return { store: new PostgresEventStore({ connection: sql, schema: name, registry }) };
  },
);

describeEventStoreConformance('PostgresEventStore on PGlite', async ({ registry }) => {
  pglite ??= freshPGlite();
  const db = await pglite;
  await db.exec('TRUNCATE es.events RESTART IDENTITY');
  return { store: new PostgresEventStore({ connection: db, registry }) };
});
