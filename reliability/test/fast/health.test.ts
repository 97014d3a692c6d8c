/**
 * J. Health and alerts on the in-memory backends: every state is exposed with its reason,
 * position, lag and last error (J1); the DLQ metrics (J2). The horizon stall (J3) needs
 * PostgreSQL and runs in the integration tier.
 */
import { ConnectionError, KeyError } from '@es/resilience';
import type { SubscriptionHealth } from '@es/subscriptions';
import { describe, expect, it } from 'vitest';
import { History } from '../../src/history/history.js';
import { memoryStack, recordingProjection } from '../../src/support/memory.js';
import { Writer, waitUntil } from '../../src/support/workload.js';

describe('J1: status transitions are exposed with reason, position, lag and last error', () => {
  it('catching_up → live → retrying (backoff) → paused → live → error / stopped', async () => {
    const stack = memoryStack();
    const history = new History();
    const writer = new Writer(stack.store, history);
    await writer.run({ events: 800, streams: 20 });
    let failing = false;
    let slow = true;
    const manager = stack.manager();
    const subscription = manager.subscribe(
      recordingProjection('p', history, {
        before: () =>
          new Promise((resolve) => (slow ? setTimeout(resolve, 1) : setImmediate(resolve))),
        policy: (event) =>
          failing && event.aggregateId === 'hot'
            ? new ConnectionError('downstream unavailable')
            : (event as { behaviour?: string }).behaviour === 'poison'
              ? new KeyError('poison')
              : undefined,
      }),
      {
        batchSize: 50,
        errorHandling: {
          strategy: 'retry_then_dlq',
          retry: { maxRetries: 50, initialDelayMs: 200, maxDelayMs: 200, jitter: 0 },
        },
      },
    );
    const seen: SubscriptionHealth[] = [];
    await manager.start();
    await waitUntil(() => history.fatesOf('p').length > 100, 5_000, 'progress', 1);
    const catchingUp = await subscription.health();
    slow = false;
    seen.push(catchingUp);
    expect(catchingUp.state).toBe('catching_up');
    expect(catchingUp.position).not.toBeNull();
    expect(catchingUp.lag.events).toBeGreaterThan(0);
    expect(catchingUp.lag.seconds).not.toBeNull();

    await subscription.whenIdle();
    const live = await subscription.health();
    expect(live).toMatchObject({
      state: 'live',
      status: 'healthy',
      lag: { events: 0, seconds: 0 },
    });

    failing = true;
    await writer.appendTo('hot', 1);
    await waitUntil(() => subscription.counts.retries >= 1, 5_000, 'a retry');
    const retrying = await subscription.health();
    expect(retrying.lastError).toMatchObject({ source: 'handler', code: 'ES_CONNECTION' });
    expect(retrying.lag.events).toBe(1);
    expect(retrying.counts.retries).toBeGreaterThanOrEqual(1);

    await subscription.pause();
    const paused = await subscription.health();
    expect(paused.state).toBe('paused');
    failing = false;
    subscription.resume();
    await subscription.whenIdle();
    expect((await subscription.health()).state).toBe('live');

    // A STOP subscription fails on a poison event: state error, the reason, the checkpoint before it.
    const stopper = manager.subscribe(recordingProjection('stopper', history), {
      startFrom: 'end',
      errorHandling: { strategy: 'stop' },
      checkpointStrategy: 'every_event',
    });
    await stopper.whenIdle();
    const before = await stack.checkpoints.getPosition('stopper');
    await writer.appendTo('poison-stream', 1, { behaviour: () => 'poison' });
    await waitUntil(() => stopper.state === 'error', 5_000, 'the STOP subscription to fail');
    const failed = await stopper.health();
    expect(failed).toMatchObject({ state: 'error', status: 'unhealthy', healthy: false });
    expect(failed.errors.join('\n')).toMatch(/Subscription failed/);
    expect(failed.lastError).toMatchObject({ source: 'handler', code: 'ES_KEY_NOT_FOUND' });
    expect(await stack.checkpoints.getPosition('stopper')).toBe(before);

    await manager.stop();
    expect(subscription.state).toBe('stopped');
    expect(stopper.state).toBe('error');
    expect((await manager.health()).status).toBe('unhealthy');
  });
});

describe('J2: DLQ metrics', () => {
  it('depth and oldest age per subscription, counts per projection, blocked streams', async () => {
    let now = Date.UTC(2030, 0, 1);
    const clock = () => now;
    const stack = memoryStack({ clock });
    const history = new History();
    const writer = new Writer(stack.store, history);
    const manager = stack.manager({ clock });
    const a = manager.subscribe(recordingProjection('a', history), {
      errorHandling: { retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
    });
    const b = manager.subscribe(recordingProjection('b', history), {
      dlqOrdering: 'none',
      errorHandling: { retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
    });
    await manager.start();
    await writer.appendTo('S', 1, { behaviour: () => 'poison' });
    await writer.appendTo('S', 2);
    await writer.appendTo('T', 1);
    await manager.whenIdle();
    now += 90_000;
    await writer.appendTo('U', 1, { behaviour: () => 'poison' });
    await manager.whenIdle();
    now += 10_000;
    const [ha, hb] = [await a.health(), await b.health()];
    expect(ha.dlq).toMatchObject({ depth: 4, blockedStreams: 2, oldestAgeMs: 100_000 });
    expect(hb.dlq).toMatchObject({ depth: 2, blockedStreams: 0, oldestAgeMs: 100_000 });
    expect(ha.status).toBe('degraded');
    expect(ha.warnings.join('\n')).toMatch(/4 unresolved DLQ entries/);
    expect(await stack.dlq.getProjectionFailureCounts()).toEqual([
      expect.objectContaining({ projectionName: 'a', failureCount: 2 }),
      expect.objectContaining({ projectionName: 'b', failureCount: 2 }),
    ]);
    expect(await stack.dlq.getFailureStats()).toMatchObject({
      totalFailed: 4,
      totalParked: 2,
      affectedProjections: 2,
      oldestFailure: new Date(Date.UTC(2030, 0, 1)),
    });
    expect(await stack.dlq.getBlockedStreams('a')).toEqual(['S', 'U']);
    // "By reason": the entries carry the error and the type to group on.
    const reasons = (await stack.dlq.getFailedEvents({ projectionName: 'a' })).map(
      (e) => e.errorMessage,
    );
    expect(reasons.every((r) => r.startsWith('poison event'))).toBe(true);
    await manager.stop();
  });
});
