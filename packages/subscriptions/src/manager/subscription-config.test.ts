import { CircuitBreakerConfig } from '@es/resilience';
import { describe, expect, it } from 'vitest';
import { ErrorHandlingConfig } from '../error-handling-config.js';
import { SubscriptionConfigError } from '../errors.js';
import { resolveSubscriptionConfig } from './subscription-config.js';

const defaults = {
  errorHandling: new ErrorHandlingConfig(),
  handlerBreaker: new CircuitBreakerConfig(),
};
const projection = { name: 'tasks', handle: () => {} };

describe('resolveSubscriptionConfig', () => {
  it('fills every default and freezes the result', () => {
    const config = resolveSubscriptionConfig(projection, undefined, defaults);
    expect(config).toEqual({
      id: 'tasks',
      startFrom: 'checkpoint',
      batchSize: 100,
      checkpointStrategy: 'every_batch',
      checkpointIntervalMs: 5_000,
      errorHandling: defaults.errorHandling,
      processingTimeoutMs: 30_000,
      infrastructureTimeoutMs: 30_000,
      dlqOrdering: 'per-stream',
      handlerBreaker: defaults.handlerBreaker,
      healthTimeoutMs: 1_500,
      horizonStallMs: 1_000,
      eventTypes: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('accepts positions, plain-object nested configs and false for the handler breaker', () => {
    const config = resolveSubscriptionConfig(
      { ...projection, eventTypes: ['A', 'B', 'A'] },
      {
        id: 'tasks-v2',
        startFrom: '00000000000000000042-00000000000000000007',
        errorHandling: { strategy: 'dlq_only', retry: { maxRetries: 1 } },
        handlerBreaker: false,
        processingTimeoutMs: 0,
      },
      defaults,
    );
    expect(config.id).toBe('tasks-v2');
    expect(config.startFrom).toBe('00000000000000000042-00000000000000000007');
    expect(config.errorHandling).toBeInstanceOf(ErrorHandlingConfig);
    expect(config.errorHandling.retry.maxRetries).toBe(1);
    expect(config.handlerBreaker).toBe(false);
    expect(config.processingTimeoutMs).toBe(0);
    expect(config.eventTypes).toEqual(['A', 'B']);
    expect(resolveSubscriptionConfig(projection, { startFrom: 0 }, defaults).startFrom).toBe(0);
  });

  it('names the nested field and keeps the original error as cause', () => {
    try {
      resolveSubscriptionConfig(projection, { errorHandling: { retry: { jitter: 2 } } }, defaults);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SubscriptionConfigError);
      const configError = error as SubscriptionConfigError;
      expect(configError.field).toBe('SubscriptionConfig.errorHandling.retry.jitter');
      expect(configError.value).toBe(2);
      expect((configError.cause as { code: string }).code).toBe('ES_INVALID_CONFIG');
      expect(configError.subscriptionName).toBe('tasks');
    }
  });

  it('validates the health time limit and the horizon stall threshold', () => {
    const config = resolveSubscriptionConfig(
      projection,
      { healthTimeoutMs: 250, horizonStallMs: 30_000 },
      defaults,
    );
    expect(config).toMatchObject({ healthTimeoutMs: 250, horizonStallMs: 30_000 });
    for (const healthTimeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '5']) {
      expect(() =>
        resolveSubscriptionConfig(projection, { healthTimeoutMs } as never, defaults),
      ).toThrow(expect.objectContaining({ field: 'SubscriptionConfig.healthTimeoutMs' }));
    }
    for (const horizonStallMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, '1']) {
      expect(() =>
        resolveSubscriptionConfig(projection, { horizonStallMs } as never, defaults),
      ).toThrow(expect.objectContaining({ field: 'SubscriptionConfig.horizonStallMs' }));
    }
  });

  it('validates the infrastructure time limit; 0 disables it', () => {
    expect(
      resolveSubscriptionConfig(projection, { infrastructureTimeoutMs: 0 }, defaults)
        .infrastructureTimeoutMs,
    ).toBe(0);
    expect(
      resolveSubscriptionConfig(projection, { infrastructureTimeoutMs: 250 }, defaults)
        .infrastructureTimeoutMs,
    ).toBe(250);
    for (const infrastructureTimeoutMs of [
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 31,
      '5',
    ]) {
      expect(() =>
        resolveSubscriptionConfig(projection, { infrastructureTimeoutMs } as never, defaults),
      ).toThrow(expect.objectContaining({ field: 'SubscriptionConfig.infrastructureTimeoutMs' }));
    }
  });

  it('rejects a config that is not an object', () => {
    expect(() => resolveSubscriptionConfig(projection, 5 as never, defaults)).toThrow(
      SubscriptionConfigError,
    );
  });
});
