import { TimeoutError } from '@es/resilience';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Deadline } from './deadline.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Deadline', () => {
  it('passes through what settles before the deadline, and clear() leaves no timer', async () => {
    vi.useFakeTimers();
    const deadline = new Deadline(1_000, 'health');
    await expect(deadline.race(Promise.resolve(7))).resolves.toBe(7);
    await expect(deadline.race(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(vi.getTimerCount()).toBe(1);
    deadline.clear();
    deadline.clear();
    expect(vi.getTimerCount()).toBe(0);
    expect(deadline.passed).toBe(false);
  });

  it('rejects every operation still running at the deadline, and later ones at once', async () => {
    vi.useFakeTimers();
    const deadline = new Deadline(500, 'p.health');
    const never = new Promise<number>(() => {});
    const first = deadline.race(never);
    const second = deadline.race(never);
    const caught = Promise.allSettled([first, second]);
    await vi.advanceTimersByTimeAsync(500);
    const [a, b] = await caught;
    expect(a).toMatchObject({ status: 'rejected' });
    const error = (a as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({
      code: 'ES_TIMEOUT',
      timeoutMs: 500,
      operationName: 'p.health',
      message: 'p.health did not finish within 500 ms',
    });
    expect((b as PromiseRejectedResult).reason).toBe(error);
    expect(deadline.passed).toBe(true);
    expect(deadline.isTimeout(error)).toBe(true);
    expect(deadline.isTimeout(new TimeoutError())).toBe(false);
    // After the deadline: rejected without waiting; a late failure of the operation is ignored.
    const late = Promise.reject(new Error('late'));
    await expect(deadline.race(late)).rejects.toBe(error);
    deadline.clear();
  });

  it('never leaves an unhandled rejection when nothing races at expiry', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const deadline = new Deadline(1, 'idle');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(deadline.passed).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
