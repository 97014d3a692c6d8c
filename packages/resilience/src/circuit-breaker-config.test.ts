import { InvalidConfigError } from '@es/core';
import { describe, expect, it } from 'vitest';
import { CircuitBreakerConfig } from './circuit-breaker-config.js';

describe('CircuitBreakerConfig', () => {
  it('fills the defaults of CONTRACT §4', () => {
    const config = new CircuitBreakerConfig();
    expect(config.toJSON()).toEqual({
      failureThreshold: 5,
      recoveryTimeoutMs: 30_000,
      halfOpenMaxCalls: 1,
    });
    expect(config.isFailure).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('accepts a partial options object', () => {
    const config = new CircuitBreakerConfig({ failureThreshold: 3, recoveryTimeoutMs: 0 });
    expect(config.failureThreshold).toBe(3);
    expect(config.recoveryTimeoutMs).toBe(0);
    expect(config.halfOpenMaxCalls).toBe(1);
  });

  it.each([
    ['failureThreshold', { failureThreshold: 0 }],
    ['failureThreshold', { failureThreshold: 2.5 }],
    ['recoveryTimeoutMs', { recoveryTimeoutMs: -1 }],
    ['recoveryTimeoutMs', { recoveryTimeoutMs: Number.NaN }],
    ['recoveryTimeoutMs', { recoveryTimeoutMs: Number.POSITIVE_INFINITY }],
    ['halfOpenMaxCalls', { halfOpenMaxCalls: 0 }],
    ['halfOpenMaxCalls', { halfOpenMaxCalls: '2' }],
    ['isFailure', { isFailure: true }],
  ])('rejects a bad %s, naming the field', (field, options) => {
    let caught: unknown;
    try {
      new CircuitBreakerConfig(options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidConfigError);
    expect((caught as InvalidConfigError).field).toBe(`CircuitBreakerConfig.${field}`);
    expect((caught as InvalidConfigError).code).toBe('ES_INVALID_CONFIG');
  });

  it('from() returns a config unchanged and builds one from a plain object', () => {
    const config = new CircuitBreakerConfig({ failureThreshold: 2 });
    expect(CircuitBreakerConfig.from(config)).toBe(config);
    expect(CircuitBreakerConfig.from({ halfOpenMaxCalls: 3 }).halfOpenMaxCalls).toBe(3);
  });
});
