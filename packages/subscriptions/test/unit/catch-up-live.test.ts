import { InMemoryEventStore } from '@es/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { SubscriptionManager } from '../../src/manager/subscription-manager.js';
import { SubscriptionState } from '../../src/subscription-state.js';
import {
  Appender,
  createHarness,
  eventually,
  FlakyStore,
  recordingProjection,
} from '../support/harness.js';

let running: SubscriptionManager[] = [];
afterEach(async () => {
  await Promise.all(running.map((manager) => manager.stop()));
  running = [];
});

function track<T extends { manager: SubscriptionManager }>(harness: T): T {
  running.push(harness.manager);
  return harness;
}

describe('catch-up then live', () => {
  it('catches up from the beginning in batches of batchSize, in order, then goes live', async () => {
    const inner = new InMemoryEventStore();
    const flaky = new FlakyStore(inner);
    const { manager } = track(createHarness({ eventStore: flaky, withBus: false }));
    await new Appender(inner).spread(25, 3);
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, { batchSize: 10 });
    expect(subscription.state).toBe(SubscriptionState.STARTING);
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.globalPosition)).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    expect(subscription.state).toBe(SubscriptionState.LIVE);
    // Reads: 10, 10, 5 (short: caught up), each from the previous cursor.
    const reads = flaky.readCalls.slice(0, 3);
    expect(reads.map((read) => read.limit)).toEqual([10, 10, 10]);
    expect(reads.map((read) => read.fromPosition)).toEqual([undefined, 10, 20]);
    expect(subscription.position).toBe(25);
  });

  it('delivers events appended after the switch, woken by the event bus', async () => {
    const { append, manager } = track(createHarness({ pollIntervalMs: 60_000 }));
    await append.spread(5, 2);
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.LIVE);
    await append.spread(3, 2);
    // The poll interval is a minute: only the bus can wake the subscription this fast.
    await eventually(() => projection.applied.length === 8, 1_000, 'bus wake-up');
    expect(projection.applied.map((call) => call.globalPosition)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('falls back to polling without an event bus', async () => {
    const { append, manager } = track(createHarness({ withBus: false, pollIntervalMs: 2 }));
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    await append.spread(4, 2);
    await eventually(() => projection.applied.length === 4, 1_000, 'poll');
    expect(projection.applied.map((call) => call.globalPosition)).toEqual([1, 2, 3, 4]);
  });

  it('passes over filtered-out event types and still moves the cursor past them', async () => {
    const { append, manager, checkpoints } = track(createHarness());
    await append.one('a', 'Tick');
    await append.one('a', 'Tock');
    await append.one('b', 'Tock');
    await append.one('b', 'Tick');
    await append.one('b', 'Tock');
    const projection = recordingProjection('ticks', undefined, ['Tick']);
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.globalPosition)).toEqual([1, 4]);
    expect(subscription.position).toBe(4);
    expect(await checkpoints.getPosition('ticks')).toBe(4);
  });

  it.each([
    ['with an event bus', true],
    ['polling only', false],
  ])(
    'handles appends racing the catch-up/live switch exactly once, in order (%s)',
    async (_, withBus) => {
      const { append, manager } = track(createHarness({ withBus, pollIntervalMs: 1 }));
      await append.spread(300, 7);
      const projection = recordingProjection('p');
      const subscription = manager.subscribe(projection, { batchSize: 7 });
      // A writer keeps appending in small bursts while the subscription catches up and switches.
      const writer = (async () => {
        for (let burst = 0; burst < 60; burst++) {
          await append.spread(1 + (burst % 4), 7);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      await manager.start();
      await writer;
      await subscription.whenIdle();
      const total =
        300 + Array.from({ length: 60 }, (_, burst) => 1 + (burst % 4)).reduce((a, b) => a + b);
      expect(projection.applied.map((call) => call.globalPosition)).toEqual(
        Array.from({ length: total }, (_, i) => i + 1),
      );
      expect(projection.calls).toHaveLength(total);
    },
  );
});

describe('startFrom', () => {
  it("'checkpoint' resumes after the saved checkpoint; a restart does not reprocess", async () => {
    const first = createHarness();
    await first.append.spread(10, 3);
    const projection = recordingProjection('p');
    const subscription = first.manager.subscribe(projection);
    await first.manager.start();
    await subscription.whenIdle();
    await first.manager.stop();
    expect(await first.checkpoints.getPosition('p')).toBe(10);

    await first.append.spread(5, 3);
    const restarted = track(
      createHarness({ eventStore: first.store, checkpointRepo: first.checkpoints }),
    );
    const again = recordingProjection('p');
    const resumed = restarted.manager.subscribe(again);
    await restarted.manager.start();
    await resumed.whenIdle();
    expect(again.applied.map((call) => call.globalPosition)).toEqual([11, 12, 13, 14, 15]);
  });

  it("'checkpoint' without a checkpoint starts from the beginning", async () => {
    const { append, manager } = track(createHarness());
    await append.spread(3, 1);
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, { startFrom: 'checkpoint' });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied).toHaveLength(3);
  });

  it("'beginning' replays everything and resets a checkpoint that is ahead", async () => {
    const { append, manager, checkpoints } = track(createHarness());
    await append.spread(6, 2);
    await checkpoints.savePosition('p', { position: 5 });
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, { startFrom: 'beginning' });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.globalPosition)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await checkpoints.getPosition('p')).toBe(6);
  });

  it("'end' skips the stored events and delivers only new ones", async () => {
    const { append, manager } = track(createHarness());
    await append.spread(4, 2);
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, { startFrom: 'end' });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied).toHaveLength(0);
    await append.spread(2, 2);
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.globalPosition)).toEqual([5, 6]);
  });

  it('a position starts right after it', async () => {
    const { append, manager, checkpoints } = track(createHarness());
    await append.spread(6, 2);
    await checkpoints.savePosition('p', { position: 2 });
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, { startFrom: 3 });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.globalPosition)).toEqual([4, 5, 6]);
    expect(await checkpoints.getPosition('p')).toBe(6);
  });
});

describe('subscribe after start', () => {
  it('starts the new subscription right away', async () => {
    const { append, manager } = track(createHarness());
    await append.spread(3, 1);
    await manager.start();
    const projection = recordingProjection('late');
    const subscription = manager.subscribe(projection);
    await eventually(() => projection.applied.length === 3, 1_000, 'late subscription');
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.LIVE);
  });
});
