/**
 * A. DLQ repository reliability on the in-memory repository, and A10 (a failing DLQ write never
 * lets the subscription move past the event) with the real manager.
 */
import { DLQOverflowError, type DLQRepository, InMemoryDLQRepository } from '@es/dlq';
import { createManualClock } from '@es/dlq/testing';
import { defaultClassifier } from '@es/resilience';
import { describe, expect, it } from 'vitest';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { describeDlqReliability } from '../../src/suites/dlq-reliability.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import {
  dlqFates,
  memoryStack,
  memoryStored,
  recordingProjection,
} from '../../src/support/memory.js';
import { Writer, waitUntil } from '../../src/support/workload.js';

describeDlqReliability('InMemoryDLQRepository', 'memory', async () => {
  const clock = createManualClock();
  const repo = new InMemoryDLQRepository({ clock: clock.now });
  return {
    repo,
    advance: (ms) => clock.advance(ms),
    limited: (limits) => new InMemoryDLQRepository({ clock: clock.now, ...limits }),
    cleanup: async () => {},
  };
});

/** A DLQ repository whose writes fail while `failing` is true. */
function breakable(inner: DLQRepository): DLQRepository & { failing: boolean; failures: number } {
  const state = { failing: false, failures: 0 };
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'failing' || property === 'failures') return state[property];
      const value = Reflect.get(target, property, receiver);
      if (property === 'addFailedEvent') {
        return async (input: Parameters<DLQRepository['addFailedEvent']>[0]) => {
          if (state.failing) {
            state.failures++;
            throw Object.assign(new Error('connection to the DLQ lost'), { code: 'ECONNRESET' });
          }
          return target.addFailedEvent(input);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(_target, property, value) {
      if (property === 'failing') {
        state.failing = value as boolean;
        return true;
      }
      return false;
    },
  }) as DLQRepository & { failing: boolean; failures: number };
}

describe('A10: the DLQ write fails', () => {
  it('the subscription does not advance its checkpoint past the event; the error surfaces; nothing is lost', async () => {
    const stack = memoryStack();
    const dlq = breakable(stack.dlq);
    const history = new History();
    const writer = new Writer(stack.store, history);
    await writer.appendTo('a', 2);
    await writer.appendTo('b', 1, { behaviour: () => 'poison' });
    await writer.appendTo('c', 2);
    dlq.failing = true;
    const manager = stack.manager({ dlqRepo: dlq });
    const subscription = manager.subscribe(recordingProjection('p', history), {
      checkpointStrategy: 'every_event',
      errorHandling: { retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
    });
    await manager.start();
    await waitUntil(() => dlq.failures >= 3, 5_000, 'failed DLQ writes');
    const stuck = await stack.checkpoints.getPosition('p');
    const health = await subscription.health();
    expect(stuck).toBe(2); // the two events of a, never the poison (3) or what follows
    expect(history.fatesOf('p')).toHaveLength(2);
    expect(health.status).toBe('unhealthy');
    expect(health.lastError?.source).toBe('dlq');
    dlq.failing = false;
    await waitUntil(
      async () => (await stack.checkpoints.getPosition('p')) === 5,
      5_000,
      'recovery',
    );
    await manager.stop();
    history.fates(await dlqFates(stack.dlq, 'p'));
    const result = history.check({
      stored: await memoryStored(stack.store),
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    recordFigures(
      figuresOf('A10', 'memory', result, {
        faults: dlq.failures,
        notes: 'DLQ writes fail, then recover',
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts.deadLettered).toBe(1);
  });
});

/** Counts the overflow refusals of `inner.addFailedEvent`. */
function countingOverflows(inner: DLQRepository): DLQRepository & { overflows: () => number } {
  let overflows = 0;
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'overflows') return () => overflows;
      const value = Reflect.get(target, property, receiver);
      if (property === 'addFailedEvent') {
        return async (input: Parameters<DLQRepository['addFailedEvent']>[0]) => {
          try {
            return await target.addFailedEvent(input);
          } catch (error) {
            if (error instanceof DLQOverflowError) overflows++;
            throw error;
          }
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as DLQRepository & { overflows: () => number };
}

describe('A7: the DLQ is full', () => {
  it('the overflow error is an infrastructure condition, never permanent', () => {
    const error = new DLQOverflowError('maxEntriesPerProjection', 1, 'p', null, 'e');
    const classified = defaultClassifier.classify(error);
    expect(classified.category).not.toBe('application');
  });

  it('the subscription pauses before the event (checkpoint, health), drops nothing, and goes on once there is room', async () => {
    const stack = memoryStack();
    const full = new InMemoryDLQRepository({ maxEntriesPerProjection: 1 });
    const dlq = countingOverflows(full);
    const history = new History();
    const writer = new Writer(stack.store, history);
    await writer.appendTo('a', 2);
    await writer.appendTo('b', 1, { behaviour: () => 'poison' }); // dead-lettered: the DLQ is full
    await writer.appendTo('c', 1, { behaviour: () => 'poison' }); // refused: overflow
    await writer.appendTo('d', 2);
    const manager = stack.manager({ dlqRepo: dlq });
    const subscription = manager.subscribe(recordingProjection('p', history), {
      checkpointStrategy: 'every_event',
      errorHandling: { retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
    });
    await manager.start();
    await waitUntil(() => dlq.overflows() >= 5, 5_000, 'refused DLQ writes');
    const paused = await stack.checkpoints.getPosition('p');
    const health = await subscription.health();
    expect(paused).toBe(3); // a (2) and the dead-lettered b; never c (4) or d behind it
    expect(history.fatesOf('p')).toHaveLength(2);
    expect(health.status).toBe('unhealthy');
    expect(health.lastError).toMatchObject({ source: 'dlq', code: 'ES_DLQ_OVERFLOW' });
    expect(subscription.state).not.toBe('failed');
    // The operator makes room: the subscription goes on by itself.
    const [first] = await full.getFailedEvents({ projectionName: 'p' });
    expect(await full.markDiscarded(first?.id ?? '', 'ops')).toBe(true);
    await waitUntil(
      async () => (await stack.checkpoints.getPosition('p')) === 6,
      5_000,
      'recovery',
    );
    await manager.stop();
    history.fates(await dlqFates(full, 'p'));
    const result = history.check({
      stored: await memoryStored(stack.store),
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    recordFigures(
      figuresOf('A7', 'memory', result, {
        faults: dlq.overflows(),
        notes:
          'maxEntriesPerProjection 1: the subscription paused on ES_DLQ_OVERFLOW, resumed after a discard',
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts.deadLettered).toBe(2);
  });
});
