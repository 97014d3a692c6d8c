import { EventSourceError, InvalidConfigError } from '@es/core';
import { describe, expect, it } from 'vitest';
import { JitterStrategy, RetryConfig } from './retry-config.js';

function invalid(build: () => unknown): InvalidConfigError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error).toBeInstanceOf(EventSourceError);
    return error as InvalidConfigError;
  }
  throw new Error('expected InvalidConfigError');
}

describe('RetryConfig', () => {
  it('fills the defaults of CONTRACT §4', () => {
    const config = new RetryConfig();
    expect(config.toJSON()).toEqual({
      maxRetries: 5,
      initialDelayMs: 1000,
      maxDelayMs: 60_000,
      exponentialBase: 2,
      jitter: 0.1,
      jitterStrategy: 'proportional',
    });
  });

  it('accepts a partial options object and keeps the other defaults', () => {
    const config = new RetryConfig({ maxRetries: 3, initialDelayMs: 100 });
    expect(config.maxRetries).toBe(3);
    expect(config.initialDelayMs).toBe(100);
    expect(config.maxDelayMs).toBe(60_000);
    expect(config.jitter).toBe(0.1);
  });

  it('allows zero delays, zero retries and the jitter bounds (unlike Python)', () => {
    const config = new RetryConfig({ maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 });
    expect(config.maxRetries).toBe(0);
    expect(config.maxDelayMs).toBe(0);
    expect(new RetryConfig({ jitter: 1 }).jitter).toBe(1);
    expect(new RetryConfig({ exponentialBase: 1 }).exponentialBase).toBe(1);
  });

  it('defaults maxDelayMs to initialDelayMs when the initial delay exceeds 60 s', () => {
    expect(new RetryConfig({ initialDelayMs: 90_000 }).maxDelayMs).toBe(90_000);
  });

  it.each([
    ['maxRetries', { maxRetries: -1 }],
    ['maxRetries', { maxRetries: 1.5 }],
    ['maxRetries', { maxRetries: Number.NaN }],
    ['maxRetries', { maxRetries: '3' }],
    ['initialDelayMs', { initialDelayMs: -1 }],
    ['initialDelayMs', { initialDelayMs: Number.POSITIVE_INFINITY }],
    ['maxDelayMs', { initialDelayMs: 100, maxDelayMs: 99 }],
    ['maxDelayMs', { maxDelayMs: Number.POSITIVE_INFINITY }],
    ['maxDelayMs', { maxDelayMs: 2 ** 31 }],
    ['exponentialBase', { exponentialBase: 0.5 }],
    ['exponentialBase', { exponentialBase: Number.NaN }],
    ['jitter', { jitter: -0.1 }],
    ['jitter', { jitter: 1.1 }],
    ['jitterStrategy', { jitterStrategy: 'equal' }],
  ])('rejects a bad %s, naming the field', (field, options) => {
    const error = invalid(() => new RetryConfig(options as never));
    expect(error.code).toBe('ES_INVALID_CONFIG');
    expect(error.field).toBe(`RetryConfig.${field}`);
    expect(error.rule).toMatch(/must/);
    expect(error.message).toContain(`RetryConfig.${field}`);
  });

  it('rejects a non-object options argument', () => {
    expect(invalid(() => new RetryConfig(42 as never)).field).toBe('RetryConfig');
  });

  it('is immutable', () => {
    const config = new RetryConfig();
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { maxRetries: number }).maxRetries = 9;
    }).toThrow(TypeError);
  });

  it('from() returns a RetryConfig unchanged and builds one from a plain object', () => {
    const config = new RetryConfig({ maxRetries: 2 });
    expect(RetryConfig.from(config)).toBe(config);
    const built = RetryConfig.from({ maxRetries: 7 });
    expect(built).toBeInstanceOf(RetryConfig);
    expect(built.maxRetries).toBe(7);
    expect(RetryConfig.from().maxRetries).toBe(5);
  });

  it('exposes the jitter strategies as an as-const enumeration', () => {
    expect(JitterStrategy).toEqual({
      PROPORTIONAL: 'proportional',
      FULL: 'full',
      DECORRELATED: 'decorrelated',
    });
    expect(new RetryConfig({ jitterStrategy: JitterStrategy.FULL }).jitterStrategy).toBe('full');
  });
});
