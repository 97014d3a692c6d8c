import { getEventListeners } from 'node:events';
import { EventSourceError, InvalidConfigError, OptimisticLockError } from '@es/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorClassifier } from './error-classifier.js';
import { CircuitBreakerOpenError, ConnectionError, RetryError, TimeoutError } from './errors.js';
import { retryAsync } from './retry-async.js';
import { RetryConfig } from './retry-config.js';

const instant = new RetryConfig({ maxRetries: 3, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 });

/** An operation that throws `makeError()` for its first `failures` calls, then returns 'ok'. */
function flaky(failures: number, makeError: () => unknown = () => new ConnectionError('down')) {
  const fn = vi.fn(async () => {
    if (fn.mock.calls.length <= failures) throw makeError();
    return 'ok';
  });
  return fn;
}

describe('retryAsync', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns the first result without waiting or creating a timer', async () => {
    vi.useFakeTimers();
    const op = vi.fn(async () => 42);
    await expect(retryAsync(op, { config: new RetryConfig() })).resolves.toBe(42);
    expect(op).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('accepts a synchronous operation', async () => {
    await expect(retryAsync(() => 'sync')).resolves.toBe('sync');
  });

  it('retries retryable errors until success', async () => {
    const op = flaky(2);
    await expect(retryAsync(op, { config: instant })).resolves.toBe('ok');
    expect(op).toHaveBeenCalledTimes(3);
  });

  it('makes at most maxRetries + 1 calls, then throws RetryError with cause = lastError', async () => {
    const errors: Error[] = [];
    const op = vi.fn(async () => {
      const error = new ConnectionError(`boom ${errors.length}`);
      errors.push(error);
      throw error;
    });
    const rejection = await retryAsync(op, { config: instant, operationName: 'fetch' }).catch(
      (e) => e,
    );
    expect(op).toHaveBeenCalledTimes(4);
    expect(rejection).toBeInstanceOf(RetryError);
    expect(rejection).toBeInstanceOf(EventSourceError); // CONTRACT §9 #2
    expect(rejection.code).toBe('ES_RETRY_EXHAUSTED');
    expect(rejection.name).toBe('RetryError');
    expect(rejection.attempts).toBe(4);
    expect(rejection.lastError).toBe(errors[3]);
    expect(rejection.cause).toBe(errors[3]);
    expect(rejection.operationName).toBe('fetch');
  });

  it('with maxRetries 0 calls once and reports 1 attempt', async () => {
    const op = flaky(5);
    const rejection = await retryAsync(op, {
      config: { ...instant.toJSON(), maxRetries: 0 },
    }).catch((e) => e);
    expect(op).toHaveBeenCalledTimes(1);
    expect(rejection).toBeInstanceOf(RetryError);
    expect(rejection.attempts).toBe(1);
  });

  it('rethrows a non-retryable error unchanged after one call', async () => {
    const bug = new TypeError('undefined is not a function');
    const op = vi.fn(async () => {
      throw bug;
    });
    await expect(retryAsync(op, { config: instant })).rejects.toBe(bug);
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('rethrows a non-retryable error unchanged even after retryable ones', async () => {
    let calls = 0;
    const bug = new TypeError('bug');
    const op = async () => {
      calls++;
      if (calls < 3) throw new ConnectionError('down');
      throw bug;
    };
    await expect(retryAsync(op, { config: instant })).rejects.toBe(bug);
    expect(calls).toBe(3);
  });

  it('matches retryableErrors classes with instanceof (subclasses included)', async () => {
    class SpecificLockError extends OptimisticLockError {}
    const op = flaky(2, () => new SpecificLockError('task-1', 1, 2));
    await expect(
      retryAsync(op, { config: instant, retryableErrors: [OptimisticLockError] }),
    ).resolves.toBe('ok');
    expect(op).toHaveBeenCalledTimes(3);
  });

  it('with retryableErrors, errors not listed are not retried even if the classifier would', async () => {
    const op = flaky(2, () => new ConnectionError('down'));
    await expect(
      retryAsync(op, { config: instant, retryableErrors: [OptimisticLockError] }),
    ).rejects.toBeInstanceOf(ConnectionError);
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('accepts a predicate as retryableErrors', async () => {
    const op = flaky(2, () => Object.assign(new Error('busy'), { status: 503 }));
    const predicate = vi.fn((error: unknown) => (error as { status?: number }).status === 503);
    await expect(retryAsync(op, { config: instant, retryableErrors: predicate })).resolves.toBe(
      'ok',
    );
    expect(predicate).toHaveBeenCalledTimes(2);
  });

  it('treats a single class passed instead of a list as that class', async () => {
    const op = flaky(1, () => new TimeoutError());
    await expect(
      retryAsync(op, { config: instant, retryableErrors: TimeoutError as never }),
    ).resolves.toBe('ok');
    const other = flaky(1, () => new RangeError('x'));
    await expect(
      retryAsync(other, { config: instant, retryableErrors: TypeError as never }),
    ).rejects.toBeInstanceOf(RangeError);
  });

  it('rejects an invalid retryableErrors value', async () => {
    const op = flaky(1);
    await expect(
      retryAsync(op, { config: instant, retryableErrors: ['nope'] as never }),
    ).rejects.toMatchObject({ code: 'ES_INVALID_CONFIG', field: 'retryAsync.retryableErrors' });
  });

  it('lets the classifier decide when retryableErrors is omitted', async () => {
    const transient = flaky(2, () => Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    await expect(retryAsync(transient, { config: instant })).resolves.toBe('ok');
    const classifier = new ErrorClassifier();
    classifier.registerPatternRule('try again', { category: 'transient', retryable: true });
    const custom = flaky(2, () => new Error('Please TRY AGAIN later'));
    await expect(retryAsync(custom, { config: instant, classifier })).resolves.toBe('ok');
    await expect(
      retryAsync(
        flaky(2, () => new Error('Please TRY AGAIN later')),
        { config: instant },
      ),
    ).rejects.toThrow('Please TRY AGAIN later');
  });

  it('never retries or wraps a CircuitBreakerOpenError', async () => {
    const open = new CircuitBreakerOpenError('api', 1000, new Date());
    const op = vi.fn(async () => {
      throw open;
    });
    await expect(retryAsync(op, { config: instant, retryableErrors: () => true })).rejects.toBe(
      open,
    );
    expect(op).toHaveBeenCalledTimes(1);
  });

  it('waits calculateBackoff delays between attempts (fake timers)', async () => {
    vi.useFakeTimers();
    const config = new RetryConfig({ maxRetries: 3, initialDelayMs: 100, jitter: 0 });
    const op = flaky(3);
    const result = retryAsync(op, { config });
    await vi.advanceTimersByTimeAsync(0);
    expect(op).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(op).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(op).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(op).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(400);
    await expect(result).resolves.toBe('ok');
    expect(op).toHaveBeenCalledTimes(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('uses an injected sleep and random source', async () => {
    const sleep = vi.fn(async (_ms: number, _signal?: AbortSignal) => {});
    const config = new RetryConfig({ maxRetries: 2, initialDelayMs: 1000, jitter: 0.5 });
    await retryAsync(flaky(2), { config, sleep, random: () => 1 }).catch(() => undefined);
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([1500, 3000]);
  });

  it('does not wait after the final failure and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const config = new RetryConfig({ maxRetries: 2, initialDelayMs: 10, jitter: 0 });
    const result = retryAsync(flaky(10), { config }).catch((e) => e);
    await vi.advanceTimersByTimeAsync(10 + 20);
    expect(await result).toBeInstanceOf(RetryError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('calls onRetry before each wait with the attempt, delay and error', async () => {
    const seen: unknown[] = [];
    const config = new RetryConfig({ maxRetries: 3, initialDelayMs: 10, jitter: 0 });
    const failures = [new ConnectionError('a'), new ConnectionError('b')];
    let i = 0;
    const op = async () => {
      if (i < failures.length) throw failures[i++];
      return 'done';
    };
    await retryAsync(op, {
      config,
      operationName: 'op',
      sleep: async () => {},
      onRetry: (info) => seen.push(info),
    });
    expect(seen).toEqual([
      { attempt: 1, maxRetries: 3, delayMs: 10, error: failures[0], operationName: 'op' },
      { attempt: 2, maxRetries: 3, delayMs: 20, error: failures[1], operationName: 'op' },
    ]);
  });

  it('keeps retrying when onRetry throws (the callback error is reported, not propagated)', async () => {
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const op = flaky(2);
      await expect(
        retryAsync(op, {
          config: instant,
          onRetry: () => {
            throw new Error('listener bug');
          },
        }),
      ).resolves.toBe('ok');
      expect(warning).toHaveBeenCalledTimes(2);
      expect(String(warning.mock.calls[0]?.[0])).toContain('listener bug');
    } finally {
      warning.mockRestore();
    }
  });

  describe('abort', () => {
    it('rejects with the reason before calling when the signal is already aborted', async () => {
      const controller = new AbortController();
      const reason = new Error('shutting down');
      controller.abort(reason);
      const op = vi.fn(async () => 1);
      await expect(retryAsync(op, { signal: controller.signal })).rejects.toBe(reason);
      expect(op).not.toHaveBeenCalled();
    });

    it('stops waiting at once and rejects with the reason, leaving no timer or listener', async () => {
      vi.useFakeTimers();
      const controller = new AbortController();
      const op = flaky(10);
      const config = new RetryConfig({ maxRetries: 5, initialDelayMs: 60_000 });
      const result = retryAsync(op, { config, signal: controller.signal }).catch((e) => e);
      await vi.advanceTimersByTimeAsync(0);
      expect(vi.getTimerCount()).toBe(1);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      controller.abort('stop');
      expect(await result).toBe('stop');
      expect(op).toHaveBeenCalledTimes(1);
      expect(vi.getTimerCount()).toBe(0);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('removes the abort listener after each completed wait', async () => {
      vi.useFakeTimers();
      const controller = new AbortController();
      const add = vi.spyOn(controller.signal, 'addEventListener');
      const config = new RetryConfig({ maxRetries: 3, initialDelayMs: 5, jitter: 0 });
      const result = retryAsync(flaky(2), { config, signal: controller.signal });
      await vi.advanceTimersByTimeAsync(100);
      await expect(result).resolves.toBe('ok');
      expect(add).toHaveBeenCalledTimes(2);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('rejects with the reason when the signal aborted during a failing call', async () => {
      const controller = new AbortController();
      const op = vi.fn(async () => {
        controller.abort('cancelled');
        throw new ConnectionError('down');
      });
      await expect(retryAsync(op, { config: instant, signal: controller.signal })).rejects.toBe(
        'cancelled',
      );
      expect(op).toHaveBeenCalledTimes(1);
    });

    it('rejects with the reason when an injected sleep ignores the signal', async () => {
      const controller = new AbortController();
      const sleep = async () => {
        controller.abort('late');
      };
      const op = flaky(3);
      await expect(
        retryAsync(op, {
          config: { maxRetries: 3, initialDelayMs: 1 },
          sleep,
          signal: controller.signal,
        }),
      ).rejects.toBe('late');
      expect(op).toHaveBeenCalledTimes(1);
    });
  });

  describe('configuration', () => {
    it('rejects a bad config up front, even when the first call would succeed', async () => {
      const op = vi.fn(async () => 1);
      await expect(retryAsync(op, { config: { maxRetries: -1 } })).rejects.toBeInstanceOf(
        InvalidConfigError,
      );
      expect(op).not.toHaveBeenCalled();
    });

    it('accepts a plain config object and reuses its normalisation', async () => {
      const config = { maxRetries: 1, initialDelayMs: 0 };
      const op = flaky(5);
      const rejection = await retryAsync(op, { config }).catch((e) => e);
      expect(rejection.attempts).toBe(2);
      await expect(retryAsync(async () => 'again', { config })).resolves.toBe('again');
    });

    it.each([
      ['operationName', { operationName: 5 }],
      ['signal', { signal: {} }],
      ['onRetry', { onRetry: 'x' }],
      ['sleep', { sleep: 1 }],
      ['random', { random: true }],
      ['classifier', { classifier: {} }],
    ])('rejects a bad %s when a retry is needed', async (field, options) => {
      await expect(
        retryAsync(flaky(1), { config: instant, ...(options as object) }),
      ).rejects.toMatchObject({
        code: 'ES_INVALID_CONFIG',
        field: `retryAsync.${field}`,
      });
    });
  });
});
