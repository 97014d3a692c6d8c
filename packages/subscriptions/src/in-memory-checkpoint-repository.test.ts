import { InvalidConfigError } from '@es/core';
import { describe, expect, it } from 'vitest';
import { CheckpointPositionKindError } from './errors.js';
import { InMemoryCheckpointRepository } from './in-memory-checkpoint-repository.js';
import { manualClock } from './internal/test-support.js';
import { describeCheckpointRepositoryConformance } from './testing.js';

describeCheckpointRepositoryConformance(
  'InMemoryCheckpointRepository',
  () => new InMemoryCheckpointRepository(),
);

describeCheckpointRepositoryConformance(
  'InMemoryCheckpointRepository (one shared instance)',
  (() => {
    const shared = new InMemoryCheckpointRepository();
    return () => shared;
  })(),
  { seed: 7, concurrency: 50 },
);

describe('InMemoryCheckpointRepository specifics', () => {
  it('stamps lastProcessedAt from the injected clock', async () => {
    const time = manualClock(1_000_000);
    const repo = new InMemoryCheckpointRepository({ clock: time.clock });
    await repo.savePosition('P', { position: 1 });
    time.advance(500);
    await repo.savePosition('P', { position: 1 });
    expect((await repo.getCheckpoint('P'))?.lastProcessedAt).toEqual(new Date(1_000_500));
    time.advance(500);
    await repo.savePosition('P', { position: 0 }); // rejected: keeps the stamp
    expect((await repo.getCheckpoint('P'))?.lastProcessedAt).toEqual(new Date(1_000_500));
  });

  it('clear() deletes every checkpoint', async () => {
    const repo = new InMemoryCheckpointRepository();
    await repo.savePosition('a', { position: 1 });
    await repo.savePosition('b', { position: 'x' });
    repo.clear();
    expect(await repo.getAllCheckpoints()).toEqual([]);
  });

  it('throws the typed kind error with both positions', async () => {
    const repo = new InMemoryCheckpointRepository();
    await repo.savePosition('a', { position: 1 });
    await expect(repo.savePosition('a', { position: '2' })).rejects.toMatchObject({
      constructor: CheckpointPositionKindError,
      code: 'ES_CHECKPOINT_POSITION_KIND',
      subscriptionId: 'a',
      storedPosition: 1,
      position: '2',
    });
  });

  it.each([
    ['a negative number', -1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['null', null],
    ['an object', {}],
  ])('rejects %s as a position with InvalidConfigError', async (_, position) => {
    const repo = new InMemoryCheckpointRepository();
    await expect(repo.savePosition('a', { position: position as number })).rejects.toBeInstanceOf(
      InvalidConfigError,
    );
    expect(await repo.getPosition('a')).toBeNull();
  });

  it('rejects an empty subscription id and a bad clock', async () => {
    const repo = new InMemoryCheckpointRepository();
    await expect(repo.savePosition('', { position: 1 })).rejects.toMatchObject({
      code: 'ES_INVALID_CONFIG',
      field: 'subscriptionId',
    });
    expect(() => new InMemoryCheckpointRepository({ clock: 1 as never })).toThrow(
      InvalidConfigError,
    );
  });
});
