import { describe, expect, it } from 'vitest';
import { CoalescedNotifier } from './coalesced-notifier.js';

/** A send whose calls stay pending until released, in order. */
function controlledSend() {
  const pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  let calls = 0;
  const send = () =>
    new Promise<void>((resolve, reject) => {
      calls++;
      pending.push({ resolve, reject });
    });
  return {
    send,
    calls: () => calls,
    release: async (error?: unknown) => {
      const next = pending.shift();
      if (next === undefined) throw new Error('nothing pending');
      if (error === undefined) next.resolve();
      else next.reject(error);
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe('CoalescedNotifier', () => {
  it('sends at once when idle, one more for any number of requests made while in flight', async () => {
    const c = controlledSend();
    const notifier = new CoalescedNotifier(c.send, () => {});
    notifier.request();
    expect(c.calls()).toBe(1);
    for (let i = 0; i < 10; i++) notifier.request();
    expect(c.calls()).toBe(1);
    await c.release();
    expect(c.calls()).toBe(2);
    await c.release();
    expect(c.calls()).toBe(2);
    await notifier.drain();
    notifier.request();
    expect(c.calls()).toBe(3);
    await c.release();
    await notifier.drain();
  });

  it('covers every request: one made during the last send causes a further send', async () => {
    const c = controlledSend();
    const notifier = new CoalescedNotifier(c.send, () => {});
    notifier.request();
    notifier.request();
    await c.release();
    expect(c.calls()).toBe(2);
    notifier.request(); // during the second send
    await c.release();
    expect(c.calls()).toBe(3);
    await c.release();
    await notifier.drain();
    expect(c.calls()).toBe(3);
  });

  it('hands a failed send to onError, keeps going, and never rejects drain', async () => {
    const c = controlledSend();
    const errors: unknown[] = [];
    const notifier = new CoalescedNotifier(c.send, (e) => {
      errors.push(e);
      throw new Error('a throwing callback is contained');
    });
    notifier.request();
    notifier.request();
    const boom = new Error('connection lost');
    await c.release(boom);
    expect(errors).toEqual([boom]);
    expect(c.calls()).toBe(2);
    await c.release();
    await expect(notifier.drain()).resolves.toBeUndefined();
    notifier.request();
    expect(c.calls()).toBe(3);
    await c.release();
  });
});
