import type { PGlite } from '@electric-sql/pglite';
import { describeCheckpointRepositoryConformance } from '@es/subscriptions/testing';
import { afterAll } from 'vitest';
import { PostgresCheckpointRepository } from '../../src/postgres-checkpoint-repository.js';
import { connect, freshPGlite, freshSchema } from '../support/test-database.js';

const sql = connect();
const schema = freshSchema(sql, 'cp');
let pglite: Promise<PGlite> | undefined;

afterAll(async () => {
  await sql.end({ timeout: 5 });
  await (await pglite)?.close();
});

describeCheckpointRepositoryConformance(
  'PostgresCheckpointRepository on the PostgreSQL server',
  async () => new PostgresCheckpointRepository({ connection: sql, schema: await schema }),
);

describeCheckpointRepositoryConformance(
  'PostgresCheckpointRepository on PGlite',
  async () => {
    pglite ??= freshPGlite();
    return new PostgresCheckpointRepository({ connection: await pglite });
  },
  { concurrency: 10, modelSteps: 60 },
);
