import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { DomainEvent } from './domain-event.js';
import {
  EventTypeNotFoundError,
  InvalidConfigError,
  OptimisticLockError,
  SerializationError,
} from './errors.js';
import type { AppendNotification, EventBus } from './event-bus.js';
import { defineEvent, payload } from './event-definition.js';
import { EventRegistry } from './event-registry.js';
import type { StoredEvent } from './event-store.js';
import { InMemoryEventBus } from './in-memory-event-bus.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

const registry = new EventRegistry();
const ItemAdded = defineEvent('ItemAdded', {
  aggregateType: 'Cart',
  schema: z.object({ sku: z.string().min(1) }),
  registry,
});
const Unregistered = defineEvent('Unregistered', {
  aggregateType: 'Cart',
  payload: payload<{ value: unknown }>(),
  registry: null,
});

const add = (aggregateId: string, aggregateVersion: number, sku = `sku-${aggregateVersion}`) =>
  ItemAdded.create({ aggregateId, aggregateVersion, sku });

async function collect(iterable: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const stored of iterable) out.push(stored);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('InMemoryEventStore', () => {
  it('assigns dense global positions with position === globalPosition', async () => {
    const store = new InMemoryEventStore();
    await store.appendEvents('a', 'Cart', [add('a', 1), add('a', 2)], 0);
    await store.appendEvents('b', 'Cart', [add('b', 1)], 0);
    const all = await collect(store.readAll());
    expect(all.map((s) => s.globalPosition)).toEqual([1, 2, 3]);
    expect(all.map((s) => s.position)).toEqual([1, 2, 3]);
    expect(Object.isFrozen(all[0])).toBe(true);
    expect(await store.getEventCount()).toBe(3);
    expect(await store.getGlobalPosition()).toBe(3);
  });

  it('stores frozen events as they are and foreign objects as frozen deep copies', async () => {
    const store = new InMemoryEventStore();
    const event = add('a', 1);
    await store.appendEvents('a', 'Cart', [event], 0);
    expect((await store.getEvents('a', 'Cart')).events[0]).toBe(event);

    const foreign = { ...add('a', 2), extra: { list: [1] } } as DomainEvent & {
      extra: { list: number[] };
    };
    await store.appendEvents('a', 'Cart', [foreign], 1);
    foreign.extra.list.push(2);
    const stored = (await store.getEvents('a', 'Cart')).events[1] as typeof foreign;
    expect(stored).not.toBe(foreign);
    expect(stored.extra.list).toEqual([1]);
    expect(Object.isFrozen(stored)).toBe(true);
    expect(Object.isFrozen(stored.extra.list)).toBe(true);
  });

  it('round-trips through the registry when one is given', async () => {
    const store = new InMemoryEventStore({ registry });
    const event = add('a', 1);
    await store.appendEvents('a', 'Cart', [event], 0);
    const stored = (await store.getEvents('a', 'Cart')).events[0];
    expect(stored).not.toBe(event);
    expect(stored).toEqual(event);

    const unknown = Unregistered.create({ aggregateId: 'a', aggregateVersion: 2, value: 1 });
    expect(await rejection(store.appendEvents('a', 'Cart', [unknown], 1))).toBeInstanceOf(
      EventTypeNotFoundError,
    );
    const invalid = { ...add('a', 3), sku: '' };
    expect(
      await rejection(store.appendEvents('a', 'Cart', [add('a', 2), invalid], 1)),
    ).toBeInstanceOf(SerializationError);
    expect(await store.getEventCount()).toBe(1);
  });

  it('publishes the stored events after each append that stored something', async () => {
    const eventBus = new InMemoryEventBus();
    const notifications: AppendNotification[] = [];
    eventBus.subscribe((n) => notifications.push(n));
    const store = new InMemoryEventStore({ eventBus });
    const events = [add('a', 1), add('a', 2)];
    await store.appendEvents('a', 'Cart', events, 0);
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.events.map((s) => s.event)).toEqual(events);
    expect(notifications[0]!.events.map((s) => s.globalPosition)).toEqual([1, 2]);
    await store.appendEvents('a', 'Cart', events, 0); // all duplicates
    await store.appendEvents('a', 'Cart', [], 2); // empty
    await rejection(store.appendEvents('a', 'Cart', [add('a', 1)], 0)); // conflict
    expect(notifications).toHaveLength(1);
  });

  it('lets a listener read the new events during the notification', async () => {
    const eventBus = new InMemoryEventBus();
    const store = new InMemoryEventStore({ eventBus });
    const seen: number[] = [];
    eventBus.subscribe(() => {
      void store.getGlobalPosition().then((p) => seen.push(p));
    });
    await store.appendEvents('a', 'Cart', [add('a', 1)], 0);
    await Promise.resolve();
    expect(seen).toEqual([1]);
  });

  it('succeeds when the bus throws and reports it', async () => {
    const failure = new Error('bus down');
    const eventBus: EventBus = {
      publish: () => {
        throw failure;
      },
      subscribe: () => () => {},
    };
    const onPublishError = vi.fn();
    const store = new InMemoryEventStore({ eventBus, onPublishError });
    const result = await store.appendEvents('a', 'Cart', [add('a', 1)], 0);
    expect(result.newVersion).toBe(1);
    expect(onPublishError).toHaveBeenCalledWith(failure);
    const silent = new InMemoryEventStore({
      eventBus,
      onPublishError: () => {
        throw new Error('reporter down');
      },
    });
    await expect(silent.appendEvents('a', 'Cart', [add('a', 1)], 0)).resolves.toMatchObject({
      newVersion: 1,
    });
  });

  it('stamps storedAt from the injected clock', async () => {
    const store = new InMemoryEventStore({ clock: () => 1_700_000_000_000 });
    await store.appendEvents('a', 'Cart', [add('a', 1), add('a', 2)], 0);
    const all = await collect(store.readAll());
    expect(all.map((s) => s.storedAt.getTime())).toEqual([1_700_000_000_000, 1_700_000_000_000]);
    expect(all[0]!.storedAt).not.toBe(all[1]!.storedAt);
  });

  it('reads a snapshot: events appended during an iteration are not part of it', async () => {
    const store = new InMemoryEventStore();
    await store.appendEvents('a', 'Cart', [add('a', 1), add('a', 2)], 0);
    const seen: number[] = [];
    for await (const stored of store.readAll()) {
      seen.push(stored.globalPosition);
      if (seen.length === 1) await store.appendEvents('a', 'Cart', [add('a', 3)], 2);
    }
    expect(seen).toEqual([1, 2]);
    expect(
      (await collect(store.readAll({ fromPosition: 2 }))).map((s) => s.globalPosition),
    ).toEqual([3]);
  });

  it('treats an empty eventTypes list as "no type"', async () => {
    const store = new InMemoryEventStore();
    await store.appendEvents('a', 'Cart', [add('a', 1)], 0);
    expect(await collect(store.readAll({ eventTypes: [] }))).toEqual([]);
  });

  it('reads the tail of a large store without scanning it', async () => {
    const store = new InMemoryEventStore();
    const total = 200_000;
    const template = add('big', 1);
    for (let v = 1; v <= total; v += 1000) {
      const events: DomainEvent[] = [];
      for (let i = 0; i < 1000; i++) {
        events.push({ ...template, eventId: `e-${v + i}`, aggregateVersion: v + i } as DomainEvent);
      }
      await store.appendEvents('big', 'Cart', events, v - 1);
    }
    expect(await store.getGlobalPosition()).toBe(total);
    const tail = await collect(store.readAll({ fromPosition: total - 3 }));
    expect(tail.map((s) => s.globalPosition)).toEqual([total - 2, total - 1, total]);
    const fromVersion = await store.getEvents('big', 'Cart', { fromVersion: total - 1 });
    expect(fromVersion.events.map((e) => e.aggregateVersion)).toEqual([total]);
    const page = await collect(store.readAll({ fromPosition: 100_000, limit: 2 }));
    expect(page.map((s) => s.globalPosition)).toEqual([100_001, 100_002]);
  });

  it('keeps appends atomic under concurrency: each version goes to exactly one writer', async () => {
    const store = new InMemoryEventStore();
    const attempts = Array.from({ length: 50 }, (_, i) =>
      store.appendEvents('a', 'Cart', [add('a', (i % 5) + 1)], i % 5),
    );
    const results = await Promise.allSettled(attempts);
    const versions = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.newVersion] : []));
    expect(versions).toEqual([1, 2, 3, 4, 5]);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(OptimisticLockError);
    }
  });

  it('reports a conflict before a version mismatch', async () => {
    const store = new InMemoryEventStore();
    await store.appendEvents('a', 'Cart', [add('a', 1)], 0);
    expect(await rejection(store.appendEvents('a', 'Cart', [add('a', 7)], 0))).toBeInstanceOf(
      OptimisticLockError,
    );
  });

  it('reads every stream of an id in global order when no type is given', async () => {
    const store = new InMemoryEventStore();
    const Other = defineEvent('OtherCreated', { aggregateType: 'Other', registry: null });
    await store.appendEvents('x', 'Cart', [add('x', 1)], 0);
    await store.appendEvents('x', 'Other', [Other.create({ aggregateId: 'x' })], 0);
    await store.appendEvents('x', 'Cart', [add('x', 2)], 1);
    const stream = await store.getEvents('x');
    expect(stream.events.map((e) => e.aggregateType)).toEqual(['Cart', 'Other', 'Cart']);
    expect(stream.aggregateType).toBeUndefined();
    expect(
      (await store.getEvents('x', undefined, { fromVersion: 1 })).events.map(
        (e) => e.aggregateType,
      ),
    ).toEqual(['Cart']);
  });

  it('offers stream versions, event lookup and clear', async () => {
    const store = new InMemoryEventStore();
    const event = add('a', 1);
    await store.appendEvents('a', 'Cart', [event], 0);
    expect(await store.getStreamVersion('a', 'Cart')).toBe(1);
    expect(await store.getStreamVersion('a', 'Other')).toBe(0);
    expect(await store.hasEvent(event.eventId)).toBe(true);
    const running = store.readAll()[Symbol.asyncIterator]();
    await store.clear();
    expect(await store.getGlobalPosition()).toBe(0);
    expect(await store.hasEvent(event.eventId)).toBe(false);
    expect((await store.getEvents('a', 'Cart')).events).toEqual([]);
    expect((await running.next()).value?.event).toBe(event);
    await store.appendEvents('a', 'Cart', [add('a', 1)], 0);
    expect(await store.getGlobalPosition()).toBe(1);
  });

  it('closes an iterator on return()', async () => {
    const store = new InMemoryEventStore();
    await store.appendEvents('a', 'Cart', [add('a', 1), add('a', 2)], 0);
    const iterator = store.readAll()[Symbol.asyncIterator]();
    expect((await iterator.next()).done).toBe(false);
    expect(await iterator.return?.()).toEqual({ value: undefined, done: true });
    expect((await iterator.next()).done).toBe(true);
  });

  describe('argument validation', () => {
    const store = new InMemoryEventStore();
    it.each([
      [{ fromPosition: -1 }, 'readAll.fromPosition'],
      [{ fromPosition: 1.5 }, 'readAll.fromPosition'],
      [{ fromPosition: '0001' }, 'readAll.fromPosition'],
      [{ limit: -1 }, 'readAll.limit'],
      [{ limit: 0.5 }, 'readAll.limit'],
      [{ eventTypes: 'ItemAdded' }, 'readAll.eventTypes'],
      [{ eventTypes: [1] }, 'readAll.eventTypes'],
    ])('readAll rejects %j', (options, field) => {
      expect(() => store.readAll(options as never)).toThrow(InvalidConfigError);
      try {
        store.readAll(options as never);
      } catch (error) {
        expect(error).toMatchObject({ field });
      }
    });

    it.each([
      [{ fromVersion: -1 }, 'getEvents.fromVersion'],
      [{ fromVersion: 0.5 }, 'getEvents.fromVersion'],
      [{ fromTimestamp: 'today' }, 'getEvents.fromTimestamp'],
      [{ toTimestamp: new Date(Number.NaN) }, 'getEvents.toTimestamp'],
    ])('getEvents rejects %j', async (options, field) => {
      expect(await rejection(store.getEvents('a', 'Cart', options as never))).toMatchObject({
        code: 'ES_INVALID_CONFIG',
        field,
      });
    });

    it('appendEvents rejects bad arguments and cyclic foreign events', async () => {
      expect(await rejection(store.appendEvents('a', 'Cart', [add('a', 1)], -3))).toBeInstanceOf(
        InvalidConfigError,
      );
      const cyclic: Record<string, unknown> = { ...add('a', 1) };
      cyclic.self = cyclic;
      expect(
        await rejection(store.appendEvents('a', 'Cart', [cyclic as unknown as DomainEvent], 0)),
      ).toBeInstanceOf(InvalidConfigError);
      expect(await store.getGlobalPosition()).toBe(0);
    });

    it.each([
      [{ eventBus: {} }, 'InMemoryEventStoreOptions.eventBus'],
      [{ registry: {} }, 'InMemoryEventStoreOptions.registry'],
      [{ clock: 5 }, 'InMemoryEventStoreOptions.clock'],
      [{ onPublishError: 'x' }, 'InMemoryEventStoreOptions.onPublishError'],
    ])('the constructor rejects %j', (options, field) => {
      expect(() => new InMemoryEventStore(options as never)).toThrow(InvalidConfigError);
      try {
        new InMemoryEventStore(options as never);
      } catch (error) {
        expect(error).toMatchObject({ field });
      }
    });
  });
});
