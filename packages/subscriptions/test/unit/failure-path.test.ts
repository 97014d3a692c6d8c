import { ConnectionError, KeyError, TimeoutError } from '@es/resilience';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorHandlingStrategy } from '../../src/error-handling-strategy.js';
import type { ErrorInfo } from '../../src/error-info.js';
import type { SubscriptionManager } from '../../src/manager/subscription-manager.js';
import { SubscriptionState } from '../../src/subscription-state.js';
import {
  createHarness,
  eventually,
  flakyDlq,
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

describe('retries', () => {
  it('a transient failure that clears after k < maxRetries attempts is processed once and never dead-lettered', async () => {
    const { append, manager, dlq } = harness();
    await append.ticks('a', 3);
    let failuresLeft = 3;
    const projection = recordingProjection('p', (event) => {
      if ((event as unknown as { n: number }).n === 2 && failuresLeft-- > 0) {
        throw new ConnectionError('flaky downstream');
      }
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: instantRetry(5) },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.n)).toEqual([1, 2, 3]);
    expect(projection.calls.filter((call) => call.n === 2).map((call) => call.attempt)).toEqual([
      0, 1, 2, 3,
    ]);
    expect(await dlq.getFailedEvents()).toEqual([]);
    expect(subscription.counts).toMatchObject({
      processed: 3,
      retries: 3,
      failures: 3,
      deadLettered: 0,
    });
    expect(subscription.errorHandler.stats.totalErrors).toBe(3);
  });

  it('waits calculateBackoff(attempt) between attempts', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { append, manager } = harness();
    await append.ticks('a', 1);
    const callTimes: number[] = [];
    const projection = recordingProjection('p', () => {
      callTimes.push(Date.now());
      if (callTimes.length < 4) throw new ConnectionError('down');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: {
        retry: {
          maxRetries: 5,
          initialDelayMs: 100,
          exponentialBase: 3,
          maxDelayMs: 10_000,
          jitter: 0,
        },
      },
    });
    await manager.start();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(callTimes.map((time) => time - 1_000_000)).toEqual([0, 100, 400, 1300]);
    expect(projection.applied).toHaveLength(1);
    expect(subscription.state).toBe(SubscriptionState.LIVE);
  });

  it('dead-letters a retryable failure once the retries are spent (retryCount = maxRetries)', async () => {
    const { append, manager, dlq, checkpoints } = harness();
    await append.ticks('a', 1);
    await append.ticks('b', 1);
    const projection = recordingProjection('p', (event) => {
      if (event.aggregateId === 'a') throw new ConnectionError('always down');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { retry: instantRetry(2) },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.calls.filter((call) => call.stream === 'a')).toHaveLength(3);
    const [entry] = await dlq.getFailedEvents();
    expect(entry).toMatchObject({
      projectionName: 'p',
      eventType: 'Tick',
      retryCount: 2,
      status: 'failed',
      streamId: 'a',
      streamPosition: 1,
      position: 1,
      errorMessage: 'always down',
    });
    expect(projection.applied.map((call) => call.stream)).toEqual(['b']);
    // The dead-lettered event has its fate: the checkpoint moves past it.
    expect(await checkpoints.getPosition('p')).toBe(2);
    expect(subscription.counts).toMatchObject({ deadLettered: 1, processed: 1, retries: 2 });
  });

  it('dead-letters a non-retryable failure at once, without retrying', async () => {
    const { append, manager, dlq } = harness();
    await append.ticks('a', 2);
    const projection = recordingProjection('p', (event) => {
      if (event.aggregateVersion === 1) throw new KeyError('Task not found');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { retry: instantRetry(5) },
      dlqOrdering: 'none',
    });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.calls.map((call) => call.version)).toEqual([1, 2]);
    const entries = await dlq.getFailedEvents();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ retryCount: 0, errorMessage: 'Task not found' });
  });

  it('DLQ_ONLY dead-letters even a transient failure at once', async () => {
    const { append, manager, dlq } = harness();
    await append.ticks('a', 1);
    const projection = recordingProjection('p', () => {
      throw new ConnectionError('down');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { strategy: ErrorHandlingStrategy.DLQ_ONLY, retry: instantRetry(5) },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.calls).toHaveLength(1);
    expect(await dlq.getFailedEvents()).toHaveLength(1);
  });
});

describe('skip', () => {
  it.each([
    ['CONTINUE', { strategy: ErrorHandlingStrategy.CONTINUE }, 1],
    [
      'RETRY_THEN_CONTINUE',
      { strategy: ErrorHandlingStrategy.RETRY_THEN_CONTINUE, retry: instantRetry(2) },
      3,
    ],
    ['dlqEnabled: false', { dlqEnabled: false, retry: instantRetry(1) }, 2],
  ] as const)(
    '%s skips the failing event and records the error',
    async (_, errorHandling, calls) => {
      const { append, manager, dlq, checkpoints } = harness();
      await append.ticks('a', 3);
      const projection = recordingProjection('p', (event) => {
        if (event.aggregateVersion === 2) throw new ConnectionError('down');
      });
      const subscription = manager.subscribe(projection, { errorHandling });
      await manager.start();
      await subscription.whenIdle();
      expect(projection.applied.map((call) => call.version)).toEqual([1, 3]);
      expect(projection.calls.filter((call) => call.version === 2)).toHaveLength(calls);
      expect(subscription.counts.skipped).toBe(1);
      expect(subscription.errorHandler.stats.totalErrors).toBe(calls);
      expect(subscription.errorHandler.recentErrors.at(-1)?.action).toBe('skip');
      expect(await dlq.getFailedEvents()).toEqual([]);
      expect(await checkpoints.getPosition('p')).toBe(3);
    },
  );
});

describe('stop', () => {
  it('STOP halts the subscription in state error with the checkpoint before the failing event', async () => {
    const { append, manager, checkpoints } = harness();
    await append.ticks('a', 5);
    const projection = recordingProjection('p', (event) => {
      if (event.aggregateVersion === 3) throw new KeyError('poison');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { strategy: ErrorHandlingStrategy.STOP },
      batchSize: 100,
    });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.ERROR);
    expect(projection.applied.map((call) => call.version)).toEqual([1, 2]);
    expect(projection.calls.map((call) => call.version)).toEqual([1, 2, 3]);
    expect(await checkpoints.getPosition('p')).toBe(2);
    expect(subscription.lastError).toMatchObject({
      source: 'handler',
      message: 'poison',
      name: 'KeyError',
    });
    const health = await subscription.health();
    expect(health.status).toBe('unhealthy');
  });

  it('a restart after STOP resumes at the failing event', async () => {
    const first = harness();
    await first.append.ticks('a', 4);
    let poisoned = true;
    const projection = recordingProjection('p', (event) => {
      if (poisoned && event.aggregateVersion === 3) throw new KeyError('poison');
    });
    const subscription = first.manager.subscribe(projection, {
      errorHandling: { strategy: ErrorHandlingStrategy.STOP },
    });
    await first.manager.start();
    await subscription.whenIdle();
    await first.manager.stop();
    expect(subscription.state).toBe(SubscriptionState.ERROR);
    poisoned = false;
    const second = harness({ eventStore: first.store, checkpointRepo: first.checkpoints });
    const resumed = second.manager.subscribe(projection);
    await second.manager.start();
    await resumed.whenIdle();
    expect(projection.applied.map((call) => call.version)).toEqual([1, 2, 3, 4]);
  });

  it('maxErrorsBeforeStop stops the subscription once the limit is reached', async () => {
    const { append, manager } = harness();
    await append.spread(6, 6);
    const projection = recordingProjection('p', () => {
      throw new KeyError('bad');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { strategy: ErrorHandlingStrategy.CONTINUE, maxErrorsBeforeStop: 3 },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.ERROR);
    expect(projection.calls).toHaveLength(3);
    expect(subscription.counts.skipped).toBe(2);
  });

  it('without a DLQ repository a dead-letter decision stops the subscription before the event', async () => {
    const { append, manager, checkpoints } = harness({ dlqRepo: undefined });
    await append.ticks('a', 3);
    const projection = recordingProjection('p', (event) => {
      if (event.aggregateVersion === 2) throw new KeyError('poison');
    });
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.ERROR);
    expect(subscription.lastError?.source).toBe('dlq');
    expect(subscription.lastError?.code).toBe('ES_SUBSCRIPTION_STATE');
    expect(await checkpoints.getPosition('p')).toBe(1);
    expect(projection.applied.map((call) => call.version)).toEqual([1]);
  });
});

describe('a failing DLQ write', () => {
  it('never lets the event pass: it is run again (with infrastructure backoff) until its fate is recorded', async () => {
    const base = createHarness();
    const dlq = flakyDlq(base.dlq);
    dlq.failAdds = 3;
    dlq.error = () => new ConnectionError('dlq down');
    const saves: unknown[] = [];
    const originalSave = base.checkpoints.savePosition.bind(base.checkpoints);
    base.checkpoints.savePosition = async (id, input) => {
      saves.push(input.position);
      return originalSave(id, input);
    };
    const { append, manager } = harness({
      store: base.store,
      checkpointRepo: base.checkpoints,
      dlqRepo: dlq,
    });
    await append.ticks('a', 1);
    await append.ticks('b', 1);
    const projection = recordingProjection('p', (event) => {
      if (event.aggregateId === 'a') throw new KeyError('poison');
    });
    const subscription = manager.subscribe(projection, { checkpointStrategy: 'every_event' });
    await manager.start();
    await subscription.whenIdle();
    // 3 failed DLQ writes → the handler ran 4 times for 'a', then the entry was written.
    expect(projection.calls.filter((call) => call.stream === 'a')).toHaveLength(4);
    expect(await base.dlq.getFailedEvents()).toHaveLength(1);
    expect(subscription.errorHandler.stats.dlqFailures).toBe(3);
    // No checkpoint was saved before the event's fate was recorded.
    expect(saves).toEqual([1, 2]);
    expect(projection.applied.map((call) => call.stream)).toEqual(['b']);
    expect(subscription.lastError?.source).toBe('handler');
  });

  it('reports the DLQ outage while it lasts', async () => {
    const base = createHarness();
    const dlq = flakyDlq(base.dlq);
    dlq.failAdds = Number.POSITIVE_INFINITY;
    const { append, manager, checkpoints } = harness({
      store: base.store,
      dlqRepo: dlq,
      infrastructureBreaker: { failureThreshold: 3, recoveryTimeoutMs: 500 },
    });
    await append.ticks('a', 2);
    const projection = recordingProjection('p', (event) => {
      if (event.aggregateVersion === 1) throw new KeyError('poison');
    });
    const subscription = manager.subscribe(projection);
    await manager.start();
    await eventually(() => subscription.errorHandler.stats.dlqFailures >= 3, 2_000, 'DLQ failures');
    expect(projection.applied).toHaveLength(0);
    expect(subscription.position).toBeNull();
    const health = await subscription.health();
    expect(health.status).toBe('unhealthy');
    expect(health.errors.join(' ')).toMatch(/DLQ write/);
    // The DLQ writes go through the infrastructure breaker: it opened instead of hammering the DLQ.
    expect(health.breakers.infrastructure).toBe('open');
    expect(health.lastError?.source).toBe('dlq');
    dlq.failAdds = 0;
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.version)).toEqual([]);
    expect(subscription.counts).toMatchObject({ deadLettered: 1, parked: 1 });
    expect(await checkpoints.getPosition('p')).toBe(2);
  });
});

describe('processingTimeoutMs', () => {
  it('fails a hung handler with a TimeoutError, aborts its signal, and retries it', async () => {
    const { append, manager } = harness();
    await append.ticks('a', 1);
    const signals: AbortSignal[] = [];
    const projection = recordingProjection('p', (_event, context) => {
      signals.push(context.signal);
      if (context.attempt === 0) {
        return new Promise<void>((_, reject) => {
          context.signal.addEventListener('abort', () => reject(context.signal.reason));
        });
      }
    });
    const subscription = manager.subscribe(projection, {
      processingTimeoutMs: 20,
      errorHandling: { retry: instantRetry(2) },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(TimeoutError);
    expect(signals[1]?.aborted).toBe(false);
    const [info] = subscription.errorHandler.recentErrors;
    expect(info).toMatchObject({ errorType: 'TimeoutError', action: 'retry' });
    expect(subscription.counts.timeouts).toBe(1);
  });

  it('creates no timer per event while handlers are fast', async () => {
    vi.useFakeTimers();
    const { append, manager } = harness({ pollIntervalMs: 60_000 });
    await append.spread(200, 5);
    const projection = recordingProjection('p', async () => {});
    const subscription = manager.subscribe(projection, {
      processingTimeoutMs: 30_000,
      batchSize: 50,
    });
    const timers = vi.spyOn(globalThis, 'setTimeout');
    await manager.start();
    await vi.advanceTimersByTimeAsync(0);
    await eventuallyFake(() => projection.applied.length === 200);
    // One watchdog timer plus the idle poll timer; nothing per event.
    expect(timers.mock.calls.length).toBeLessThanOrEqual(3);
    expect(subscription.state).toBe(SubscriptionState.LIVE);
  });
});

describe('onError wiring', () => {
  it('manager.onError receives the handled errors of every subscription (severity gate applies)', async () => {
    const { append, manager } = harness();
    await append.ticks('a', 2);
    const infos: ErrorInfo[] = [];
    const off = manager.onError((info) => {
      infos.push(info);
    });
    const typeErrors = recordingProjection('type-errors', (event) => {
      if (event.aggregateVersion === 1) throw new TypeError('bug');
    });
    const keyErrors = recordingProjection('key-errors', (event) => {
      if (event.aggregateVersion === 1) throw new KeyError('missing');
    });
    manager.subscribe(typeErrors, { dlqOrdering: 'none' });
    manager.subscribe(keyErrors, { dlqOrdering: 'none' });
    await manager.start();
    await manager.whenIdle();
    // TypeError is high severity (notified under the default HIGH gate); KeyError is medium.
    expect(infos.map((info) => [info.subscriptionName, info.errorType, info.action])).toEqual([
      ['type-errors', 'TypeError', 'dlq'],
    ]);
    off();
    expect(infos).toHaveLength(1);
  });

  it('exposes the error handler of each subscription', async () => {
    const { manager } = harness();
    const subscription = manager.subscribe(recordingProjection('p'));
    expect(subscription.errorHandler.subscriptionName).toBe('p');
    await eventually(() => true);
  });
});

async function eventuallyFake(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !condition(); i++) await vi.advanceTimersByTimeAsync(0);
  expect(condition()).toBe(true);
}
