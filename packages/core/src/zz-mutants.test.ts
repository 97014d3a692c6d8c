import type { DomainEvent } from './domain-event.js';
import type { EventStore, ReadAllOptions, StoredEvent } from './event-store.js';
import { InMemoryEventStore } from './in-memory-event-store.js';
import { describeEventStoreConformance } from './testing.js';

function wrap(inner: InMemoryEventStore, patch: Partial<EventStore>): EventStore {
  return {
    appendEvents: (a, b, c, d) => inner.appendEvents(a, b, c, d),
    getEvents: (a, b, c) => inner.getEvents(a, b, c),
    readAll: (o) => inner.readAll(o),
    getGlobalPosition: () => inner.getGlobalPosition(),
    ...patch,
  };
}
const mutants: Record<string, () => EventStore> = {
  inclusiveFrom: () => {
    const s = new InMemoryEventStore();
    return wrap(s, { readAll: (o?: ReadAllOptions) => s.readAll({ ...o, fromPosition: Math.max(0, Number(o?.fromPosition ?? 0) - 1) }) });
  },
  noIdempotency: () => {
    const s = new InMemoryEventStore();
    let n = 0;
    return wrap(s, { appendEvents: (a, b, c, d) => s.appendEvents(a, b, c.map((e) => ({ ...e, eventId: `${e.eventId}-${n++}` }) as DomainEvent), d) });
  },
  nonAtomic: () => {
    const s = new InMemoryEventStore();
    return wrap(s, {
      appendEvents: async (a, b, c, d) => {
        if (c.length > 1 && d >= 0) { try { await s.appendEvents(a, b, c.slice(0, 1), d); } catch {} return s.appendEvents(a, b, c.slice(1), -1); }
        return s.appendEvents(a, b, c, d);
      },
    });
  },
  racy: () => {
    const s = new InMemoryEventStore();
    return wrap(s, {
      appendEvents: async (a, b, c, d) => {
        const v = (await s.getEvents(a, b)).version;
        if (d >= 0 && v !== d) return s.appendEvents(a, b, c, d);
        await new Promise((r) => setTimeout(r, 1));
        return s.appendEvents(a, b, c, -1);
      },
    });
  },
  ignoreFromVersion: () => {
    const s = new InMemoryEventStore();
    return wrap(s, { getEvents: (a, b) => s.getEvents(a, b) });
  },
  unrevivedDates: () => {
    const s = new InMemoryEventStore();
    return wrap(s, { getEvents: async (a, b, c) => { const r = await s.getEvents(a, b, c); return { ...r, events: r.events.map((e) => JSON.parse(JSON.stringify(e))) }; } });
  },
  noLimit: () => {
    const s = new InMemoryEventStore();
    return wrap(s, { readAll: (o?: ReadAllOptions) => { const { limit: _l, ...rest } = o ?? {}; return s.readAll(rest); } });
  },
  noTypeFilter: () => {
    const s = new InMemoryEventStore();
    return wrap(s, { readAll: (o?: ReadAllOptions) => { const { eventTypes: _t, ...rest } = o ?? {}; return s.readAll(rest); } });
  },
  wrongGlobalPos: () => {
    const s = new InMemoryEventStore();
    return wrap(s, { getGlobalPosition: async () => (await s.getGlobalPosition()) + 1 });
  },
  noStreamExistsCheck: () => {
    const s = new InMemoryEventStore();
    return wrap(s, { appendEvents: (a, b, c, d) => s.appendEvents(a, b, c, d === -2 ? -1 : d) });
  },
  typeBlind: () => {
    const s = new InMemoryEventStore();
    return wrap(s, { getEvents: (a, _b, c) => s.getEvents(a, undefined, c) });
  },
  positionsShifted: () => {
    const s = new InMemoryEventStore();
    return wrap(s, { readAll: (o?: ReadAllOptions) => { const it = s.readAll(o); return { async *[Symbol.asyncIterator]() { for await (const x of it) yield { ...x, streamPosition: x.streamPosition + 1 } as StoredEvent; } }; } });
  },
};
for (const [name, make] of Object.entries(mutants)) describeEventStoreConformance(`MUTANT ${name}`, () => ({ store: make() }));
