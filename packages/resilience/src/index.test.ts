import { EventSourceError } from '@es/core';
import { describe, expect, it, vi } from 'vitest';
import * as api from './index.js';

describe('@es/resilience public surface', () => {
  it('exports every name CONTRACT §4 binds', () => {
    const names = [
      'RetryConfig',
      'calculateBackoff',
      'retryAsync',
      'RetryableOperation',
      'CircuitBreaker',
      'CircuitBreakerConfig',
      'CircuitState',
      'CircuitBreakerOpenError',
      'RetryError',
      'ErrorCategory',
      'ErrorSeverity',
      'ErrorClassification',
      'ErrorClassifier',
      'ConnectionError',
      'TimeoutError',
      'KeyError',
      'defaultClassifier',
      'compareSeverity',
      'severityAtLeast',
      'withTimeout',
      'JitterStrategy',
    ];
    for (const name of names) expect(api, name).toHaveProperty(name);
  });

  it('enumerations are as-const objects with lowercase values', () => {
    expect(api.CircuitState).toEqual({ CLOSED: 'closed', OPEN: 'open', HALF_OPEN: 'half_open' });
    expect(api.ErrorCategory.TRANSIENT).toBe('transient');
    expect(api.ErrorSeverity.CRITICAL).toBe('critical');
  });

  it('every exported error class extends EventSourceError with a unique ES_ code', () => {
    const errors = [
      new api.RetryError(1, new Error('x')),
      new api.CircuitBreakerOpenError('x', 0, new Date()),
      new api.ConnectionError(),
      new api.TimeoutError(),
      new api.KeyError(),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(EventSourceError);
      expect(error.code).toMatch(/^ES_[A-Z_]+$/);
    }
    expect(new Set(errors.map((e) => e.code)).size).toBe(errors.length);
  });

  it('runs the README quick start', async () => {
    vi.useFakeTimers();
    try {
      const logs: unknown[] = [];
      const log = (...values: unknown[]) => logs.push(values.length === 1 ? values[0] : values);
      const run = readmeQuickStart(log);
      await vi.runAllTimersAsync();
      await run;
      expect(logs).toEqual([
        'Success',
        'gave up after 2 attempts',
        'circuit open, retry in 1000 ms',
        'circuit open, retry in 1000 ms',
        ['open', { attempts: 2, successes: 0, failures: 2, totalDelayMs: 10, rejections: 2 }],
      ]);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** The README's quick start, verbatim except that `console.log` is injected. */
async function readmeQuickStart(log: (...values: unknown[]) => void): Promise<void> {
  const {
    CircuitBreaker,
    CircuitBreakerOpenError,
    ConnectionError,
    RetryableOperation,
    RetryError,
    retryAsync,
  } = api;
  const console = { log };

  let calls = 0;
  async function flakyService(): Promise<string> {
    calls++;
    if (calls % 3 !== 0) throw new ConnectionError('Service unavailable');
    return 'Success';
  }

  // 1. Retry with exponential backoff: waits ~100 ms, then ~200 ms (±10 % jitter).
  const result = await retryAsync(flakyService, {
    config: { maxRetries: 5, initialDelayMs: 100 },
    operationName: 'flaky_service',
  });
  console.log(result); // 'Success'

  // 2. Retry through a circuit breaker, with live statistics.
  const breaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeoutMs: 1_000 });
  const retry = new RetryableOperation({
    config: { maxRetries: 1, initialDelayMs: 10, jitter: 0 },
    circuitBreaker: breaker,
  });
  for (let i = 0; i < 3; i++) {
    try {
      console.log(await retry.execute(flakyService, { name: 'flaky_service' }));
    } catch (error) {
      if (error instanceof CircuitBreakerOpenError) {
        console.log(`circuit open, retry in ${error.retryAfterMs} ms`);
      } else if (error instanceof RetryError) {
        console.log(`gave up after ${error.attempts} attempts`);
      } else {
        throw error;
      }
    }
  }
  const { lastError, ...counters } = retry.stats;
  console.log(breaker.state, counters); // 'open' { attempts: 2, successes: 0, failures: 2, … }
}
