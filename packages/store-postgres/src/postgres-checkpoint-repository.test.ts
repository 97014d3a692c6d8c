import { CheckpointError } from '@es/core';
import { CheckpointPositionKindError } from '@es/subscriptions';
import { describe, expect, it } from 'vitest';
import { drizzleQueryError, fakeDrizzle, postgresError } from '../test/support/fake-drizzle.js';
import { PostgresCheckpointError } from './errors.js';
import { PostgresCheckpointRepository } from './postgres-checkpoint-repository.js';

const NOW = Date.UTC(2025, 0, 1, 12);

function repoOn(handler: Parameters<typeof fakeDrizzle>[0]) {
  const { db, calls } = fakeDrizzle(handler);
  return { repo: new PostgresCheckpointRepository({ connection: db, clock: () => NOW }), calls };
}

describe('PostgresCheckpointRepository (statements and error mapping)', () => {
  it('saves in one compare-and-set statement, numbers and strings in their own columns', async () => {
    const { repo, calls } = repoOn(() => [[1, null]]);
    expect(
      await repo.savePosition('p', { position: 42, eventId: 'e\u00001', eventType: 'T' }),
    ).toBe(true);
    expect(await repo.savePosition('q', { position: '0001-0002' })).toBe(true);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.params).toEqual(['p', 'number', 42, null, 'e\uFFFD1', 'T', NOW]);
    expect(calls[1]!.params).toEqual(['q', 'string', null, '0001-0002', null, null, NOW]);
    expect(calls[0]!.text).toContain('ON CONFLICT (subscription_id) DO UPDATE');
    expect(calls[0]!.text).toContain('c.position_number <= EXCLUDED.position_number');
    expect(calls[0]!.text).toContain('COLLATE "C" <= EXCLUDED.position_string COLLATE "C"');
  });

  it('returns false for a step backwards, and throws CheckpointPositionKindError for a mixed kind', async () => {
    const backwards = repoOn(() => [[0, 'number']]);
    expect(await backwards.repo.savePosition('p', { position: 1 })).toBe(false);
    expect(backwards.calls).toHaveLength(1);

    const mixed = repoOn((_t, _p, index) =>
      index === 0 ? [[0, 'number']] : [['number', 7, null]],
    );
    const error = await mixed.repo.savePosition('p', { position: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointPositionKindError);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error).toMatchObject({ subscriptionId: 'p', storedPosition: 7, position: 'x' });
  });

  it('looks again when the row appeared concurrently after the statement started', async () => {
    const { repo, calls } = repoOn((_t, _p, index) =>
      index === 0 ? [[0, null]] : [['string', null, 'z']],
    );
    await expect(repo.savePosition('p', { position: 1 })).rejects.toBeInstanceOf(
      CheckpointPositionKindError,
    );
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });

  it('validates before querying', async () => {
    const { repo, calls } = repoOn(() => []);
    for (const position of [-1, Number.NaN, Number.POSITIVE_INFINITY, null, {}]) {
      await expect(repo.savePosition('p', { position } as never)).rejects.toMatchObject({
        code: 'ES_INVALID_CONFIG',
        field: 'savePosition.position',
      });
    }
    await expect(repo.getPosition('')).rejects.toMatchObject({ code: 'ES_INVALID_CONFIG' });
    expect(calls).toHaveLength(0);
    expect(
      () =>
        new PostgresCheckpointRepository({
          connection: fakeDrizzle(() => []).db,
          clock: 1 as never,
        }),
    ).toThrow(expect.objectContaining({ field: 'PostgresCheckpointRepository.clock' }));
  });

  it('wraps driver errors: SQLSTATE kept, parameters never in the message', async () => {
    const { repo } = repoOn(() => {
      throw drizzleQueryError(postgresError('40P01'));
    });
    const error = (await repo
      .getPosition('secret-value')
      .catch((e: unknown) => e)) as PostgresCheckpointError;
    expect(error).toBeInstanceOf(PostgresCheckpointError);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error).toMatchObject({
      code: 'ES_POSTGRES_CHECKPOINT',
      sqlState: '40P01',
      operation: 'getPosition',
    });
    expect(error.message).not.toContain('secret');
  });

  it('maps rows to checkpoint data', async () => {
    const { repo } = repoOn(() => [
      ['a', 'number', 3, null, 'e3', 'T', NOW, '2'],
      ['b', 'string', null, 'x', null, null, NOW, 1],
    ]);
    expect(await repo.getAllCheckpoints()).toEqual([
      {
        subscriptionId: 'a',
        position: 3,
        lastEventId: 'e3',
        lastEventType: 'T',
        lastProcessedAt: new Date(NOW),
        eventsProcessed: 2,
      },
      {
        subscriptionId: 'b',
        position: 'x',
        lastEventId: null,
        lastEventType: null,
        lastProcessedAt: new Date(NOW),
        eventsProcessed: 1,
      },
    ]);
  });
});
