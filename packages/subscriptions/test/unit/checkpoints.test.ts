import { ConnectionError } from '@es/resilience';
import { afterEach, describe, expect, it } from 'vitest';
import type { SavePositionInput } from '../../src/checkpoint-repository.js';
import { CheckpointStrategy } from '../../src/checkpoint-strategy.js';
import type { SubscriptionManager } from '../../src/manager/subscription-manager.js';
import { SubscriptionState } from '../../src/subscription-state.js';
import { createHarness, eventually, recordingProjection } from '../support/harness.js';

let running: SubscriptionManager[] = [];
afterEach(async () => {
  await Promise.all(running.map((manager) => manager.stop()));
  running = [];
});

/** A harness whose checkpoint saves are recorded (and can be made to fail). */
function recordedHarness(options: Parameters<typeof createHarness>[0] = {}) {
  const h = createHarness(options);
  running.push(h.manager);
  const saves: SavePositionInput[] = [];
  const control = { failures: 0 };
  const save = h.checkpoints.savePosition.bind(h.checkpoints);
  h.checkpoints.savePosition = async (id, input) => {
    if (control.failures > 0) {
      control.failures--;
      throw new ConnectionError('checkpoint store down');
    }
    saves.push(input);
    return save(id, input);
  };
  return { ...h, saves, control };
}

describe('checkpoint strategies', () => {
  it('EVERY_EVENT saves after each event, with its id and type', async () => {
    const { append, manager, saves } = recordedHarness();
    await append.spread(4, 2);
    const subscription = manager.subscribe(recordingProjection('p'), {
      checkpointStrategy: CheckpointStrategy.EVERY_EVENT,
      batchSize: 3,
    });
    await manager.start();
    await subscription.whenIdle();
    expect(saves.map((save) => save.position)).toEqual([1, 2, 3, 4]);
    expect(saves[0]).toMatchObject({ eventType: 'Tick', eventId: expect.any(String) });
  });

  it('EVERY_BATCH (default) saves once per batch', async () => {
    const { append, manager, saves, checkpoints } = recordedHarness();
    await append.spread(10, 3);
    const subscription = manager.subscribe(recordingProjection('p'), { batchSize: 4 });
    await manager.start();
    await subscription.whenIdle();
    expect(saves.map((save) => save.position)).toEqual([4, 8, 10]);
    const stored = await checkpoints.getCheckpoint('p');
    expect(stored).toMatchObject({ position: 10, lastEventType: 'Tick' });
  });

  it('PERIODIC saves at most once per interval (injected clock) and flushes on stop', async () => {
    let now = 0;
    const { append, manager, saves } = recordedHarness({ clock: () => now });
    await append.spread(10, 1);
    const projection = recordingProjection('p', () => {
      now += 300;
    });
    const subscription = manager.subscribe(projection, {
      checkpointStrategy: CheckpointStrategy.PERIODIC,
      checkpointIntervalMs: 1_000,
    });
    await manager.start();
    await subscription.whenIdle();
    expect(saves.map((save) => save.position)).toEqual([4, 8]);
    await manager.stop();
    expect(saves.map((save) => save.position)).toEqual([4, 8, 10]);
  });

  it('PERIODIC flushes an idle subscription once the interval has passed', async () => {
    let now = 0;
    const { append, manager, saves } = recordedHarness({ clock: () => now });
    await append.spread(2, 1);
    const subscription = manager.subscribe(recordingProjection('p'), {
      checkpointStrategy: CheckpointStrategy.PERIODIC,
      checkpointIntervalMs: 1_000,
    });
    await manager.start();
    await subscription.whenIdle();
    expect(saves).toEqual([]);
    now = 1_000;
    await eventually(() => saves.length === 1, 1_000, 'idle periodic flush');
    expect(saves[0]?.position).toBe(2);
  });
});

describe('compare-and-set', () => {
  it('fences every save on the position it last saved or loaded', async () => {
    const { append, manager, saves, checkpoints } = recordedHarness();
    await checkpoints.savePosition('p', { position: 2 });
    await append.spread(8, 2);
    const subscription = manager.subscribe(recordingProjection('p'), { batchSize: 3 });
    await manager.start();
    await subscription.whenIdle();
    expect(saves.map(({ position, expected }) => ({ position, expected }))).toEqual([
      { position: 2, expected: undefined }, // this test's own, unfenced
      { position: 5, expected: 2 },
      { position: 8, expected: 5 },
    ]);
  });

  it('on a refused save reloads the checkpoint another instance moved and continues from it, never overwriting it', async () => {
    const { append, manager, checkpoints } = recordedHarness();
    await append.spread(6, 1);
    const projection = recordingProjection('p', async (event) => {
      // Another instance of the subscription races ahead to 4 while this one works on 1..3.
      if (event.aggregateVersion === 2) await checkpoints.savePosition('p', { position: 4 });
    });
    const subscription = manager.subscribe(projection, { batchSize: 3 });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.LIVE);
    expect(subscription.lastError).toMatchObject({
      source: 'checkpoint',
      code: 'ES_CHECKPOINT_CONFLICT',
      name: 'CheckpointConflictError',
    });
    expect(subscription.lastError?.error).toMatchObject({ expected: null, position: 3 });
    // 4 belongs to the other instance; this one went on after it.
    expect(projection.applied.map((call) => call.globalPosition)).toEqual([1, 2, 3, 5, 6]);
    expect(await checkpoints.getCheckpoint('p')).toMatchObject({ position: 6, eventsProcessed: 2 });
    await manager.stop();
    expect(await checkpoints.getPosition('p')).toBe(6);
  });

  it('keeps running after a refused periodic flush of an idle subscription', async () => {
    let now = 0;
    const { append, manager, checkpoints } = recordedHarness({ clock: () => now });
    await append.spread(2, 1);
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, {
      checkpointStrategy: CheckpointStrategy.PERIODIC,
      checkpointIntervalMs: 1_000,
    });
    await manager.start();
    await subscription.whenIdle();
    await checkpoints.savePosition('p', { position: 2 });
    now = 1_000;
    await eventually(
      () => subscription.lastError?.code === 'ES_CHECKPOINT_CONFLICT',
      1_000,
      'refused idle flush',
    );
    await append.spread(1, 1);
    await eventually(() => projection.applied.length === 3, 1_000, 'the next event');
    expect(subscription.state).toBe(SubscriptionState.LIVE);
    now = 2_000;
    await eventually(
      async () => (await checkpoints.getPosition('p')) === 3,
      1_000,
      'the next periodic flush',
    );
  });

  it('a final flush refused on stop writes nothing and records the conflict', async () => {
    const now = 0;
    const { append, manager, checkpoints } = recordedHarness({ clock: () => now });
    await append.spread(3, 1);
    const subscription = manager.subscribe(recordingProjection('p'), {
      checkpointStrategy: CheckpointStrategy.PERIODIC,
      checkpointIntervalMs: 60_000,
    });
    await manager.start();
    await subscription.whenIdle();
    await checkpoints.savePosition('p', { position: 2 });
    await manager.stop();
    expect(await checkpoints.getCheckpoint('p')).toMatchObject({ position: 2, eventsProcessed: 1 });
    expect(subscription.lastError).toMatchObject({
      source: 'checkpoint',
      code: 'ES_CHECKPOINT_CONFLICT',
    });
  });
});

describe('checkpoint write failures', () => {
  it('are retried with backoff through the infrastructure breaker; nothing is lost or re-applied', async () => {
    const { append, manager, checkpoints, control } = recordedHarness();
    await append.spread(6, 2);
    control.failures = 4;
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, { batchSize: 3 });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.globalPosition)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await checkpoints.getPosition('p')).toBe(6);
    expect(subscription.lastError).toMatchObject({
      source: 'checkpoint',
      message: 'checkpoint store down',
    });
    expect(subscription.state).toBe(SubscriptionState.LIVE);
  });

  it('a failed final flush is reported, and stop() still resolves', async () => {
    const { append, manager, checkpoints, control } = recordedHarness();
    await append.spread(2, 1);
    const subscription = manager.subscribe(recordingProjection('p'), {
      checkpointStrategy: CheckpointStrategy.PERIODIC,
      checkpointIntervalMs: 60_000,
    });
    await manager.start();
    await subscription.whenIdle();
    control.failures = 1;
    await manager.stop();
    expect(await checkpoints.getPosition('p')).toBeNull();
    expect(subscription.lastError?.source).toBe('checkpoint');
  });
});
