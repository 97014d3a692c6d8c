// The inline happy path of Subscription.processBatch and the shared-callback watchdog guard.
import type { DomainEvent } from '@es/core';
import { ConnectionError, TimeoutError } from '@es/resilience';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHarness, deferred, instantRetry } from '../../test/support/harness.js';
import { ErrorHandlingStrategy } from '../error-handling-strategy.js';
import type { Projection, ProjectionContext } from './projection.js';
import type { SubscriptionManager } from './subscription-manager.js';

let running: SubscriptionManager[] = [];
afterEach(async () => {
  await Promise.all(running.map((manager) => manager.stop()));
  running = [];
});

function harness(options: Parameters<typeof createHarness>[0] = {}) {
  const h = createHarness(options);
  running.push(h.manager);
  return h;
}

const nOf = (event: DomainEvent) => (event as unknown as { n: number }).n;

describe('the inline happy path', () => {
  it('delivers to a synchronous handler with a complete context, in order', async () => {
    const { append, manager, checkpoints } = harness();
    await append.spread(25, 3);
    const seen: { n: number; attempt: number; position: unknown; stored: number }[] = [];
    const projection: Projection = {
      name: 'sync',
      handle(event: DomainEvent, context: ProjectionContext) {
        seen.push({
          n: nOf(event),
          attempt: context.attempt,
          position: context.position,
          stored: context.storedEvent?.globalPosition ?? -1,
        });
      },
    };
    const subscription = manager.subscribe(projection, { batchSize: 10 });
    await manager.start();
    await subscription.whenIdle();
    expect(seen.map((s) => s.n)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    for (const s of seen) {
      expect(s.attempt).toBe(0);
      expect(s.position).toBe(s.stored);
    }
    expect(subscription.counts.processed).toBe(25);
    expect(await checkpoints.getPosition('sync')).toBe(25);
  });

  it('sends a synchronous throw through the failure path: retried, then processed', async () => {
    const { append, manager } = harness();
    await append.ticks('a', 3);
    const calls: { n: number; attempt: number }[] = [];
    let failuresLeft = 2;
    const projection: Projection = {
      name: 'throws',
      handle(event: DomainEvent, context: ProjectionContext) {
        calls.push({ n: nOf(event), attempt: context.attempt });
        if (nOf(event) === 2 && failuresLeft-- > 0) throw new ConnectionError('flaky');
      },
    };
    const subscription = manager.subscribe(projection, {
      errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: instantRetry(5) },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(calls).toEqual([
      { n: 1, attempt: 0 },
      { n: 2, attempt: 0 },
      { n: 2, attempt: 1 },
      { n: 2, attempt: 2 },
      { n: 3, attempt: 0 },
    ]);
    expect(subscription.counts).toMatchObject({ processed: 3, retries: 2, failures: 2 });
  });

  it('treats a thenable whose then() throws as a failed call', async () => {
    const { append, manager } = harness();
    await append.ticks('a', 1);
    let calls = 0;
    const projection: Projection = {
      name: 'bad-thenable',
      handle() {
        calls++;
        if (calls === 1) {
          return {
            // biome-ignore lint/suspicious/noThenProperty: a broken thenable on purpose
            then() {
              throw new ConnectionError('then() threw');
            },
          } as unknown as Promise<void>;
        }
        return Promise.resolve();
      },
    };
    const subscription = manager.subscribe(projection, {
      processingTimeoutMs: 1_000,
      errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: instantRetry(3) },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(calls).toBe(2);
    expect(subscription.counts).toMatchObject({ processed: 1, retries: 1, timeouts: 0 });
  });
});

describe('the watchdog guard', () => {
  it('ignores a timed-out call that settles late and still times out the next call', async () => {
    const { append, manager } = harness();
    await append.ticks('a', 1);
    const first = deferred();
    const signals: AbortSignal[] = [];
    const projection: Projection = {
      name: 'late',
      handle(_event: DomainEvent, context: ProjectionContext) {
        signals.push(context.signal);
        if (context.attempt === 0) return first.promise; // hangs past the budget
        if (context.attempt === 1) {
          // The abandoned first call settles now, while this one is in flight: that must neither
          // settle this call nor switch its watchdog off. This one hangs too.
          first.resolve();
          return new Promise<void>(() => {});
        }
      },
    };
    const subscription = manager.subscribe(projection, {
      processingTimeoutMs: 20,
      errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: instantRetry(3) },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(signals).toHaveLength(3);
    expect(signals[0]?.reason).toBeInstanceOf(TimeoutError);
    expect(signals[1]?.reason).toBeInstanceOf(TimeoutError);
    expect(signals[2]?.aborted).toBe(false);
    expect(subscription.counts).toMatchObject({ processed: 1, timeouts: 2, retries: 2 });
  });

  it('passes a rejection of the handler promise through as the failure', async () => {
    const { append, manager } = harness();
    await append.ticks('a', 2);
    let failed = false;
    const projection: Projection = {
      name: 'rejects',
      async handle(event: DomainEvent) {
        if (nOf(event) === 1 && !failed) {
          failed = true;
          throw new ConnectionError('rejected');
        }
      },
    };
    const subscription = manager.subscribe(projection, {
      processingTimeoutMs: 5_000,
      errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: instantRetry(3) },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.counts).toMatchObject({ processed: 2, retries: 1, timeouts: 0 });
    expect(subscription.errorHandler.recentErrors[0]?.errorType).toBe('ConnectionError');
  });
});

describe('timers on the hot path', () => {
  it('arms no timer per event or per infrastructure operation (both time limits on)', async () => {
    const { append, manager } = harness({ withBus: false });
    await append.spread(2_000, 7);
    const projection: Projection = {
      name: 'timers',
      async handle() {},
    };
    // 200 reads and 200 checkpoint saves (EVERY_BATCH), 2 000 async handler calls.
    const subscription = manager.subscribe(projection, {
      batchSize: 10,
      processingTimeoutMs: 30_000,
      infrastructureTimeoutMs: 30_000,
    });
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    try {
      await manager.start();
      await subscription.whenIdle();
      expect(subscription.counts.processed).toBe(2_000);
      // One watchdog timer per limit, plus the poll sleep once caught up: never one per call.
      expect(setTimeoutSpy.mock.calls.length).toBeLessThanOrEqual(5);
    } finally {
      setTimeoutSpy.mockRestore();
    }
  });
});
