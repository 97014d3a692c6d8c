import { getEventListeners } from 'node:events';
import { InvalidConfigError } from '@es/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultClassifier } from './error-classifier.js';
import { TimeoutError } from './errors.js';
import { withTimeout } from './with-timeout.js';

describe('withTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the result and clears its timer', async () => {
    vi.useFakeTimers();
    await expect(withTimeout(async () => 'done', 1000)).resolves.toBe('done');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with a retryable TimeoutError after ms and aborts the operation signal', async () => {
    vi.useFakeTimers();
    let seen: AbortSignal | undefined;
    const result = withTimeout(
      (signal) => {
        seen = signal;
        return new Promise(() => {});
      },
      100,
      { operationName: 'slow_query' },
    ).catch((e) => e);
    await vi.advanceTimersByTimeAsync(99);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await result;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({
      code: 'ES_TIMEOUT',
      timeoutMs: 100,
      operationName: 'slow_query',
    });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
    expect(defaultClassifier.isRetryable(error)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes the operation error through and absorbs a late rejection', async () => {
    vi.useFakeTimers();
    const failure = new Error('failed');
    await expect(withTimeout(() => Promise.reject(failure), 100)).rejects.toBe(failure);
    await expect(
      withTimeout(() => {
        throw failure;
      }, 100),
    ).rejects.toBe(failure);
    vi.useRealTimers();
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      let rejectLate!: (e: unknown) => void;
      const result = withTimeout(() => new Promise((_, reject) => (rejectLate = reject)), 1).catch(
        (e) => e,
      );
      expect(await result).toBeInstanceOf(TimeoutError);
      rejectLate(new Error('late'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('follows an outer signal and removes its listener', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const result = withTimeout(
      (signal) => {
        inner = signal;
        return new Promise(() => {});
      },
      1000,
      { signal: controller.signal },
    ).catch((e) => e);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort('cancel');
    expect(await result).toBe('cancel');
    expect(inner?.reason).toBe('cancel');
    expect(vi.getTimerCount()).toBe(0);
    const done = new AbortController();
    await withTimeout(async () => 1, 1000, { signal: done.signal });
    expect(getEventListeners(done.signal, 'abort')).toHaveLength(0);
  });

  it('rejects at once for an already-aborted signal without calling the operation', async () => {
    const op = vi.fn(async () => 1);
    await expect(withTimeout(op, 10, { signal: AbortSignal.abort('no') })).rejects.toBe('no');
    expect(op).not.toHaveBeenCalled();
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])('rejects ms = %s', async (ms) => {
    await expect(withTimeout(async () => 1, ms)).rejects.toBeInstanceOf(InvalidConfigError);
  });
});
