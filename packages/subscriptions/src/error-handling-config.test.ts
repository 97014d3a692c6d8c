import { InvalidConfigError } from '@es/core';
import { RetryConfig } from '@es/resilience';
import { describe, expect, it } from 'vitest';
import { ErrorHandlingConfig } from './error-handling-config.js';
import { ErrorHandlingStrategy, isErrorHandlingStrategy } from './error-handling-strategy.js';

describe('ErrorHandlingStrategy', () => {
  it('has the lowercase values of eventsource-py', () => {
    expect(ErrorHandlingStrategy).toEqual({
      STOP: 'stop',
      CONTINUE: 'continue',
      RETRY_THEN_CONTINUE: 'retry_then_continue',
      RETRY_THEN_DLQ: 'retry_then_dlq',
      DLQ_ONLY: 'dlq_only',
    });
    expect(isErrorHandlingStrategy('dlq_only')).toBe(true);
    expect(isErrorHandlingStrategy('DLQ_ONLY')).toBe(false);
  });
});

describe('ErrorHandlingConfig', () => {
  it('fills the contract defaults', () => {
    const config = new ErrorHandlingConfig();
    expect(config).toMatchObject({
      strategy: 'retry_then_dlq',
      maxRecentErrors: 100,
      maxErrorsBeforeStop: undefined,
      errorRateThreshold: undefined,
      dlqEnabled: true,
      notifyOnSeverity: 'high',
    });
    expect(config.retry).toBeInstanceOf(RetryConfig);
    expect(config.retry).toMatchObject(new RetryConfig());
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes the tutorial configuration', () => {
    const config = new ErrorHandlingConfig({
      strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ,
      maxRecentErrors: 100,
      maxErrorsBeforeStop: 1000,
      errorRateThreshold: 10.0,
      dlqEnabled: true,
      notifyOnSeverity: 'high',
    });
    expect(config).toMatchObject({ maxErrorsBeforeStop: 1000, errorRateThreshold: 10 });
  });

  it('normalizes retry to a RetryConfig, keeping an instance as is', () => {
    const retry = new RetryConfig({ maxRetries: 2 });
    expect(new ErrorHandlingConfig({ retry }).retry).toBe(retry);
    const plain = new ErrorHandlingConfig({ retry: { maxRetries: 7, initialDelayMs: 0 } }).retry;
    expect(plain).toBeInstanceOf(RetryConfig);
    expect(plain).toMatchObject({ maxRetries: 7, initialDelayMs: 0, maxDelayMs: 60_000 });
  });

  it('passes RetryConfig validation errors through', () => {
    expect(() => new ErrorHandlingConfig({ retry: { maxRetries: -1 } })).toThrow(
      expect.objectContaining({ code: 'ES_INVALID_CONFIG', field: 'RetryConfig.maxRetries' }),
    );
  });

  it.each([
    ['strategy', { strategy: 'retry' }],
    ['strategy', { strategy: 'STOP' }],
    ['maxRecentErrors', { maxRecentErrors: -1 }],
    ['maxRecentErrors', { maxRecentErrors: 1.5 }],
    ['maxRecentErrors', { maxRecentErrors: Number.POSITIVE_INFINITY }],
    ['maxErrorsBeforeStop', { maxErrorsBeforeStop: 0 }],
    ['maxErrorsBeforeStop', { maxErrorsBeforeStop: 2.5 }],
    ['errorRateThreshold', { errorRateThreshold: -0.1 }],
    ['errorRateThreshold', { errorRateThreshold: Number.NaN }],
    ['errorRateThreshold', { errorRateThreshold: '10' }],
    ['dlqEnabled', { dlqEnabled: 'yes' }],
    ['notifyOnSeverity', { notifyOnSeverity: 'HIGH' }],
    ['retry', { retry: 3 }],
    ['retry', { retry: null }],
  ])('rejects a bad %s with InvalidConfigError naming the field', (field, options) => {
    let caught: unknown;
    try {
      new ErrorHandlingConfig(options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidConfigError);
    expect((caught as InvalidConfigError).field).toBe(`ErrorHandlingConfig.${field}`);
    expect((caught as InvalidConfigError).rule.length).toBeGreaterThan(0);
  });

  it('rejects a non-object', () => {
    expect(() => new ErrorHandlingConfig(null as never)).toThrow(InvalidConfigError);
  });

  it('accepts a zero error rate threshold (any error is too many)', () => {
    expect(new ErrorHandlingConfig({ errorRateThreshold: 0 }).errorRateThreshold).toBe(0);
  });

  it('from() returns an instance as is and builds one from a plain object or undefined', () => {
    const config = new ErrorHandlingConfig({ strategy: 'stop' });
    expect(ErrorHandlingConfig.from(config)).toBe(config);
    expect(ErrorHandlingConfig.from({ strategy: 'continue' }).strategy).toBe('continue');
    expect(ErrorHandlingConfig.from().strategy).toBe('retry_then_dlq');
  });

  it('with() copies with replaced fields and validates them', () => {
    const base = new ErrorHandlingConfig({ maxErrorsBeforeStop: 10, retry: { maxRetries: 1 } });
    const strict = base.with({ strategy: 'stop' });
    expect(strict).toMatchObject({ strategy: 'stop', maxErrorsBeforeStop: 10 });
    expect(strict.retry).toBe(base.retry);
    expect(base.strategy).toBe('retry_then_dlq');
    expect(base.with({ maxErrorsBeforeStop: undefined }).maxErrorsBeforeStop).toBeUndefined();
    expect(() => base.with({ maxRecentErrors: -5 })).toThrow(InvalidConfigError);
  });
});
