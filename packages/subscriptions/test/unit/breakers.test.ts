import { InMemoryEventStore } from '@es/core';
import { ConnectionError, KeyError } from '@es/resilience';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SubscriptionManager } from '../../src/manager/subscription-manager.js';
import { SubscriptionState } from '../../src/subscription-state.js';
import {
  Appender,
  createHarness,
  eventually,
  FlakyStore,
  instantRetry,
  recordingProjection,
} from '../support/harness.js';

let running: SubscriptionManager[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(running.map((manager) => manager.stop()));
  running = [];
});

function harness(options: Parameters<typeof createHarness>[0] = {}) {
  const h = createHarness(options);
  running.push(h.manager);
  return h;
}

describe('infrastructure breaker', () => {
  it('pauses processing during a store outage instead of dead-lettering, and resumes after it', async () => {
    const inner = new InMemoryEventStore();
    const store = new FlakyStore(inner);
    const { manager, dlq } = harness({
      eventStore: store,
      withBus: false,
      infrastructureBreaker: { failureThreshold: 3, recoveryTimeoutMs: 250 },
    });
    await new Appender(inner).spread(12, 3);
    store.failForever = true;
    store.error = () => new ConnectionError('store unreachable');
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, { batchSize: 5 });
    await manager.start();

    await eventually(
      async () => (await subscription.health()).breakers.infrastructure === 'open',
      2_000,
      'breaker open',
    );
    const during = await subscription.health();
    expect(during.status).toBe('unhealthy');
    expect(during.lastError).toMatchObject({ source: 'read', message: 'store unreachable' });
    expect(subscription.state).toBe(SubscriptionState.CATCHING_UP);
    expect(projection.calls).toEqual([]);
    expect(await dlq.getFailedEvents()).toEqual([]);
    const readsWhileOpen = store.readCalls.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    // While open, the store is not hammered.
    expect(store.readCalls.length - readsWhileOpen).toBeLessThanOrEqual(1);

    store.failForever = false;
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.globalPosition)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    expect(subscription.state).toBe(SubscriptionState.LIVE);
    expect((await subscription.health()).breakers.infrastructure).toBe('closed');
    expect(await dlq.getFailedEvents()).toEqual([]);
  });

  it('an application error from the store (a bug, not an outage) fails the subscription', async () => {
    const inner = new InMemoryEventStore();
    const store = new FlakyStore(inner);
    const { manager } = harness({ eventStore: store, withBus: false });
    await new Appender(inner).spread(2, 1);
    store.failReads = 1;
    store.error = () => new TypeError('readAll is broken');
    const subscription = manager.subscribe(recordingProjection('p'));
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.ERROR);
    expect(subscription.lastError).toMatchObject({ source: 'read', name: 'TypeError' });
  });

  it('an invalid cursor for the store fails the subscription instead of retrying forever', async () => {
    const { manager } = harness();
    const subscription = manager.subscribe(recordingProjection('p'), { startFrom: 'not-a-cursor' });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.ERROR);
    expect(subscription.lastError).toMatchObject({ source: 'read', code: 'ES_INVALID_CONFIG' });
  });
});

describe('handler breaker', () => {
  it('opens on a run of transient handler failures and makes processing wait instead of dead-lettering en masse', async () => {
    vi.useFakeTimers();
    const { append, manager, dlq } = harness({ pollIntervalMs: 60_000 });
    await append.spread(20, 4);
    let outage = true;
    const projection = recordingProjection('p', () => {
      if (outage) throw new ConnectionError('downstream is down');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { retry: instantRetry(2) },
      handlerBreaker: { failureThreshold: 3, recoveryTimeoutMs: 1_000 },
    });
    await manager.start();
    await vi.advanceTimersByTimeAsync(0);
    // The first event used its 3 attempts (dead-lettered); the breaker is open now.
    expect(projection.calls).toHaveLength(3);
    expect(subscription.counts.deadLettered).toBe(1);
    let health = await subscription.health();
    expect(health.breakers.handler).toBe('open');
    await vi.advanceTimersByTimeAsync(500);
    expect(projection.calls).toHaveLength(3);

    outage = false;
    await vi.advanceTimersByTimeAsync(600);
    await vi.advanceTimersByTimeAsync(0);
    // 20 events in 4 streams: s0's first event was dead-lettered, its 4 later events parked.
    expect(projection.applied).toHaveLength(15);
    expect(subscription.counts).toMatchObject({ processed: 15, deadLettered: 1, parked: 4 });
    health = await subscription.health();
    expect(health.breakers.handler).toBe('closed');
    // Only the event in flight when the outage began was dead-lettered; it was in stream s0,
    // whose later events are parked behind it.
    expect((await dlq.getFailedEvents()).map((entry) => entry.streamId)).toEqual(['s0']);
  });

  it('does not count application errors (a poison event does not open it)', async () => {
    const { append, manager } = harness();
    await append.spread(10, 10);
    const projection = recordingProjection('p', (event) => {
      if (event.aggregateId !== 's9') throw new KeyError('poison');
    });
    const subscription = manager.subscribe(projection, {
      handlerBreaker: { failureThreshold: 2, recoveryTimeoutMs: 60_000 },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.counts).toMatchObject({ deadLettered: 9, processed: 1 });
    expect((await subscription.health()).breakers.handler).toBe('closed');
  });

  it('can be disabled', async () => {
    const { manager } = harness();
    const subscription = manager.subscribe(recordingProjection('p'), { handlerBreaker: false });
    expect((await subscription.health()).breakers.handler).toBeNull();
  });
});
