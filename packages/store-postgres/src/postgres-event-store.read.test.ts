import { type DomainEvent, EventRegistry, SerializationError, type StoredEvent } from '@es/core';
import { describe, expect, it } from 'vitest';
import { created, TaskCreated, testRegistry } from '../test/support/events.js';
import { fakeDrizzle } from '../test/support/fake-drizzle.js';
import { PostgresEventStore } from './postgres-event-store.js';

async function collect(iterable: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const stored of iterable) out.push(stored);
  return out;
}

const readRow = (gp: number, data: unknown): unknown[] => [
  String(gp),
  '10',
  1,
  't-1',
  'Task',
  data,
  1_700_000_000_000,
];

describe('PostgresEventStore read path (row revival)', () => {
  it('revives data the driver parsed and data given as JSON text alike, frozen', async () => {
    const a = created('t-1', 'one', 1);
    const b = created('t-1', 'two', 2);
    const { db } = fakeDrizzle(() => [
      [JSON.parse(JSON.stringify(testRegistry.serialize(a)))],
      [JSON.stringify(testRegistry.serialize(b))],
    ]);
    const store = new PostgresEventStore({ connection: db, registry: testRegistry });
    const stream = await store.getEvents('t-1', 'Task');
    expect(stream.events).toEqual([a, b]);
    expect(stream.version).toBe(2);
    for (const event of stream.events) {
      expect(Object.isFrozen(event)).toBe(true);
      expect(Object.isFrozen(event.metadata)).toBe(true);
      expect(event.occurredAt).toBeInstanceOf(Date);
      expect(TaskCreated.is(event)).toBe(true);
    }
  });

  it('keeps the cursor of the last row for the next page', async () => {
    const pages = [
      [
        readRow(1, testRegistry.serialize(created('t-1'))),
        readRow(2, testRegistry.serialize(created('t-1', 'x', 2))),
      ],
      [],
    ];
    const { db, calls } = fakeDrizzle((text, _p, index) =>
      text.includes('held_back') ? [[false]] : (pages[index] ?? []),
    );
    const store = new PostgresEventStore({
      connection: db,
      registry: testRegistry,
      readBatchSize: 2,
    });
    const events = await collect(store.readAll());
    expect(events.map((e) => e.globalPosition)).toEqual([1, 2]);
    expect(calls[1]!.params).toEqual(['10', 2, 2]);
  });

  it('rejects a stored event that does not deserialize with a typed error', async () => {
    const bad = { ...testRegistry.serialize(created('t-1')), aggregateVersion: 0 };
    const { db } = fakeDrizzle(() => [[bad]]);
    const store = new PostgresEventStore({ connection: db, registry: testRegistry });
    await expect(store.getEvents('t-1', 'Task')).rejects.toBeInstanceOf(SerializationError);
  });

  it('sends every row through an overridden deserialize (an upcasting registry)', async () => {
    class UpcastingRegistry extends EventRegistry {
      readonly seen: unknown[] = [];
      override deserialize(value: unknown): DomainEvent {
        this.seen.push(value);
        const data = value as Record<string, unknown>;
        return super.deserialize({ ...data, title: `upcast ${String(data.title)}` });
      }
    }
    const registry = new UpcastingRegistry();
    registry.register(TaskCreated);
    const stored = testRegistry.serialize(created('t-1', 'old'));
    const { db } = fakeDrizzle((text) =>
      text.includes('held_back')
        ? [[false]]
        : text.includes('global_position')
          ? [readRow(1, { ...stored })]
          : [[{ ...stored }]],
    );
    const store = new PostgresEventStore({ connection: db, registry });
    const stream = await store.getEvents('t-1', 'Task');
    expect((stream.events[0] as DomainEvent & { title: string }).title).toBe('upcast old');
    const all = await collect(store.readAll({ limit: 1 }));
    expect(all.map((s) => (s.event as DomainEvent & { title: string }).title)).toEqual([
      'upcast old',
    ]);
    expect(registry.seen).toHaveLength(2);
  });
});
