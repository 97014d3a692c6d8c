import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeDrizzle } from '../test/support/fake-drizzle.js';
import { PostgresCheckpointRepository } from './postgres-checkpoint-repository.js';
import { PostgresDLQRepository } from './postgres-dlq-repository.js';
import { PostgresUnitOfWorkProvider } from './postgres-unit-of-work-provider.js';

const client = postgres('postgres://nobody@127.0.0.1:1/none');
afterAll(() => client.end());

describe('PostgresUnitOfWorkProvider', () => {
  it('refuses a bare postgres.js client (drizzle would rewrite its parsers)', () => {
    expect(() => new PostgresUnitOfWorkProvider({ connection: client })).toThrow(
      expect.objectContaining({
        code: 'ES_INVALID_CONFIG',
        field: 'PostgresUnitOfWorkProvider.connection',
      }),
    );
  });

  it('binds the checkpoint and DLQ repositories to the transaction it opens', async () => {
    const { db, calls } = fakeDrizzle(() => [[1, null]]);
    const provider = new PostgresUnitOfWorkProvider({
      connection: db,
      schema: 'tenant_a',
      clock: () => 5,
    });
    const result = await provider.runInTransaction(async (uow) => {
      expect(uow.transaction).toBe(db);
      expect(uow.checkpointRepo).toBeInstanceOf(PostgresCheckpointRepository);
      expect(uow.dlqRepo).toBeInstanceOf(PostgresDLQRepository);
      expect((uow.checkpointRepo as PostgresCheckpointRepository).schema).toBe('tenant_a');
      await uow.checkpointRepo.savePosition('p', { position: 3 });
      expect(await uow.savepoint(async () => 'inner')).toBe('inner');
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.text).toContain('"tenant_a".checkpoints');
    expect(calls[0]!.params.at(-1)).toBe(5);
  });

  it('passes the rejection of the work on', async () => {
    const { db } = fakeDrizzle(() => []);
    const provider = new PostgresUnitOfWorkProvider({ connection: db });
    await expect(
      provider.runInTransaction(async () => {
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
  });

  it('validates the DLQ limits it gives the repositories it binds', () => {
    const { db } = fakeDrizzle(() => []);
    expect(
      () =>
        new PostgresUnitOfWorkProvider({ connection: db, dlqLimits: { maxEntriesPerStream: 0 } }),
    ).toThrow(
      expect.objectContaining({
        field: 'PostgresUnitOfWorkProvider.dlqLimits.maxEntriesPerStream',
      }),
    );
    expect(() => new PostgresUnitOfWorkProvider({ connection: db, dlqLimits: 5 as never })).toThrow(
      expect.objectContaining({ field: 'PostgresUnitOfWorkProvider.dlqLimits' }),
    );
    expect(
      new PostgresUnitOfWorkProvider({ connection: db, dlqLimits: { maxEntriesPerProjection: 3 } }),
    ).toBeInstanceOf(PostgresUnitOfWorkProvider);
  });
});
