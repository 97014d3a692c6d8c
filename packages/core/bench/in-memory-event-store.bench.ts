/**
 * Throughput of the in-memory store and the registry. Not a test: run with
 * `npx vitest bench --run` from packages/core.
 */
import { bench, describe } from 'vitest';
import { z } from 'zod';
import type { DomainEvent } from '../src/domain-event.js';
import { defineEvent, payload } from '../src/event-definition.js';
import { EventRegistry } from '../src/event-registry.js';
import { ExpectedVersion } from '../src/event-store.js';
import { InMemoryEventStore } from '../src/in-memory-event-store.js';

const registry = new EventRegistry();
const Plain = defineEvent('Plain', {
  aggregateType: 'Bench',
  payload: payload<{ title: string; n: number }>(),
  registry,
});
const Validated = defineEvent('Validated', {
  aggregateType: 'Bench',
  schema: z.object({ title: z.string(), n: z.number() }),
  registry,
});

const N = 100_000;
const prebuilt: DomainEvent[] = Array.from({ length: N }, (_, i) =>
  Plain.create({ aggregateId: `a-${i}`, title: 'x', n: i }),
);

describe('appendEvents', () => {
  bench(
    `${N} single-event appends to new streams`,
    async () => {
      const store = new InMemoryEventStore();
      for (let i = 0; i < N; i++) {
        const event = prebuilt[i] as DomainEvent;
        await store.appendEvents(event.aggregateId, 'Bench', [event], ExpectedVersion.NO_STREAM);
      }
    },
    { iterations: 5 },
  );

  bench(
    `${N} single-event appends to one stream (exact expected version)`,
    async () => {
      const store = new InMemoryEventStore();
      const template = Plain.create({ aggregateId: 'one', title: 'x', n: 0 });
      const events = Array.from({ length: N }, (_, i) =>
        Object.freeze({ ...template, eventId: `e-${i}`, aggregateVersion: i + 1 }),
      ) as DomainEvent[];
      for (let i = 0; i < N; i++) {
        await store.appendEvents('one', 'Bench', [events[i] as DomainEvent], i);
      }
    },
    { iterations: 5 },
  );
});

describe('readAll over 1,000,000 events', () => {
  const store = new InMemoryEventStore();
  const template = Plain.create({ aggregateId: 'big', title: 'x', n: 0 });
  const ready = (async () => {
    for (let v = 0; v < 1_000_000; v += 10_000) {
      const batch = Array.from({ length: 10_000 }, (_, i) =>
        Object.freeze({ ...template, eventId: `b-${v + i}`, aggregateVersion: v + i + 1 }),
      ) as DomainEvent[];
      await store.appendEvents('big', 'Bench', batch, v);
    }
  })();

  bench('read 100 events from position 999,000', async () => {
    await ready;
    let count = 0;
    for await (const _ of store.readAll({ fromPosition: 999_000, limit: 100 })) count++;
    if (count !== 100) throw new Error('short read');
  });

  bench(
    'read all 1,000,000 events',
    async () => {
      await ready;
      let count = 0;
      for await (const _ of store.readAll()) count++;
      if (count !== 1_000_000) throw new Error('short read');
    },
    { iterations: 3 },
  );
});

describe('create / serialize / deserialize', () => {
  const event = Validated.create({ aggregateId: 'a', title: 'x', n: 1 });
  const json = JSON.stringify(registry.serialize(event));
  bench('create (no schema)', () => {
    Plain.create({ aggregateId: 'a', title: 'x', n: 1 });
  });
  bench('create (zod schema)', () => {
    Validated.create({ aggregateId: 'a', title: 'x', n: 1 });
  });
  bench('serialize', () => {
    registry.serialize(event);
  });
  bench('deserialize JSON text (zod schema)', () => {
    registry.deserialize(json);
  });
});
