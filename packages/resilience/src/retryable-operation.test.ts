import { getEventListeners } from 'node:events';
import { EventSourceError, InvalidConfigError } from '@es/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';
import { ErrorClassifier } from './error-classifier.js';
import { CircuitBreakerOpenError, ConnectionError, RetryError, TimeoutError } from './errors.js';
import { RetryConfig } from './retry-config.js';
import { RetryableOperation } from './retryable-operation.js';

const instant = new RetryConfig({ maxRetries: 3, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 });

function flaky(failures: number, makeError: () => unknown = () => new ConnectionError('down')) {
  const fn = vi.fn(async () => {
    if (fn.mock.calls.length <= failures) throw makeError();
    return 'ok';
  });
  return fn;
}

describe('RetryableOperation', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts stats per call of the operation (fails twice, then succeeds: 3/2/1)', async () => {
    const retry = new RetryableOperation({
      config: { maxRetries: 5, initialDelayMs: 10, jitter: 0 },
      sleep: async () => {},
    });
    await expect(retry.execute(flaky(2), { name: 'fetch_data' })).resolves.toBe('ok');
    // eventsource-py's stats stay at zero forever (CONTRACT §9 #8).
    expect(retry.stats).toMatchObject({ attempts: 3, successes: 1, failures: 2, totalDelayMs: 30 });
    expect(retry.stats.lastError).toBeInstanceOf(ConnectionError);
  });

  it('succeeds at once without creating a timer, with or without a breaker', async () => {
    vi.useFakeTimers();
    const plain = new RetryableOperation();
    const guarded = new RetryableOperation({ circuitBreaker: new CircuitBreaker() });
    await expect(plain.execute(async () => 'a')).resolves.toBe('a');
    await expect(guarded.execute(async () => 'b', { name: 'x' })).resolves.toBe('b');
    expect(vi.getTimerCount()).toBe(0);
    expect(guarded.stats).toMatchObject({ attempts: 1, successes: 1, failures: 0 });
  });

  it('keeps one live stats object that every execute updates', async () => {
    const retry = new RetryableOperation({ config: instant });
    const stats = retry.stats;
    expect(stats).toMatchObject({
      attempts: 0,
      successes: 0,
      failures: 0,
      totalDelayMs: 0,
      rejections: 0,
      lastError: null,
    });
    await retry.execute(async () => 1);
    await retry.execute(flaky(1));
    expect(retry.stats).toBe(stats);
    expect(stats).toMatchObject({ attempts: 3, successes: 2, failures: 1 });
    retry.resetStats();
    expect(stats).toMatchObject({
      attempts: 0,
      successes: 0,
      failures: 0,
      totalDelayMs: 0,
      rejections: 0,
      lastError: null,
    });
  });

  it('throws RetryError after maxRetries + 1 calls and counts every failure', async () => {
    const retry = new RetryableOperation({ config: instant });
    const op = flaky(100);
    const error = await retry.execute(op, { name: 'api' }).catch((e) => e);
    expect(error).toBeInstanceOf(RetryError);
    expect(error).toMatchObject({ attempts: 4, operationName: 'api', code: 'ES_RETRY_EXHAUSTED' });
    expect(op).toHaveBeenCalledTimes(4);
    expect(retry.stats).toMatchObject({ attempts: 4, failures: 4, successes: 0 });
  });

  it('rethrows non-retryable errors unchanged after one call', async () => {
    const retry = new RetryableOperation({ config: instant });
    const bug = new TypeError('bug');
    const op = vi.fn(async () => {
      throw bug;
    });
    await expect(retry.execute(op)).rejects.toBe(bug);
    expect(op).toHaveBeenCalledTimes(1);
    expect(retry.stats).toMatchObject({ attempts: 1, failures: 1, lastError: bug });
  });

  it('uses execute-level retryableErrors, then the instance default, then the classifier', async () => {
    const retry = new RetryableOperation({ config: instant, retryableErrors: [TimeoutError] });
    await expect(retry.execute(flaky(1, () => new TimeoutError()))).resolves.toBe('ok');
    await expect(retry.execute(flaky(1, () => new ConnectionError()))).rejects.toBeInstanceOf(
      ConnectionError,
    );
    await expect(
      retry.execute(
        flaky(1, () => new ConnectionError()),
        { retryableErrors: [ConnectionError] },
      ),
    ).resolves.toBe('ok');
    const classifier = new ErrorClassifier();
    classifier.registerClassification(RangeError, { category: 'transient', retryable: true });
    const byClassifier = new RetryableOperation({ config: instant, classifier });
    await expect(byClassifier.execute(flaky(1, () => new RangeError('x')))).resolves.toBe('ok');
  });

  it('honours an aborted signal', async () => {
    vi.useFakeTimers();
    const retry = new RetryableOperation({ config: { maxRetries: 3, initialDelayMs: 1000 } });
    const controller = new AbortController();
    const op = flaky(5);
    const result = retry.execute(op, { signal: controller.signal }).catch((e) => e);
    await vi.advanceTimersByTimeAsync(0);
    controller.abort('stop');
    expect(await result).toBe('stop');
    expect(op).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    const before = vi.fn(async () => 1);
    await expect(retry.execute(before, { signal: controller.signal })).rejects.toBe('stop');
    expect(before).not.toHaveBeenCalled();
  });

  it('calls onRetry and uses the injected random source', async () => {
    const delays: number[] = [];
    const retry = new RetryableOperation({
      config: { maxRetries: 3, initialDelayMs: 100, jitter: 0.2 },
      random: () => 0,
      sleep: async () => {},
      onRetry: (info) => delays.push(info.delayMs),
    });
    await retry.execute(flaky(2));
    expect(delays).toEqual([80, 160]);
    expect(retry.stats.totalDelayMs).toBe(240);
  });

  describe('with a circuit breaker', () => {
    function manualClock() {
      let now = 1_000_000;
      return { clock: () => now, advance: (ms: number) => (now += ms) };
    }

    it('sends every attempt through the breaker', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 10 });
      const retry = new RetryableOperation({ config: instant, circuitBreaker: breaker });
      await retry.execute(flaky(2));
      expect(breaker.failureCount).toBe(0);
      await retry.execute(flaky(100)).catch(() => undefined);
      expect(breaker.failureCount).toBe(4);
    });

    it('fails fast with CircuitBreakerOpenError when the circuit opens mid-retry (Python: RetryError)', async () => {
      // eventsource-py §3.5: threshold 2, max_retries 3 → 2 real calls, then RetryError(attempts=4).
      const sleep = vi.fn(async () => {});
      const breaker = new CircuitBreaker({ failureThreshold: 2 });
      const retry = new RetryableOperation({
        config: { maxRetries: 3, initialDelayMs: 10 },
        circuitBreaker: breaker,
        sleep,
      });
      const op = flaky(100);
      const error = await retry.execute(op, { name: 'api' }).catch((e) => e);
      expect(op).toHaveBeenCalledTimes(2);
      expect(error).toBeInstanceOf(CircuitBreakerOpenError);
      expect(error).not.toBeInstanceOf(RetryError);
      expect(error).toBeInstanceOf(EventSourceError);
      expect(error.operationName).toBe('api');
      expect(error.recoveryTime).toBeInstanceOf(Date);
      expect(sleep).toHaveBeenCalledTimes(2);
      expect(retry.stats).toMatchObject({
        attempts: 2,
        failures: 2,
        rejections: 1,
        lastError: error,
      });
    });

    it('fails fast at once, without calling or waiting, when the circuit is already open', async () => {
      const time = manualClock();
      const breaker = new CircuitBreaker(
        { failureThreshold: 1, recoveryTimeoutMs: 5000 },
        { clock: time.clock },
      );
      await breaker.execute(() => Promise.reject(new ConnectionError())).catch(() => undefined);
      const sleep = vi.fn(async () => {});
      const retry = new RetryableOperation({ config: instant, circuitBreaker: breaker, sleep });
      const op = vi.fn(async () => 'ok');
      time.advance(1000);
      let caught: unknown;
      try {
        await retry.execute(op, { name: 'api_call' });
      } catch (error) {
        if (error instanceof CircuitBreakerOpenError) caught = error; // the tutorial's pattern
      }
      expect(caught).toBeInstanceOf(CircuitBreakerOpenError);
      expect((caught as CircuitBreakerOpenError).retryAfterMs).toBe(4000);
      expect(op).not.toHaveBeenCalled();
      expect(sleep).not.toHaveBeenCalled();
      expect(retry.stats).toMatchObject({ attempts: 0, rejections: 1 });
    });

    it('a successful retry through a half-open circuit closes it', async () => {
      const time = manualClock();
      const breaker = new CircuitBreaker(
        { failureThreshold: 1, recoveryTimeoutMs: 100 },
        { clock: time.clock },
      );
      const retry = new RetryableOperation({
        config: { maxRetries: 2, initialDelayMs: 100, jitter: 0 },
        circuitBreaker: breaker,
        sleep: async (ms) => {
          time.advance(ms);
        },
      });
      await expect(retry.execute(flaky(1))).resolves.toBe('ok');
      expect(breaker.state).toBe('closed');
      expect(retry.stats).toMatchObject({ attempts: 2, failures: 1, successes: 1 });
    });
  });

  it('validates its options', () => {
    expect(() => new RetryableOperation({ config: { maxRetries: -1 } })).toThrow(
      InvalidConfigError,
    );
    expect(() => new RetryableOperation({ circuitBreaker: {} as never })).toThrow(
      InvalidConfigError,
    );
    expect(() => new RetryableOperation({ classifier: 1 as never })).toThrow(InvalidConfigError);
    expect(() => new RetryableOperation({ retryableErrors: [1] as never })).toThrow(
      InvalidConfigError,
    );
    expect(() => new RetryableOperation({ sleep: 1 as never })).toThrow(InvalidConfigError);
    const retry = new RetryableOperation();
    expect(retry.config).toBeInstanceOf(RetryConfig);
    expect(retry.config.maxRetries).toBe(5);
  });
});
