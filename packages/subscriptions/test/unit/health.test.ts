import { KeyError } from '@es/resilience';
import { afterEach, describe, expect, it } from 'vitest';
import type { SubscriptionManager } from '../../src/manager/subscription-manager.js';
import { createHarness, recordingProjection } from '../support/harness.js';

let running: SubscriptionManager[] = [];
afterEach(async () => {
  await Promise.all(running.map((manager) => manager.stop()));
  running = [];
});

describe('health', () => {
  it('reports state, positions, lag, DLQ depth and age, breakers, last error and counts', async () => {
    let now = Date.now();
    const h = createHarness({ clock: () => now, handlerBreaker: {} });
    running.push(h.manager);
    const { append, manager } = h;
    await append.ticks('a', 1, 'poison');
    await append.ticks('a', 1);
    await append.ticks('b', 2);
    const projection = recordingProjection('p', (event) => {
      if ((event as unknown as { tag?: string }).tag === 'poison') throw new KeyError('bad data');
    });
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();

    now += 60_000;
    let health = await subscription.health();
    expect(health).toMatchObject({
      subscriptionId: 'p',
      projectionName: 'p',
      state: 'live',
      status: 'degraded',
      healthy: true,
      position: 4,
      checkpoint: 4,
      lag: { events: 0, seconds: 0 },
      dlq: { depth: 2, blockedStreams: 1, oldestAgeMs: expect.any(Number) },
      breakers: { infrastructure: 'closed', handler: 'closed' },
      lastError: {
        source: 'handler',
        name: 'KeyError',
        code: 'ES_KEY_NOT_FOUND',
        message: 'bad data',
      },
      counts: {
        processed: 2,
        deadLettered: 1,
        parked: 1,
        skipped: 0,
        retries: 0,
        failures: 1,
        timeouts: 0,
      },
    });
    expect(health.dlq.oldestAgeMs).toBeGreaterThanOrEqual(59_000);
    expect(health.dlq.oldest).toBeInstanceOf(Date);
    expect(health.errorRatePerMinute).toBe(0);
    expect(health.errorHandler.stats.totalErrors).toBe(1);
    expect(health.warnings.join('\n')).toMatch(/2 unresolved DLQ entries/);

    // Lag: pause, append 3 events (stamped with the real time), and move the clock on by 5 s.
    await subscription.pause();
    now = Date.now();
    await append.ticks('c', 3);
    now += 5_000;
    health = await subscription.health();
    expect(health.state).toBe('paused');
    expect(health.lag.events).toBe(3);
    expect(health.lag.seconds).toBeGreaterThanOrEqual(4.9);
    expect(health.lag.seconds).toBeLessThan(6);
  });

  it('manager health is the worst of its subscriptions', async () => {
    const h = createHarness();
    running.push(h.manager);
    const { append, manager } = h;
    await append.ticks('a', 1);
    manager.subscribe(recordingProjection('fine'));
    manager.subscribe(
      recordingProjection('broken', () => {
        throw new KeyError('x');
      }),
      { errorHandling: { strategy: 'stop' } },
    );
    let health = await manager.health();
    expect(health).toMatchObject({ running: false, status: 'healthy' });
    await manager.start();
    await manager.whenIdle();
    health = await manager.health();
    expect(health.running).toBe(true);
    expect(health.status).toBe('unhealthy');
    expect(health.healthy).toBe(false);
    expect(health.subscriptions.map((s) => [s.subscriptionId, s.state, s.status])).toEqual([
      ['fine', 'live', 'healthy'],
      ['broken', 'error', 'unhealthy'],
    ]);
  });

  it('shows null figures (and a warning) when the store or the DLQ cannot be read', async () => {
    const h = createHarness();
    running.push(h.manager);
    const subscription = h.manager.subscribe(recordingProjection('p'));
    h.dlq.getProjectionDepth = async () => {
      throw new Error('dlq offline');
    };
    const store = h.store as unknown as { readAll: unknown };
    store.readAll = () => {
      throw new Error('store offline');
    };
    const health = await subscription.health();
    expect(health.lag).toEqual({ events: null, seconds: null });
    expect(health.dlq.depth).toBeNull();
    expect(health.warnings.join('\n')).toMatch(/store offline/);
    expect(health.warnings.join('\n')).toMatch(/dlq offline/);
  });
});
