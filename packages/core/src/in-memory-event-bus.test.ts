import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidConfigError } from './errors.js';
import type { AppendNotification } from './event-bus.js';
import { InMemoryEventBus } from './in-memory-event-bus.js';

const note: AppendNotification = { events: [] };

describe('InMemoryEventBus', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('delivers to every listener in subscription order', () => {
    const bus = new InMemoryEventBus();
    const calls: string[] = [];
    bus.subscribe(() => calls.push('a'));
    bus.subscribe((n) => {
      expect(n).toBe(note);
      calls.push('b');
    });
    bus.publish(note);
    expect(calls).toEqual(['a', 'b']);
    expect(bus.listenerCount).toBe(2);
  });

  it('isolates and reports a throwing listener', () => {
    const errors: unknown[] = [];
    const bus = new InMemoryEventBus({ onListenerError: (error, n) => errors.push([error, n]) });
    const boom = new Error('boom');
    const after = vi.fn();
    bus.subscribe(() => {
      throw boom;
    });
    bus.subscribe(after);
    expect(() => bus.publish(note)).not.toThrow();
    expect(after).toHaveBeenCalledOnce();
    expect(errors).toEqual([[boom, note]]);
  });

  it('survives a throwing error reporter', () => {
    const bus = new InMemoryEventBus({
      onListenerError: () => {
        throw new Error('reporter failed');
      },
    });
    const after = vi.fn();
    bus.subscribe(() => {
      throw new Error('boom');
    });
    bus.subscribe(after);
    expect(() => bus.publish(note)).not.toThrow();
    expect(after).toHaveBeenCalledOnce();
  });

  it('logs listener errors with console.error by default', () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const bus = new InMemoryEventBus();
    bus.subscribe(() => {
      throw new Error('boom');
    });
    bus.publish(note);
    expect(spy).toHaveBeenCalledOnce();
  });

  it('unsubscribes, idempotently', () => {
    const bus = new InMemoryEventBus();
    const listener = vi.fn();
    const stop = bus.subscribe(listener);
    stop();
    stop();
    bus.publish(note);
    expect(listener).not.toHaveBeenCalled();
    expect(bus.listenerCount).toBe(0);
  });

  it('keeps separate subscriptions of the same listener', () => {
    const bus = new InMemoryEventBus();
    const listener = vi.fn();
    const first = bus.subscribe(listener);
    bus.subscribe(listener);
    first();
    bus.publish(note);
    expect(listener).toHaveBeenCalledOnce();
  });

  it('handles unsubscribing during a publish', () => {
    const bus = new InMemoryEventBus();
    const calls: string[] = [];
    let stopSelf: () => void = () => {};
    let stopLater: () => void = () => {};
    stopSelf = bus.subscribe(() => {
      calls.push('self');
      stopSelf();
    });
    bus.subscribe(() => {
      calls.push('remover');
      stopLater();
    });
    stopLater = bus.subscribe(() => calls.push('later'));
    bus.subscribe(() => calls.push('last'));
    bus.publish(note);
    expect(calls).toEqual(['self', 'remover', 'last']);
    bus.publish(note);
    expect(calls).toEqual(['self', 'remover', 'last', 'remover', 'last']);
  });

  it('lets a listener added during a publish hear only later publishes', () => {
    const bus = new InMemoryEventBus();
    const added = vi.fn();
    bus.subscribe(() => {
      if (added.mock.calls.length === 0 && bus.listenerCount === 1) bus.subscribe(added);
    });
    bus.publish(note);
    expect(added).not.toHaveBeenCalled();
    bus.publish(note);
    expect(added).toHaveBeenCalledOnce();
  });

  it('clears every listener', () => {
    const bus = new InMemoryEventBus();
    const listener = vi.fn();
    const stop = bus.subscribe(listener);
    bus.clear();
    bus.publish(note);
    stop();
    expect(listener).not.toHaveBeenCalled();
    expect(bus.listenerCount).toBe(0);
  });

  it('validates its arguments', () => {
    expect(() => new InMemoryEventBus({ onListenerError: 1 as never })).toThrow(InvalidConfigError);
    expect(() => new InMemoryEventBus().subscribe('x' as never)).toThrow(InvalidConfigError);
  });
});
