import { InMemoryEventStore } from '@es/core';
import { ConnectionError } from '@es/resilience';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  SubscriptionAlreadyExistsError,
  SubscriptionConfigError,
  SubscriptionStateError,
} from '../../src/errors.js';
import { InMemoryCheckpointRepository } from '../../src/in-memory-checkpoint-repository.js';
import { SubscriptionManager } from '../../src/manager/subscription-manager.js';
import { SubscriptionState } from '../../src/subscription-state.js';
import { createHarness, deferred, eventually, recordingProjection } from '../support/harness.js';

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

function configError(run: () => unknown): SubscriptionConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SubscriptionConfigError);
    return error as SubscriptionConfigError;
  }
  throw new Error('expected a SubscriptionConfigError');
}

describe('configuration', () => {
  const base = () => ({
    eventStore: new InMemoryEventStore(),
    checkpointRepo: new InMemoryCheckpointRepository(),
  });

  it.each([
    ['eventStore', { eventStore: undefined }, 'SubscriptionManagerOptions.eventStore'],
    ['checkpointRepo', { checkpointRepo: {} }, 'SubscriptionManagerOptions.checkpointRepo'],
    ['pollIntervalMs', { pollIntervalMs: 0 }, 'SubscriptionManagerOptions.pollIntervalMs'],
    [
      'shutdownTimeoutMs',
      { shutdownTimeoutMs: -1 },
      'SubscriptionManagerOptions.shutdownTimeoutMs',
    ],
    ['clock', { clock: 5 }, 'SubscriptionManagerOptions.clock'],
    [
      'errorHandling.strategy',
      { errorHandling: { strategy: 'sometimes' } },
      'SubscriptionManagerOptions.errorHandling.strategy',
    ],
    [
      'infrastructureBreaker.failureThreshold',
      { infrastructureBreaker: { failureThreshold: 0 } },
      'SubscriptionManagerOptions.infrastructureBreaker.failureThreshold',
    ],
  ])('rejects a bad manager option (%s) naming the field', (_, override, field) => {
    const error = configError(
      () => new SubscriptionManager({ ...base(), ...(override as object) } as never),
    );
    expect(error.code).toBe('ES_SUBSCRIPTION_CONFIG');
    expect(error.field).toBe(field);
  });

  it.each([
    ['batchSize', { batchSize: 0 }, 'SubscriptionConfig.batchSize'],
    ['batchSize (fraction)', { batchSize: 1.5 }, 'SubscriptionConfig.batchSize'],
    ['startFrom (empty)', { startFrom: '' }, 'SubscriptionConfig.startFrom'],
    ['startFrom (object)', { startFrom: {} }, 'SubscriptionConfig.startFrom'],
    ['startFrom (fraction)', { startFrom: 1.5 }, 'SubscriptionConfig.startFrom'],
    ['startFrom (negative)', { startFrom: -1 }, 'SubscriptionConfig.startFrom'],
    [
      'checkpointStrategy',
      { checkpointStrategy: 'never' },
      'SubscriptionConfig.checkpointStrategy',
    ],
    [
      'checkpointIntervalMs',
      { checkpointIntervalMs: 0 },
      'SubscriptionConfig.checkpointIntervalMs',
    ],
    ['processingTimeoutMs', { processingTimeoutMs: -5 }, 'SubscriptionConfig.processingTimeoutMs'],
    ['dlqOrdering', { dlqOrdering: 'random' }, 'SubscriptionConfig.dlqOrdering'],
    ['id', { id: '' }, 'SubscriptionConfig.id'],
    [
      'errorHandling.retry.maxRetries',
      { errorHandling: { retry: { maxRetries: -1 } } },
      'SubscriptionConfig.errorHandling.retry.maxRetries',
    ],
    [
      'handlerBreaker.recoveryTimeoutMs',
      { handlerBreaker: { recoveryTimeoutMs: -1 } },
      'SubscriptionConfig.handlerBreaker.recoveryTimeoutMs',
    ],
  ])('rejects a bad subscription config (%s) naming the field', (_, config, field) => {
    const manager = new SubscriptionManager(base());
    const error = configError(() => manager.subscribe(recordingProjection('p'), config as never));
    expect(error.field).toBe(field);
    expect(error.subscriptionName).toBe(field === 'SubscriptionConfig.id' ? '' : 'p');
  });

  it.each([
    ['name', { name: '', handle: () => {} }, 'projection.name'],
    ['handle', { name: 'p' }, 'projection.handle'],
    ['eventTypes', { name: 'p', handle: () => {}, eventTypes: [] }, 'projection.eventTypes'],
  ])('rejects a bad projection (%s)', (_, projection, field) => {
    const manager = new SubscriptionManager(base());
    expect(configError(() => manager.subscribe(projection as never)).field).toBe(field);
  });

  it('rejects a duplicate subscription id', () => {
    const manager = new SubscriptionManager(base());
    manager.subscribe(recordingProjection('p'));
    expect(() => manager.subscribe(recordingProjection('p'))).toThrow(
      SubscriptionAlreadyExistsError,
    );
    // A second subscription of the same projection under another id is fine.
    expect(manager.subscribe(recordingProjection('p'), { id: 'p-copy' }).id).toBe('p-copy');
    expect(manager.subscriptions.map((s) => s.id)).toEqual(['p', 'p-copy']);
    expect(manager.getSubscription('p-copy')?.projection.name).toBe('p');
  });

  it('fills the documented defaults', () => {
    const manager = new SubscriptionManager(base());
    const { config } = manager.subscribe(recordingProjection('p'));
    expect(config).toMatchObject({
      id: 'p',
      startFrom: 'checkpoint',
      batchSize: 100,
      checkpointStrategy: 'every_batch',
      processingTimeoutMs: 30_000,
      dlqOrdering: 'per-stream',
    });
    expect(config.errorHandling.strategy).toBe('retry_then_dlq');
  });
});

describe('start and stop', () => {
  it('stop() resolves on a manager that never started, and is idempotent', async () => {
    const { manager } = harness();
    const subscription = manager.subscribe(recordingProjection('p'));
    const first = manager.stop();
    expect(manager.stop()).toBe(first);
    await first;
    expect(subscription.state).toBe(SubscriptionState.STOPPED);
    await expect(manager.start()).rejects.toBeInstanceOf(SubscriptionStateError);
    expect(() => manager.subscribe(recordingProjection('q'))).toThrow(SubscriptionStateError);
  });

  it('moves starting → catching_up → live → stopped and flushes the checkpoint', async () => {
    const { append, manager, checkpoints } = harness();
    await append.spread(5, 1);
    const gate = deferred();
    const states: string[] = [];
    const projection = recordingProjection('p', async () => {
      states.push(subscription.state);
      await gate.promise;
    });
    const subscription = manager.subscribe(projection, {
      checkpointStrategy: 'periodic',
      checkpointIntervalMs: 60_000,
    });
    states.push(subscription.state);
    await manager.start();
    expect(manager.running).toBe(true);
    gate.resolve();
    await subscription.whenIdle();
    states.push(subscription.state);
    expect(states).toEqual([
      'starting',
      'catching_up',
      'catching_up',
      'catching_up',
      'catching_up',
      'catching_up',
      'live',
    ]);
    // PERIODIC with a long interval: nothing saved yet; stop() flushes.
    expect(await checkpoints.getPosition('p')).toBeNull();
    await manager.stop();
    expect(subscription.state).toBe(SubscriptionState.STOPPED);
    expect(manager.running).toBe(false);
    expect(await checkpoints.getPosition('p')).toBe(5);
  });

  it('stop() lets the handler call in flight finish, then checkpoints it', async () => {
    const { append, manager, checkpoints } = harness();
    await append.spread(3, 1);
    const gate = deferred();
    const entered = deferred();
    const projection = recordingProjection('p', async (event) => {
      if (event.aggregateVersion === 2) {
        entered.resolve();
        await gate.promise;
      }
    });
    manager.subscribe(projection);
    await manager.start();
    await entered.promise;
    const stopping = manager.stop();
    setTimeout(() => gate.resolve(), 5);
    await stopping;
    expect(projection.applied.map((call) => call.version)).toEqual([1, 2]);
    expect(await checkpoints.getPosition('p')).toBe(2);
  });

  it('stop() during a retry backoff resolves promptly, with the checkpoint before the event', async () => {
    const { append, manager, checkpoints } = harness();
    await append.spread(2, 1);
    const projection = recordingProjection('p', (event) => {
      if (event.aggregateVersion === 2) throw new ConnectionError('down');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { retry: { maxRetries: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 } },
    });
    await manager.start();
    await eventually(() => projection.calls.length === 2, 1_000, 'first failure');
    const started = Date.now();
    await manager.stop();
    // The backoff is 60 s: anything far below it means stop() did not wait for it.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(subscription.state).toBe(SubscriptionState.STOPPED);
    expect(await checkpoints.getPosition('p')).toBe(1);
    expect(projection.calls).toHaveLength(2);
  });

  it('stop() gives up on a hung handler after shutdownTimeoutMs and aborts its signal', async () => {
    const { append, manager, checkpoints } = harness({ shutdownTimeoutMs: 30 });
    await append.spread(2, 1);
    let signal: AbortSignal | undefined;
    const projection = recordingProjection('p', (event, context) => {
      if (event.aggregateVersion === 2) {
        signal = context.signal;
        return new Promise<void>(() => {});
      }
    });
    const subscription = manager.subscribe(projection, { processingTimeoutMs: 0 });
    await manager.start();
    await eventually(() => signal !== undefined, 1_000, 'hung handler');
    await manager.stop();
    expect(signal?.aborted).toBe(true);
    expect(subscription.state).toBe(SubscriptionState.STOPPED);
    expect(await checkpoints.getPosition('p')).toBe(1);
  });

  it('stop() of one subscription leaves the others running', async () => {
    const { append, manager } = harness();
    const a = recordingProjection('a');
    const b = recordingProjection('b');
    const subA = manager.subscribe(a);
    const subB = manager.subscribe(b);
    await manager.start();
    await subA.stop();
    await append.spread(2, 1);
    await subB.whenIdle();
    expect(b.applied).toHaveLength(2);
    expect(a.applied).toHaveLength(0);
    expect(subA.state).toBe(SubscriptionState.STOPPED);
    expect(() => subA.resume()).toThrow(SubscriptionStateError);
  });
});

describe('resources', () => {
  it('leaves no timer behind after stop()', async () => {
    vi.useFakeTimers();
    const { append, manager } = harness({ pollIntervalMs: 50 });
    await append.spread(5, 2);
    const subscription = manager.subscribe(recordingProjection('p'), {
      processingTimeoutMs: 1_000,
    });
    await manager.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(subscription.position).toBe(5);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await manager.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps working by polling when the event bus cannot be subscribed to, and logs it', async () => {
    const errors: string[] = [];
    const { append, manager } = harness({
      eventBus: {
        publish: () => {},
        subscribe: () => {
          throw new Error('bus offline');
        },
      },
      pollIntervalMs: 2,
      logger: { error: (message) => errors.push(message) },
    });
    const projection = recordingProjection('p');
    manager.subscribe(projection);
    await manager.start();
    await append.spread(2, 1);
    await eventually(() => projection.applied.length === 2, 1_000, 'polling');
    expect(errors.join('\n')).toMatch(/event bus/);
  });
});

describe('pause and resume', () => {
  it('a paused subscription handles nothing, flushes its checkpoint, and resumes where it stopped', async () => {
    const { append, manager, checkpoints } = harness();
    await append.spread(3, 1);
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, {
      checkpointStrategy: 'periodic',
      checkpointIntervalMs: 60_000,
    });
    await manager.start();
    await subscription.whenIdle();
    await subscription.pause();
    expect(subscription.state).toBe(SubscriptionState.PAUSED);
    expect(await checkpoints.getPosition('p')).toBe(3);
    await append.spread(2, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(projection.applied).toHaveLength(3);
    subscription.resume();
    await subscription.whenIdle();
    expect(projection.applied.map((call) => call.globalPosition)).toEqual([1, 2, 3, 4, 5]);
    expect(subscription.state).toBe(SubscriptionState.LIVE);
  });

  it('pause during a retry backoff cuts the wait; resume retries the same event', async () => {
    const { append, manager } = harness();
    await append.spread(1, 1);
    let fail = true;
    const projection = recordingProjection('p', () => {
      if (fail) throw new ConnectionError('down');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { retry: { maxRetries: 5, initialDelayMs: 60_000, maxDelayMs: 60_000 } },
    });
    await manager.start();
    await eventually(() => projection.calls.length === 1, 1_000, 'first failure');
    await subscription.pause();
    expect(subscription.state).toBe(SubscriptionState.PAUSED);
    fail = false;
    subscription.resume();
    await subscription.whenIdle();
    expect(projection.calls.map((call) => call.attempt)).toEqual([0, 1]);
    expect(projection.applied).toHaveLength(1);
  });

  it('manager.pause() and resume() apply to every subscription', async () => {
    const { append, manager } = harness();
    const a = manager.subscribe(recordingProjection('a'));
    const b = manager.subscribe(recordingProjection('b'));
    await manager.start();
    await manager.pause();
    expect([a.state, b.state]).toEqual(['paused', 'paused']);
    await append.spread(1, 1);
    manager.resume();
    await manager.whenIdle();
    expect([a.state, b.state]).toEqual(['live', 'live']);
    expect(a.position).toBe(1);
  });

  it('a subscription paused before start starts paused', async () => {
    const { append, manager } = harness();
    await append.spread(2, 1);
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection);
    await subscription.pause();
    await manager.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(subscription.state).toBe(SubscriptionState.PAUSED);
    expect(projection.calls).toHaveLength(0);
    subscription.resume();
    await subscription.whenIdle();
    expect(projection.applied).toHaveLength(2);
  });
});
