/**
 * E. Poison messages and retry policy, on the in-memory backends with the real
 * SubscriptionManager. Where the catalogue and CONTRACT.md differ, the contract wins: the
 * catalogue's "skip-and-record with a DLQ entry" is our `dlq` action (RETRY_THEN_DLQ with
 * `dlqOrdering: 'none'`), our `skip` writes no DLQ entry, and "park the stream" is
 * `dlqOrdering: 'per-stream'`.
 */
import { SerializationError } from '@es/core';
import {
  ConnectionError,
  calculateBackoff,
  KeyError,
  RetryConfig,
  retryAsync,
} from '@es/resilience';
import { ErrorHandlingStrategy } from '@es/subscriptions';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { REL_AGGREGATE_TYPE, relEvent } from '../../src/support/events.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import {
  dlqFates,
  memoryStack,
  memoryStored,
  recordingProjection,
  recordSkips,
} from '../../src/support/memory.js';
import { Writer, waitUntil } from '../../src/support/workload.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('E1: one poison event among 1 000 streams', () => {
  it('parks the later events of its stream (never handled), processes every other stream, lag returns to 0', async () => {
    const stack = memoryStack();
    const history = new History();
    const writer = new Writer(stack.store, history);
    await writer.run({
      events: 3_000,
      streams: 1_000,
      behaviour: (_n, stream, version) => (stream === 's500' && version === 2 ? 'poison' : 'ok'),
    });
    const manager = stack.manager();
    const projection = recordingProjection('p', history);
    const subscription = manager.subscribe(projection, { batchSize: 200 });
    await manager.start();
    await subscription.whenIdle();
    const health = await subscription.health();
    await manager.stop();
    history.fates(await dlqFates(stack.dlq, 'p'));
    const result = history.check({
      stored: await memoryStored(stack.store),
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    recordFigures(figuresOf('E1', 'memory', result, { faults: 1 }));
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts).toMatchObject({ applied: 2_998, deadLettered: 1, parked: 1 });
    // The parked event was never handed to the handler.
    const parked = (await stack.dlq.getFailedEvents({ status: 'parked' }))[0];
    expect(parked?.streamPosition).toBe(3);
    expect(projection.calls.some((c) => c.eventId === parked?.eventId)).toBe(false);
    expect(await stack.dlq.getBlockedStreams('p')).toEqual(['s500']);
    expect(health.lag).toEqual({ events: 0, seconds: 0 });
    expect(health.dlq).toMatchObject({ depth: 2, blockedStreams: 1 });
  });
});

describe('E2: a transient error that clears after k < max attempts', () => {
  it('is processed once after k failed attempts, never dead-lettered, with the policy’s delays', async () => {
    vi.useFakeTimers();
    const stack = memoryStack();
    const history = new History();
    const retry = {
      maxRetries: 4,
      initialDelayMs: 100,
      maxDelayMs: 10_000,
      exponentialBase: 2,
      jitter: 0,
    };
    const k = 3;
    await stack.store.appendEvents(
      'f',
      REL_AGGREGATE_TYPE,
      [relEvent('f', 1, 1, { behaviour: 'flaky', failTimes: k }), relEvent('f', 2, 2)],
      0,
    );
    history.invoke('f', []).ok();
    const manager = stack.manager();
    const projection = recordingProjection('p', history);
    const subscription = manager.subscribe(projection, { errorHandling: { retry } });
    await manager.start();
    for (let i = 0; i < 200 && projection.calls.length < k + 2; i++) {
      await vi.advanceTimersByTimeAsync(10);
    }
    await manager.stop();
    const flaky = projection.calls.filter(
      (c) => c.attempt >= 0 && c.eventId === projection.calls[0]?.eventId,
    );
    expect(flaky.map((c) => c.attempt)).toEqual([0, 1, 2, 3]);
    const gaps = flaky.slice(1).map((c, i) => c.at - (flaky[i]?.at ?? 0));
    expect(gaps).toEqual([0, 1, 2].map((a) => calculateBackoff(a, retry)));
    expect(gaps).toEqual([100, 200, 400]);
    expect(await stack.dlq.getFailedEvents()).toEqual([]);
    expect(subscription.counts).toMatchObject({ processed: 2, retries: 3, deadLettered: 0 });
    expect(history.fatesOf('p').map((f) => f.version)).toEqual([1, 2]);
  });
});

describe('E3: non-retryable errors', () => {
  for (const [name, make] of [
    ['KeyError', () => new KeyError('missing')],
    ['SerializationError', () => new SerializationError('bad payload', 'RelEvent')],
    ['TypeError', () => new TypeError('bug')],
  ] as const) {
    it(`${name}: dead-lettered on the first failure, zero retries`, async () => {
      const stack = memoryStack();
      const history = new History();
      await stack.store.appendEvents('s', REL_AGGREGATE_TYPE, [relEvent('s', 1, 1)], 0);
      const manager = stack.manager();
      const projection = recordingProjection('p', history, { policy: () => make() });
      const subscription = manager.subscribe(projection, {
        errorHandling: { retry: { maxRetries: 5, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
      });
      await manager.start();
      await subscription.whenIdle();
      await manager.stop();
      expect(projection.calls).toHaveLength(1);
      const [entry] = await stack.dlq.getFailedEvents();
      expect(entry).toMatchObject({ retryCount: 0, status: 'failed' });
      expect(subscription.counts).toMatchObject({ retries: 0, deadLettered: 1 });
    });
  }
});

describe('E4: one fixture, four policies', () => {
  /** Streams S (poison at version 2 of 4) and T (4 events), interleaved. */
  async function fixture() {
    const stack = memoryStack();
    const history = new History();
    const writer = new Writer(stack.store, history);
    for (let v = 1; v <= 4; v++) {
      await writer.appendTo('S', 1, { behaviour: () => (v === 2 ? 'poison' : 'ok') });
      await writer.appendTo('T', 1);
    }
    return { stack, history };
  }

  const noDelay = { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 };

  it('STOP (pause): the subscription halts, checkpoint at the event before the poison', async () => {
    const { stack, history } = await fixture();
    const manager = stack.manager();
    const subscription = manager.subscribe(recordingProjection('p', history), {
      errorHandling: { strategy: ErrorHandlingStrategy.STOP, retry: noDelay },
      checkpointStrategy: 'every_event',
    });
    await manager.start();
    await subscription.whenIdle();
    await manager.stop();
    expect(subscription.state).toBe('error');
    // Order: S1 T1 S2(poison) …: the checkpoint is T1's position (2).
    expect(await stack.checkpoints.getPosition('p')).toBe(2);
    expect(history.fatesOf('p').map((f) => `${f.streamId}${f.version}`)).toEqual(['S1', 'T1']);
    expect(await stack.dlq.getFailedEvents()).toEqual([]);
  });

  it('CONTINUE (our skip): recorded, no DLQ entry, everything else applied', async () => {
    const { stack, history } = await fixture();
    const manager = stack.manager();
    const subscription = manager.subscribe(recordingProjection('p', history), {
      errorHandling: {
        strategy: ErrorHandlingStrategy.CONTINUE,
        retry: noDelay,
        notifyOnSeverity: 'low',
      },
    });
    recordSkips(subscription, history);
    await manager.start();
    await subscription.whenIdle();
    await manager.stop();
    const result = history.check({ stored: await memoryStored(stack.store), subscribers: ['p'] });
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts).toMatchObject({ applied: 7, skipped: 1, deadLettered: 0 });
    expect(await stack.dlq.getFailedEvents()).toEqual([]);
    expect(subscription.errorHandler.recentErrors.at(-1)?.action).toBe('skip');
  });

  it('RETRY_THEN_DLQ, dlqOrdering none (the catalogue’s skip-and-record): a DLQ entry, the stream goes on', async () => {
    const { stack, history } = await fixture();
    const manager = stack.manager();
    const subscription = manager.subscribe(recordingProjection('p', history), {
      errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: noDelay },
      dlqOrdering: 'none',
    });
    await manager.start();
    await subscription.whenIdle();
    await manager.stop();
    history.fates(await dlqFates(stack.dlq, 'p'));
    const result = history.check({ stored: await memoryStored(stack.store), subscribers: ['p'] });
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts).toMatchObject({ applied: 7, deadLettered: 1, parked: 0 });
  });

  it('RETRY_THEN_DLQ, per-stream (park): only S is blocked, T flows', async () => {
    const { stack, history } = await fixture();
    const manager = stack.manager();
    const subscription = manager.subscribe(recordingProjection('p', history), {
      errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: noDelay },
    });
    await manager.start();
    await subscription.whenIdle();
    await manager.stop();
    history.fates(await dlqFates(stack.dlq, 'p'));
    const result = history.check({
      stored: await memoryStored(stack.store),
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts).toMatchObject({ applied: 5, deadLettered: 1, parked: 2 });
    recordFigures(
      figuresOf('E4', 'memory', result, {
        faults: 4,
        notes:
          'same fixture under STOP, CONTINUE, RETRY_THEN_DLQ (none) and RETRY_THEN_DLQ (per-stream); figures of the last',
      }),
    );
  });
});

describe('E5: backoff properties', () => {
  const configArb = fc.record({
    maxRetries: fc.integer({ min: 0, max: 10 }),
    initialDelayMs: fc.integer({ min: 0, max: 5_000 }),
    extra: fc.integer({ min: 0, max: 100_000 }),
    exponentialBase: fc.double({ min: 1, max: 4, noNaN: true }),
    jitter: fc.double({ min: 0, max: 1, noNaN: true }),
  });

  it('every delay lies in [0, maxDelayMs]; without jitter it is min(initial·base^n, max), non-decreasing', () => {
    fc.assert(
      fc.property(
        configArb,
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (c, attempt, r) => {
          const config = new RetryConfig({
            maxRetries: c.maxRetries,
            initialDelayMs: c.initialDelayMs,
            maxDelayMs: c.initialDelayMs + c.extra,
            exponentialBase: c.exponentialBase,
            jitter: c.jitter,
          });
          const d = calculateBackoff(attempt, config, () => r);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(config.maxDelayMs);
          const base = Math.min(
            config.initialDelayMs * config.exponentialBase ** attempt,
            config.maxDelayMs,
          );
          expect(Math.abs(d - Math.min(base, config.maxDelayMs))).toBeLessThanOrEqual(
            c.jitter * base + 1e-6,
          );
          const flat = new RetryConfig({ ...config.toJSON(), jitter: 0 });
          const d0 = calculateBackoff(attempt, flat);
          const d1 = calculateBackoff(attempt + 1, flat);
          expect(d0).toBeCloseTo(base, 6);
          expect(d1).toBeGreaterThanOrEqual(d0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('retryAsync makes exactly maxRetries + 1 calls for a retryable error that never clears', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 8 }), async (maxRetries) => {
        let calls = 0;
        await expect(
          retryAsync(
            async () => {
              calls++;
              throw new ConnectionError('down');
            },
            { config: { maxRetries, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
          ),
        ).rejects.toMatchObject({ code: 'ES_RETRY_EXHAUSTED', attempts: maxRetries + 1 });
        expect(calls).toBe(maxRetries + 1);
      }),
      { numRuns: 30 },
    );
  });

  it('the manager hands a never-clearing transient failure to the handler maxRetries + 1 times, then dead-letters it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6 }), async (maxRetries) => {
        const stack = memoryStack();
        const history = new History();
        await stack.store.appendEvents('s', REL_AGGREGATE_TYPE, [relEvent('s', 1, 1)], 0);
        const manager = stack.manager();
        const projection = recordingProjection('p', history, {
          policy: () => new ConnectionError('down'),
        });
        const subscription = manager.subscribe(projection, {
          errorHandling: { retry: { maxRetries, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
        });
        await manager.start();
        await subscription.whenIdle();
        await manager.stop();
        expect(projection.calls).toHaveLength(maxRetries + 1);
        expect((await stack.dlq.getFailedEvents())[0]?.retryCount).toBe(maxRetries);
      }),
      { numRuns: 7 },
    );
  });
});

describe('E6: every event fails (a systemic outage)', () => {
  const events = 200;
  async function outage(
    handlerBreaker: false | { failureThreshold: number; recoveryTimeoutMs: number },
  ) {
    const stack = memoryStack();
    const history = new History();
    await new Writer(stack.store, history).run({ events, streams: 50 });
    const manager = stack.manager({ handlerBreaker });
    const subscription = manager.subscribe(
      recordingProjection('p', history, { policy: () => new ConnectionError('service down') }),
      {
        dlqOrdering: 'none',
        errorHandling: {
          retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
          errorRateThreshold: 50,
        },
      },
    );
    await manager.start();
    if (handlerBreaker === false) {
      await waitUntil(
        () => subscription.counts.deadLettered === events,
        10_000,
        'every event dead-lettered',
      );
    } else {
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const health = await subscription.health();
    const deadLettered = subscription.counts.deadLettered;
    await manager.stop();
    return { health, deadLettered };
  }

  it('without a breaker: everything is dead-lettered and the DLQ growth raises the alarm (unhealthy)', async () => {
    const { health, deadLettered } = await outage(false);
    expect(deadLettered).toBe(events);
    expect(health.status).toBe('unhealthy');
    expect(health.dlq.depth).toBe(events);
    expect(health.errors.join('\n')).toMatch(/Error rate .* exceeds threshold/);
    expect(health.warnings.join('\n')).toMatch(/unresolved DLQ entr/);
  });

  it('with the handler circuit breaker: processing waits instead of dead-lettering everything', async () => {
    const { health, deadLettered } = await outage({
      failureThreshold: 3,
      recoveryTimeoutMs: 10_000,
    });
    expect(deadLettered).toBeLessThanOrEqual(1);
    expect(health.breakers.handler).toBe('open');
    expect(health.status).not.toBe('healthy');
    recordFigures({
      id: 'E6',
      backend: 'memory',
      events,
      faults: events,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      deadLettered,
      notes: `every handler call fails (transient): without a breaker all ${events} are dead-lettered and health is unhealthy (error rate); with the handler breaker (3 failures) ${deadLettered} dead-lettered in 300 ms, breaker ${health.breakers.handler}`,
    });
  });
});
