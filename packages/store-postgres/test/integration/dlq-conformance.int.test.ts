import type { PGlite } from '@electric-sql/pglite';
import { createManualClock, describeDLQRepositoryConformance } from '@es/dlq/testing';
import { afterAll } from 'vitest';
import { PostgresDLQRepository } from '../../src/postgres-dlq-repository.js';
import { connect, freshPGlite, freshSchema } from '../support/test-database.js';

// Each test needs an empty repository: one migrated schema per backend, emptied before every
// test. The repository takes its time from a manual clock, so the exact-instant tests run too.
const sql = connect();
const schema = freshSchema(sql, 'dlq');
let pglite: Promise<PGlite> | undefined;

afterAll(async () => {
  await sql.end({ timeout: 5 });
  await (await pglite)?.close();
});

describeDLQRepositoryConformance('PostgresDLQRepository on the PostgreSQL server', async () => {
  const name = await schema;
  await sql.unsafe(`TRUNCATE "${name}".dead_letter_queue RESTART IDENTITY`);
  const clock = createManualClock();
  return {
    repo: new PostgresDLQRepository({ connection: sql, schema: name, clock: clock.now }),
    clock,
    withLimits: (limits) =>
      new PostgresDLQRepository({ connection: sql, schema: name, clock: clock.now, ...limits }),
  };
});

describeDLQRepositoryConformance('PostgresDLQRepository on PGlite', async () => {
  pglite ??= freshPGlite();
  const db = await pglite;
  await db.exec('TRUNCATE es.dead_letter_queue RESTART IDENTITY');
  const clock = createManualClock();
  return {
    repo: new PostgresDLQRepository({ connection: db, clock: clock.now }),
    clock,
    withLimits: (limits) =>
      new PostgresDLQRepository({ connection: db, clock: clock.now, ...limits }),
  };
});
