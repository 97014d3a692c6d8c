// The handler against the real in-memory DLQ repository of @es/dlq.
import { InMemoryDLQRepository } from '@es/dlq';
import { ConnectionError, KeyError } from '@es/resilience';
import { describe, expect, it } from 'vitest';
import { makeEvent, makeStored, manualClock } from './internal/test-support.js';
import { SubscriptionErrorHandler } from './subscription-error-handler.js';

describe('SubscriptionErrorHandler with InMemoryDLQRepository', () => {
  it('dead-letters a permanent error at once and a transient one after its retries', async () => {
    const time = manualClock();
    const dlqRepo = new InMemoryDLQRepository();
    const handler = new SubscriptionErrorHandler({
      subscriptionName: 'TaskProjection',
      config: { retry: { maxRetries: 2, initialDelayMs: 0 } },
      dlqRepo,
      clock: time.clock,
    });
    const poison = makeEvent({ aggregateId: 'task-1', aggregateVersion: 3 });
    const flaky = makeEvent({ aggregateId: 'task-2', aggregateVersion: 1 });

    const first = await handler.handleError({
      error: new KeyError('task-1 not found'),
      storedEvent: makeStored(poison, 11),
    });
    const actions = [];
    for (let retryCount = 0; retryCount <= 2; retryCount++) {
      const info = await handler.handleError({
        error: new ConnectionError('connection reset'),
        storedEvent: makeStored(flaky, 12),
        retryCount,
      });
      actions.push(info.action);
    }

    expect(first).toMatchObject({ action: 'dlq', sentToDlq: true });
    expect(actions).toEqual(['retry', 'retry', 'dlq']);
    const entries = await dlqRepo.getFailedEvents({ projectionName: 'TaskProjection' });
    expect(entries).toHaveLength(2);
    const byEvent = new Map(entries.map((e) => [e.eventId, e]));
    expect(byEvent.get(poison.eventId)).toMatchObject({
      id: first.dlqId,
      eventType: 'TaskCreated',
      errorMessage: 'task-1 not found',
      retryCount: 0,
      streamId: 'task-1',
      streamPosition: 3,
      position: 11,
    });
    expect(byEvent.get(flaky.eventId)).toMatchObject({ retryCount: 2, position: 12 });
    expect(handler.stats).toMatchObject({ totalErrors: 4, dlqCount: 2, retriedErrors: 2 });
    expect(await dlqRepo.getBlockedStreams('TaskProjection')).toEqual(
      expect.arrayContaining(['task-1', 'task-2']),
    );
  });
});
