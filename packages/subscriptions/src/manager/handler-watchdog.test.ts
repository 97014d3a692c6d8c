import { afterEach, describe, expect, it, vi } from 'vitest';
import { HandlerWatchdog } from './handler-watchdog.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('HandlerWatchdog', () => {
  it('reports a call that runs past its budget, once', async () => {
    vi.useFakeTimers();
    const timeouts: [number, number][] = [];
    const watchdog = new HandlerWatchdog(100, Date.now, (id, elapsed) =>
      timeouts.push([id, elapsed]),
    );
    const id = watchdog.begin();
    await vi.advanceTimersByTimeAsync(99);
    expect(timeouts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(timeouts).toEqual([[id, 100]]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(timeouts).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('uses one timer for many short calls and re-arms for the call in flight', async () => {
    vi.useFakeTimers();
    const timeouts: number[] = [];
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const watchdog = new HandlerWatchdog(100, Date.now, (id) => timeouts.push(id));
    for (let i = 0; i < 1_000; i++) {
      watchdog.begin();
      watchdog.end();
    }
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(60);
    const slow = watchdog.begin(); // starts at t=60, budget until t=160
    await vi.advanceTimersByTimeAsync(40); // t=100: the first timer fires and re-arms
    expect(timeouts).toEqual([]);
    expect(setTimeoutSpy).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(59);
    expect(timeouts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(timeouts).toEqual([slow]);
    watchdog.dispose();
  });

  it('goes quiet when idle and dispose clears the timer', async () => {
    vi.useFakeTimers();
    const watchdog = new HandlerWatchdog(100, Date.now, () => {
      throw new Error('no timeout expected');
    });
    watchdog.begin();
    watchdog.end();
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
    watchdog.begin();
    expect(vi.getTimerCount()).toBe(1);
    watchdog.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });
});
