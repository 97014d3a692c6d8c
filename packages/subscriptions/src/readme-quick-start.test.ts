// The README's quick start, run as written (only console output is captured).
import { defineEvent, payload } from '@es/core';
import { InMemoryDLQRepository } from '@es/dlq';
import { calculateBackoff, ErrorSeverity, KeyError } from '@es/resilience';
import { expect, it, vi } from 'vitest';
import { ErrorHandlingStrategy, SubscriptionErrorHandler } from './index.js';

it('runs the README quick start', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const TaskCompleted = defineEvent('ReadmeTaskCompleted', {
      aggregateType: 'Task',
      payload: payload<{ completedBy: string }>(),
      registry: null,
    });

    const tasks = new Map<string, string>();
    const dlqRepo = new InMemoryDLQRepository();
    const handler = new SubscriptionErrorHandler({
      subscriptionName: 'TaskProjection',
      config: {
        strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ,
        maxErrorsBeforeStop: 1000, // stop after 1000 errors
        errorRateThreshold: 10, // unhealthy above 10 errors per minute
        notifyOnSeverity: ErrorSeverity.HIGH, // callbacks for high and critical errors
        retry: { maxRetries: 3, initialDelayMs: 100 },
      },
      dlqRepo,
    });
    handler.onSeverity(ErrorSeverity.CRITICAL, (info) => {
      console.error(`CRITICAL: ${info.errorMessage}`);
    });

    async function project(event: ReturnType<typeof TaskCompleted.create>): Promise<void> {
      for (let retryCount = 0; ; retryCount++) {
        try {
          if (!tasks.has(event.aggregateId)) {
            throw new KeyError(`Task ${event.aggregateId} not found`);
          }
          return;
        } catch (error) {
          const info = await handler.handleError({ error, event, retryCount });
          if (info.action === 'retry') {
            await new Promise((r) =>
              setTimeout(r, calculateBackoff(retryCount, handler.config.retry)),
            );
            continue;
          }
          if (info.action === 'stop' || (info.action === 'dlq' && !info.sentToDlq)) {
            throw new Error(`stopping before event ${info.eventId}`);
          }
          return; // 'dlq' (written) or 'skip' (recorded): move on
        }
      }
    }

    const event = TaskCompleted.create({ aggregateId: 'task-404', completedBy: 'ana' });
    await project(event);
    console.log(`DLQ count: ${handler.stats.dlqCount}`);
    console.log(handler.getHealthStatus().warnings);

    expect(log.mock.calls).toEqual([
      ['DLQ count: 1'],
      [['DLQ received 1 event(s) from this subscription']],
    ]);
    const [entry] = await dlqRepo.getFailedEvents({ projectionName: 'TaskProjection' });
    expect(entry).toMatchObject({
      eventId: event.eventId,
      eventType: 'ReadmeTaskCompleted',
      errorMessage: 'Task task-404 not found',
      retryCount: 0,
      streamId: 'task-404',
      streamPosition: 1,
      status: 'failed',
    });
    expect(entry?.eventData).toMatchObject({ completedBy: 'ana', aggregateId: 'task-404' });
  } finally {
    log.mockRestore();
  }
});
