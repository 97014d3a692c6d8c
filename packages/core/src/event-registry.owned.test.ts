import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DomainEvent } from './domain-event.js';
import { EventTypeNotFoundError, SerializationError } from './errors.js';
import type { AnyEventDefinition } from './event-definition.js';
import { defineEvent, payload } from './event-definition.js';
import { EventRegistry } from './event-registry.js';
import { parseIsoTimestamp } from './internal/event-builder.js';

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function setup() {
  const registry = new EventRegistry();
  const Bag = defineEvent('Bag', {
    aggregateType: 'Bag',
    payload: payload<{ value: unknown; list?: unknown }>(),
    registry,
  });
  const Titled = defineEvent('Titled', {
    aggregateType: 'Task',
    schema: z.object({ title: z.string(), tags: z.array(z.string()).default([]) }),
    registry,
  });
  return { registry, Bag, Titled };
}

type Loose = DomainEvent & Record<string, unknown>;

/** Every object and array reachable from `value` is frozen. */
function deepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || value instanceof Date) return true;
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every(deepFrozen);
}

describe('EventRegistry.deserializeOwned', () => {
  it('returns what deserialize returns, in the same key order, deep-frozen', () => {
    const { registry, Bag } = setup();
    const event = Bag.create({
      aggregateId: 'b-1',
      aggregateVersion: 3,
      value: { nested: [1, { two: 2 }], text: 'x' },
      list: [[1], []],
      causationId: 'c',
      tenantId: 't',
      metadata: { deep: { list: [1, 'two'] } },
    });
    const json = JSON.stringify(registry.serialize(event));
    const copied = registry.deserialize(JSON.parse(json)) as Loose;
    const owned = registry.deserializeOwned(JSON.parse(json)) as Loose;
    expect(owned).toEqual(event);
    expect(owned).toEqual(copied);
    expect(Object.keys(owned)).toEqual(Object.keys(copied));
    expect(Object.keys(owned)).toEqual(Object.keys(event));
    expect(owned.occurredAt).toBeInstanceOf(Date);
    expect(deepFrozen(owned)).toBe(true);
    expect(Bag.is(owned)).toBe(true);
  });

  it('freezes the handed-over objects in place instead of copying them', () => {
    const { registry, Bag } = setup();
    const data = JSON.parse(
      JSON.stringify(registry.serialize(Bag.create({ aggregateId: 'b', value: { list: [1] } }))),
    ) as Record<string, unknown> & { value: { list: number[] }; metadata: object };
    const value = data.value;
    const metadata = data.metadata;
    const event = registry.deserializeOwned(data) as Loose;
    expect(event).not.toBe(data);
    expect(event.value).toBe(value);
    expect(event.metadata).toBe(metadata);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.list)).toBe(true);
  });

  it('parses JSON text itself and treats the result as owned', () => {
    const { registry, Bag } = setup();
    const event = Bag.create({ aggregateId: 'b', value: [1, 2] });
    const json = JSON.stringify(registry.serialize(event));
    expect(registry.deserializeOwned(json)).toEqual(event);
    expect(registry.deserialize(json)).toEqual(event);
    const error = catchError(() => registry.deserializeOwned('{"eventType":'));
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).code).toBe('ES_SERIALIZATION');
  });

  it('copies the output of a schema (it may share defaults between calls)', () => {
    const { registry, Titled } = setup();
    const data = JSON.parse(
      JSON.stringify(registry.serialize(Titled.create({ aggregateId: 't', title: 'x' }))),
    ) as Record<string, unknown>;
    delete data.tags;
    const first = registry.deserializeOwned(data) as Loose;
    expect(first.tags).toEqual([]);
    expect(Object.isFrozen(first.tags)).toBe(true);
    const again = JSON.parse(JSON.stringify(registry.serialize(first))) as Record<string, unknown>;
    delete again.tags;
    const second = registry.deserializeOwned(again) as Loose;
    expect(second.tags).toEqual([]);
    // The schema still validates.
    const bad = { ...again, title: 42 };
    const error = catchError(() => registry.deserializeOwned(bad));
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).issues).toEqual([expect.stringContaining('title')]);
  });

  it('throws the same typed errors as deserialize and never returns a half-built event', () => {
    const { registry, Bag } = setup();
    const good = registry.serialize(Bag.create({ aggregateId: 'a', value: 1 }));
    const cases: unknown[] = [
      null,
      42,
      [],
      { ...good, eventType: undefined },
      { ...good, eventType: 'Nope' },
      { ...good, eventId: '' },
      { ...good, occurredAt: 'yesterday' },
      { ...good, occurredAt: '2024-13-01T00:00:00.000Z' },
      { ...good, aggregateVersion: 0 },
      { ...good, metadata: [] },
      { ...good, correlationId: 5 },
    ];
    for (const input of cases) {
      const copyError = catchError(() => registry.deserialize(structuredClone(input)));
      const ownedError = catchError(() => registry.deserializeOwned(structuredClone(input)));
      expect(ownedError).toBeInstanceOf((copyError as Error).constructor);
      expect((ownedError as Error).message).toBe((copyError as Error).message);
      expect(
        ownedError instanceof SerializationError || ownedError instanceof EventTypeNotFoundError,
      ).toBe(true);
    }
  });

  it('reports a cyclic payload or metadata as a SerializationError', () => {
    const { registry, Bag } = setup();
    const data = { ...registry.serialize(Bag.create({ aggregateId: 'a', value: 1 })) } as Record<
      string,
      unknown
    >;
    const cycle: Record<string, unknown> = { a: [1] };
    (cycle.a as unknown[]).push({ back: cycle });
    const error = catchError(() => registry.deserializeOwned({ ...data, value: cycle }));
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).issues).toEqual(['payload: contains a cyclic structure']);
    const metaCycle: Record<string, unknown> = {};
    metaCycle.self = metaCycle;
    const metaError = catchError(() => registry.deserializeOwned({ ...data, metadata: metaCycle }));
    expect((metaError as SerializationError).issues).toEqual([
      'metadata: contains a cyclic structure',
    ]);
  });

  it('freezes deep acyclic data completely', () => {
    const { registry, Bag } = setup();
    let deep: unknown = { leaf: [1] };
    for (let i = 0; i < 200; i++) deep = i % 2 === 0 ? [deep] : { next: deep };
    const shared = { same: [1] };
    const data = {
      ...registry.serialize(Bag.create({ aggregateId: 'a', value: 1 })),
      value: deep,
      list: [shared, shared],
    };
    const event = registry.deserializeOwned(data) as Loose;
    expect(deepFrozen(event)).toBe(true);
    expect((event.list as unknown[])[0]).toBe((event.list as unknown[])[1]);
  });

  it('never lets a __proto__ key change the prototype', () => {
    const { registry, Bag } = setup();
    const json = JSON.stringify({
      ...registry.serialize(Bag.create({ aggregateId: 'a', value: 1 })),
    }).replace('"value":1', '"value":1,"__proto__":{"polluted":true}');
    const event = registry.deserializeOwned(JSON.parse(json));
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect(Object.hasOwn(event, '__proto__')).toBe(true);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.isFrozen(Object.getOwnPropertyDescriptor(event, '__proto__')?.value)).toBe(true);
  });

  it('calls a definition with its own revive as usual, without handing anything over', () => {
    const registry = new EventRegistry();
    const seen: unknown[] = [];
    const custom: AnyEventDefinition = {
      eventType: 'Custom',
      aggregateType: 'X',
      eventVersion: 1,
      schema: undefined,
      create: () => {
        throw new Error('unused');
      },
      is: (value: unknown): value is never => false,
      revive(data) {
        seen.push(data);
        return Object.freeze({ ...data }) as never;
      },
    };
    registry.register(custom);
    const inner = { list: [1] };
    const data = { eventType: 'Custom', eventId: 'e', inner };
    registry.deserializeOwned(data);
    expect(seen).toEqual([data]);
    expect(Object.isFrozen(inner)).toBe(false);
    // The hand-over does not leak to a later, ordinary revive.
    const { Bag } = setup();
    const value = { kept: [1] };
    const revived = Bag.revive({
      ...setup().registry.serialize(Bag.create({ aggregateId: 'a', value: 1 })),
      value,
    }) as Loose;
    expect(revived.value).not.toBe(value);
    expect(Object.isFrozen(value)).toBe(false);
  });

  it('round-trips arbitrary JSON payloads like deserialize', () => {
    const { registry, Bag } = setup();
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (value, list) => {
        const event = Bag.create({ aggregateId: 'a', value, list });
        const json = JSON.stringify(registry.serialize(event));
        const owned = registry.deserializeOwned(JSON.parse(json));
        expect(owned).toEqual(registry.deserialize(JSON.parse(json)));
        expect(deepFrozen(owned)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseIsoTimestamp', () => {
  it('equals Date.parse for every toISOString output', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        const text = new Date(ms).toISOString();
        expect(parseIsoTimestamp(text)).toBe(Date.parse(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('equals Date.parse for out-of-range fields, rollover days and other forms', () => {
    const pad = (value: number, width: number) => String(value).padStart(width, '0');
    const texts: string[] = [
      '2024-01-01T00:00:00Z',
      '2024-01-01',
      '2024-01-01T00:00:00.000+02:00',
      '2024-01-01T00:00:00.00xZ',
      '2024-01-01 00:00:00.000Z',
      '+002024-01-01T00:00:00.000Z',
      'x024-01-01T00:00:00.000Z',
      '',
    ];
    for (const year of [0, 1, 99, 100, 1600, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (const day of [0, 1, 28, 29, 30, 31, 32]) {
          for (const time of ['00:00:00.000', '23:59:59.999', '24:00:00.000', '12:60:00.000']) {
            texts.push(`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${time}Z`);
          }
        }
      }
    }
    for (const text of texts) expect(parseIsoTimestamp(text), text).toBe(Date.parse(text));
  });
});
