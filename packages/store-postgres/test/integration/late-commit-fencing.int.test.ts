/**
 * The late commit of an abandoned transaction (the subscription manager's
 * `infrastructureTimeoutMs`): a transaction that saved the checkpoint hangs in its commit, the
 * manager abandons it and retries the same batch with the same `expected`. The retry's save waits
 * for the hung transaction's row (or key) and is refused when that one commits, applied when it
 * rolls back — never both.
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCheckpointRepository } from '../../src/postgres-checkpoint-repository.js';
import { PostgresUnitOfWorkProvider } from '../../src/postgres-unit-of-work-provider.js';
import { connect, freshSchema, newAggregateId } from '../support/test-database.js';

let client: Sql;
let uow: PostgresUnitOfWorkProvider;
let checkpoints: PostgresCheckpointRepository;

beforeAll(async () => {
  client = connect({ max: 4, applicationName: 'es-late-commit' });
  const schema = await freshSchema(client, 'late');
  const db = drizzle(client);
  uow = new PostgresUnitOfWorkProvider({ connection: db, schema });
  checkpoints = new PostgresCheckpointRepository({ connection: db, schema });
});

afterAll(async () => {
  await client?.end({ timeout: 5 });
});

const settledWithin = async <T>(promise: Promise<T>, ms: number): Promise<boolean> =>
  Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false))]);

/** Runs `late` (saves, then holds until `release`) and `retry` (the same save) side by side. */
async function race(id: string, expected: number | null, commitLate: boolean) {
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let lateSaved: boolean | undefined;
  const late = uow
    .runInTransaction(async (unit) => {
      lateSaved = await unit.checkpointRepo.savePosition(id, { position: 10, expected });
      await held;
      if (!commitLate) throw new Error('rolled back');
    })
    .catch(() => undefined);
  while (lateSaved === undefined) await new Promise((r) => setTimeout(r, 5));
  const retry = uow.runInTransaction((unit) =>
    unit.checkpointRepo.savePosition(id, { position: 10, expected }),
  );
  // The retry waits for the hung transaction's row lock (or uncommitted key).
  const retryWaited = !(await settledWithin(retry, 300));
  release();
  await late;
  return { lateSaved, retryWaited, retrySaved: await retry };
}

describe('a late commit of an abandoned transaction against its retry', () => {
  it('an existing checkpoint: the retry waits, then is refused when the late one commits', async () => {
    const id = newAggregateId('sub');
    expect(await checkpoints.savePosition(id, { position: 5, expected: null })).toBe(true);
    expect(await race(id, 5, true)).toEqual({
      lateSaved: true,
      retryWaited: true,
      retrySaved: false,
    });
    expect(await checkpoints.getPosition(id)).toBe(10);
  });

  it('a first save: the retry waits on the uncommitted key, then is refused', async () => {
    const id = newAggregateId('sub');
    expect(await race(id, null, true)).toEqual({
      lateSaved: true,
      retryWaited: true,
      retrySaved: false,
    });
    expect(await checkpoints.getPosition(id)).toBe(10);
  });

  it('the late transaction rolls back: the retry saves', async () => {
    const id = newAggregateId('sub');
    expect(await checkpoints.savePosition(id, { position: 5, expected: null })).toBe(true);
    expect(await race(id, 5, false)).toEqual({
      lateSaved: true,
      retryWaited: true,
      retrySaved: true,
    });
    expect(await checkpoints.getPosition(id)).toBe(10);
  });
});
