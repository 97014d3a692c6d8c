import { EventSourceError, isEventSourceError } from '@es/core';
import { describe, expect, it } from 'vitest';
import {
  CircuitBreakerOpenError,
  ConnectionError,
  isCircuitBreakerOpenError,
  isRetryError,
  KeyError,
  RetryError,
  TimeoutError,
} from './errors.js';

describe('resilience errors', () => {
  const cause = new ConnectionError('Service unavailable');
  const cases = [
    ['RetryError', 'ES_RETRY_EXHAUSTED', new RetryError(3, cause, 'fetch')],
    [
      'CircuitBreakerOpenError',
      'ES_CIRCUIT_OPEN',
      new CircuitBreakerOpenError('api', 500, new Date(0)),
    ],
    ['ConnectionError', 'ES_CONNECTION', new ConnectionError()],
    ['TimeoutError', 'ES_TIMEOUT', new TimeoutError()],
    ['KeyError', 'ES_KEY_NOT_FOUND', new KeyError()],
  ] as const;

  it.each(cases)(
    '%s extends EventSourceError with a literal name and a stable code (§9 #2)',
    (name, code, error) => {
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(EventSourceError);
      expect(isEventSourceError(error)).toBe(true);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(String(error)).toContain(name);
    },
  );

  it('RetryError carries attempts, lastError, operationName and cause', () => {
    const error = new RetryError(3, cause, 'fetch');
    expect(error).toMatchObject({ attempts: 3, lastError: cause, operationName: 'fetch', cause });
    expect(error.message).toBe('Failed after 3 attempts of fetch: Service unavailable');
    expect(new RetryError(1, 'text').message).toBe('Failed after 1 attempt of operation: text');
  });

  it('CircuitBreakerOpenError carries a Date recoveryTime, retryAfterMs and operationName', () => {
    const error = new CircuitBreakerOpenError('api', 500, new Date(1000));
    expect(error.recoveryTime).toEqual(new Date(1000));
    expect(error.retryAfterMs).toBe(500);
    expect(error.operationName).toBe('api');
    expect(error.message).toBe('Circuit breaker is open for api');
  });

  it('user-facing errors take a message, options and a cause', () => {
    expect(new ConnectionError('Service unavailable').message).toBe('Service unavailable');
    const timeout = new TimeoutError('slow', { timeoutMs: 50, operationName: 'q', cause });
    expect(timeout).toMatchObject({ timeoutMs: 50, operationName: 'q', cause });
    const key = new KeyError('Task 1 not found in projection', { key: '1' });
    expect(key).toMatchObject({ message: 'Task 1 not found in projection', key: '1' });
  });

  it('guards work by brand and code', () => {
    expect(isRetryError(new RetryError(1, cause))).toBe(true);
    expect(isRetryError(cause)).toBe(false);
    expect(isCircuitBreakerOpenError(new CircuitBreakerOpenError('x', 0, new Date()))).toBe(true);
    expect(isCircuitBreakerOpenError({ code: 'ES_CIRCUIT_OPEN' })).toBe(false);
  });
});
