import { afterEach, describe, expect, it, vi } from 'vitest';
import { Sleeper } from './sleeper.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Sleeper', () => {
  it('times out after the given delay and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const sleeper = new Sleeper();
    const done = sleeper.sleep(100, true);
    expect(sleeper.sleeping).toBe(true);
    await vi.advanceTimersByTimeAsync(99);
    expect(sleeper.sleeping).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    await expect(done).resolves.toBe('timeout');
    expect(sleeper.sleeping).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a notification ends an idle sleep (and clears its timer)', async () => {
    vi.useFakeTimers();
    const sleeper = new Sleeper();
    const done = sleeper.sleep(10_000, true);
    sleeper.notify();
    await expect(done).resolves.toBe('notify');
    expect(vi.getTimerCount()).toBe(0);
    expect(sleeper.dirty).toBe(true);
  });

  it('a notification does not shorten a backoff sleep, but is remembered', async () => {
    vi.useFakeTimers();
    const sleeper = new Sleeper();
    const done = sleeper.sleep(50, false);
    sleeper.notify();
    expect(sleeper.sleeping).toBe(true);
    await vi.advanceTimersByTimeAsync(50);
    await expect(done).resolves.toBe('timeout');
    expect(sleeper.dirty).toBe(true);
    // The next idle sleep returns at once: the wake-up was not lost.
    await expect(sleeper.sleep(10_000, true)).resolves.toBe('notify');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('interrupt ends any sleep, including an endless one (which has no timer)', async () => {
    vi.useFakeTimers();
    const sleeper = new Sleeper();
    const endless = sleeper.sleep(Number.POSITIVE_INFINITY, false);
    expect(vi.getTimerCount()).toBe(0);
    sleeper.interrupt();
    await expect(endless).resolves.toBe('interrupt');
    const backoff = sleeper.sleep(1_000, false);
    sleeper.interrupt();
    await expect(backoff).resolves.toBe('interrupt');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('interrupt and notify with nobody sleeping are harmless', () => {
    const sleeper = new Sleeper();
    sleeper.interrupt();
    sleeper.notify();
    expect(sleeper.dirty).toBe(true);
    sleeper.dirty = false;
    expect(sleeper.sleeping).toBe(false);
  });
});
