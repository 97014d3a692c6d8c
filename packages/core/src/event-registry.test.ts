import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { DomainEvent } from './domain-event.js';
import {
  DuplicateEventTypeError,
  EventTypeNotFoundError,
  InvalidConfigError,
  SerializationError,
} from './errors.js';
import { defineEvent, payload } from './event-definition.js';
import {
  defaultRegistry,
  deserializeEvent,
  EventRegistry,
  registerEvent,
  serializeEvent,
} from './event-registry.js';

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
  const TaskCreated = defineEvent('TaskCreated', {
    aggregateType: 'Task',
    schema: z.object({ title: z.string(), dueAt: z.coerce.date().optional() }),
    registry,
  });
  const Anything = defineEvent('Anything', {
    aggregateType: 'Bag',
    payload: payload<{ value: unknown }>(),
    registry,
  });
  return { registry, TaskCreated, Anything };
}

describe('EventRegistry', () => {
  describe('registration', () => {
    it('registers, looks up, lists sorted, unregisters and clears', () => {
      const registry = new EventRegistry();
      const b = defineEvent('B', { aggregateType: 'T', registry: null });
      const a = defineEvent('A', { aggregateType: 'T', registry: null });
      expect(registry.register(b)).toBe(b);
      expect(registerEvent(a, registry)).toBe(a);
      expect(registry.size).toBe(2);
      expect(registry.listTypes()).toEqual(['A', 'B']);
      expect(registry.get('A')).toBe(a);
      expect(registry.getOrNull('B')).toBe(b);
      expect(registry.getOrNull('C')).toBeNull();
      expect(registry.has('A')).toBe(true);
      expect(registry.has('C')).toBe(false);
      expect(registry.unregister('A')).toBe(true);
      expect(registry.unregister('A')).toBe(false);
      expect(registry.listTypes()).toEqual(['B']);
      registry.clear();
      expect(registry.size).toBe(0);
    });

    it('treats registering the same definition again as a no-op', () => {
      const registry = new EventRegistry();
      const a = defineEvent('A', { aggregateType: 'T', registry });
      expect(() => registry.register(a)).not.toThrow();
      expect(registry.size).toBe(1);
    });

    it('refuses another definition under a taken name', () => {
      const registry = new EventRegistry();
      defineEvent('A', { aggregateType: 'T', registry });
      const other = defineEvent('A', { aggregateType: 'T', registry: null });
      const error = catchError(() => registry.register(other));
      expect(error).toBeInstanceOf(DuplicateEventTypeError);
      expect(error).toMatchObject({ code: 'ES_DUPLICATE_EVENT_TYPE', eventType: 'A' });
    });

    it('throws EventTypeNotFoundError listing the known types', () => {
      const { registry } = setup();
      const error = catchError(() => registry.get('Missing'));
      expect(error).toBeInstanceOf(EventTypeNotFoundError);
      expect(error).toMatchObject({
        code: 'ES_EVENT_TYPE_NOT_FOUND',
        eventType: 'Missing',
        availableTypes: ['Anything', 'TaskCreated'],
      });
    });

    it('rejects things that are not definitions', () => {
      const registry = new EventRegistry();
      expect(catchError(() => registry.register({ eventType: 'X' } as never))).toBeInstanceOf(
        InvalidConfigError,
      );
      expect(catchError(() => registry.register(null as never))).toBeInstanceOf(InvalidConfigError);
    });
  });

  describe('serialize', () => {
    it('produces a JSON-safe object equal to JSON.parse(JSON.stringify(event))', () => {
      const { registry, TaskCreated } = setup();
      const event = TaskCreated.create({
        aggregateId: 't-1',
        title: 'x',
        dueAt: new Date('2030-01-01T00:00:00.000Z'),
        occurredAt: new Date('2024-05-06T07:08:09.010Z'),
        metadata: { a: 1 },
      });
      const serialized = registry.serialize(event);
      expect(serialized).toEqual(JSON.parse(JSON.stringify(event)));
      expect(serialized.occurredAt).toBe('2024-05-06T07:08:09.010Z');
      expect(serialized.dueAt).toBe('2030-01-01T00:00:00.000Z');
      expect(Object.isFrozen(serialized)).toBe(false);
    });

    it('follows JSON semantics for undefined, non-finite numbers and toJSON', () => {
      const { registry, Anything } = setup();
      const event = Anything.create({
        aggregateId: 'b',
        value: {
          u: undefined,
          f: () => 1,
          n: Number.NaN,
          inf: Number.POSITIVE_INFINITY,
          negZero: -0,
          arr: [undefined, () => 1, Symbol('s')],
          custom: { toJSON: () => 'custom' },
          map: new Map([[1, 2]]),
          boxed: [new Number(3), new String('s'), new Boolean(false)],
        },
      });
      expect(registry.serialize(event)).toEqual(JSON.parse(JSON.stringify(event)));
    });

    it('rejects bigints, cycles, unknown types and non-events', () => {
      const { registry, Anything } = setup();
      const big = Anything.create({ aggregateId: 'b', value: 10n });
      expect(catchError(() => registry.serialize(big))).toMatchObject({
        code: 'ES_SERIALIZATION',
        eventType: 'Anything',
      });
      const cyclic: unknown[] = [];
      cyclic.push(new Map([[1, cyclic]]));
      const holder = { list: cyclic } as Record<string, unknown>;
      holder.list = [holder];
      const looped = { ...Anything.create({ aggregateId: 'b', value: 1 }), value: holder };
      expect(catchError(() => registry.serialize(looped))).toBeInstanceOf(SerializationError);
      const unknownType = { ...Anything.create({ aggregateId: 'b', value: 1 }), eventType: 'Nope' };
      expect(catchError(() => registry.serialize(unknownType))).toBeInstanceOf(
        EventTypeNotFoundError,
      );
      expect(catchError(() => registry.serialize(null as never))).toBeInstanceOf(
        SerializationError,
      );
      expect(catchError(() => registry.serialize({} as never))).toBeInstanceOf(SerializationError);
      const badDate = {
        ...Anything.create({ aggregateId: 'b', value: 1 }),
        occurredAt: new Date(Number.NaN),
      };
      expect(catchError(() => registry.serialize(badDate))).toMatchObject({
        code: 'ES_SERIALIZATION',
        issues: ['occurredAt: must be a valid Date (got Date)'],
      });
    });
  });

  describe('deserialize', () => {
    it('accepts the serialized object, its JSON text and JSON.parse(JSON.stringify(event))', () => {
      const { registry, TaskCreated } = setup();
      const event = TaskCreated.create({
        aggregateId: 't-1',
        aggregateVersion: 4,
        title: 'x',
        dueAt: new Date('2030-01-01T00:00:00.000Z'),
        causationId: 'c',
        tenantId: 'ten',
        actorId: 'act',
        metadata: { deep: { list: [1, 'two'] } },
      });
      const serialized = registry.serialize(event);
      for (const input of [
        serialized,
        JSON.stringify(serialized),
        JSON.parse(JSON.stringify(event)),
        event,
      ]) {
        const revived = registry.deserialize(input);
        expect(revived).toEqual(event);
        expect(revived.occurredAt).toBeInstanceOf(Date);
        expect((revived as typeof event).dueAt).toBeInstanceOf(Date);
        expect(Object.isFrozen(revived)).toBe(true);
        expect(Object.isFrozen(revived.metadata)).toBe(true);
        expect(TaskCreated.is(revived)).toBe(true);
      }
    });

    it('does not share mutable state with its input', () => {
      const { registry, Anything } = setup();
      const data = registry.serialize(
        Anything.create({ aggregateId: 'b', value: { list: [1] } }),
      ) as unknown as {
        value: { list: number[] };
      };
      const revived = registry.deserialize(data) as DomainEvent & { value: { list: number[] } };
      data.value.list.push(2);
      expect(revived.value.list).toEqual([1]);
      expect(Object.isFrozen(revived.value.list)).toBe(true);
    });

    it('rejects malformed JSON with a SerializationError', () => {
      const { registry } = setup();
      const error = catchError(() =>
        registry.deserialize('{"eventType": "TaskCreated",'),
      ) as SerializationError;
      expect(error).toBeInstanceOf(SerializationError);
      expect(error.eventType).toBeUndefined();
      expect(error.issues[0]).toMatch(/^json: /);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    });

    it.each([
      ['null', null],
      ['an array', []],
      ['a number', 42],
      ['a JSON array', '[1,2]'],
      ['a JSON string', '"TaskCreated"'],
      ['undefined', undefined],
    ])('rejects %s', (_label, value) => {
      const error = catchError(() => setup().registry.deserialize(value));
      expect(error).toBeInstanceOf(SerializationError);
      expect(error).toMatchObject({ code: 'ES_SERIALIZATION' });
    });

    it('rejects a missing eventType and an unknown type', () => {
      const { registry } = setup();
      expect(catchError(() => registry.deserialize({ eventId: 'x' }))).toMatchObject({
        code: 'ES_SERIALIZATION',
        issues: ['eventType: must be a non-empty string (got undefined)'],
      });
      const error = catchError(() => registry.deserialize('{"eventType":"Ghost"}'));
      expect(error).toBeInstanceOf(EventTypeNotFoundError);
      expect(error).toMatchObject({ eventType: 'Ghost' });
    });

    function base(registry: EventRegistry): Record<string, unknown> {
      const { TaskCreated } = { TaskCreated: registry.get('TaskCreated') };
      return {
        ...registry.serialize(TaskCreated.create({ aggregateId: 't', title: 'x' } as never)),
      };
    }

    it.each([
      ['eventId', undefined, 'eventId: must be a non-empty string (got undefined)'],
      ['eventId', 7, 'eventId: must be a non-empty string (got 7)'],
      ['aggregateId', '', 'aggregateId: must be a non-empty string (got "")'],
      ['aggregateVersion', 0, 'aggregateVersion: must be an integer >= 1 (got 0)'],
      ['aggregateVersion', 2.5, 'aggregateVersion: must be an integer >= 1 (got 2.5)'],
      ['aggregateVersion', '3', 'aggregateVersion: must be an integer >= 1 (got "3")'],
      ['aggregateVersion', undefined, 'aggregateVersion: must be an integer >= 1 (got undefined)'],
      ['occurredAt', 'yesterday', 'occurredAt: must be an ISO date string (got "yesterday")'],
      ['occurredAt', 12, 'occurredAt: must be an ISO date string or a valid Date (got 12)'],
      [
        'occurredAt',
        undefined,
        'occurredAt: must be an ISO date string or a valid Date (got undefined)',
      ],
      ['correlationId', undefined, 'correlationId: must be a non-empty string (got undefined)'],
      ['eventVersion', 0, 'eventVersion: must be an integer >= 1 (got 0)'],
      ['aggregateType', 5, 'aggregateType: must be a non-empty string (got 5)'],
      ['metadata', 'm', 'metadata: must be a plain object (got "m")'],
      ['causationId', 3, 'causationId: must be a non-empty string (got 3)'],
    ])('rejects %s = %j', (field, value, issue) => {
      const { registry } = setup();
      const data = base(registry);
      if (value === undefined) delete data[field];
      else data[field] = value;
      const error = catchError(() => registry.deserialize(data));
      expect(error).toBeInstanceOf(SerializationError);
      expect(error).toMatchObject({ eventType: 'TaskCreated', issues: [issue] });
    });

    it('rejects a payload the schema refuses, listing every issue', () => {
      const { registry } = setup();
      const data = { ...base(registry), title: 5, dueAt: 'not a date', aggregateVersion: 0 };
      const error = catchError(() => registry.deserialize(data)) as SerializationError;
      expect(error).toBeInstanceOf(SerializationError);
      expect(error.eventType).toBe('TaskCreated');
      expect(error.issues).toHaveLength(3);
      expect(error.issues[0]).toBe('aggregateVersion: must be an integer >= 1 (got 0)');
      expect(error.issues.some((issue) => issue.startsWith('title: '))).toBe(true);
      expect(error.issues.some((issue) => issue.startsWith('dueAt: '))).toBe(true);
    });

    it('applies defaults for eventVersion, aggregateType and metadata and treats null ids as absent', () => {
      const { registry } = setup();
      const data = base(registry);
      delete data.eventVersion;
      delete data.aggregateType;
      delete data.metadata;
      data.causationId = null;
      data.tenantId = null;
      const event = registry.deserialize(data);
      expect(event).toMatchObject({ eventVersion: 1, aggregateType: 'Task', metadata: {} });
      expect('causationId' in event).toBe(false);
      expect('tenantId' in event).toBe(false);
    });

    it('keeps the stored aggregateType and eventVersion', () => {
      const { registry } = setup();
      const event = registry.deserialize({
        ...base(registry),
        aggregateType: 'Renamed',
        eventVersion: 3,
      });
      expect(event).toMatchObject({ aggregateType: 'Renamed', eventVersion: 3 });
    });

    it('never lets a __proto__ key change the prototype', () => {
      const { registry } = setup();
      const json = JSON.stringify(base(registry)).replace(
        '"title":"x"',
        '"title":"x","__proto__":{"polluted":true}',
      );
      // The schema strips unknown keys; a definition without schema keeps it as data.
      const event = registry.deserialize(json);
      expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
      const bag = registry.deserialize(
        JSON.stringify({
          ...base(registry),
          eventType: 'Anything',
          aggregateType: 'Bag',
          value: 1,
          title: undefined,
        }).replace('"value":1', '"value":1,"__proto__":{"polluted":true}'),
      );
      expect(Object.getPrototypeOf(bag)).toBe(Object.prototype);
      expect(Object.hasOwn(bag, '__proto__')).toBe(true);
    });
  });

  describe('default registry helpers', () => {
    it('serializeEvent and deserializeEvent use the default registry', () => {
      const name = `Helper${Math.random()}`;
      const Helper = defineEvent(name, { aggregateType: 'T', payload: payload<{ n: number }>() });
      try {
        const event = Helper.create({ aggregateId: 'h', n: 1 });
        expect(deserializeEvent(JSON.stringify(serializeEvent(event)))).toEqual(event);
        expect(defaultRegistry.has(name)).toBe(true);
      } finally {
        defaultRegistry.unregister(name);
      }
    });
  });

  describe('properties', () => {
    const { registry, Anything } = setup();
    const jsonPayload = fc.jsonValue();
    const envelope = fc.record({
      aggregateId: fc.string({ minLength: 1 }),
      aggregateVersion: fc.integer({ min: 1, max: 2 ** 31 }),
      occurredAt: fc.date({ noInvalidDate: true, min: new Date(-8.64e15), max: new Date(8.64e15) }),
      tenantId: fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
      metadata: fc.dictionary(fc.string(), fc.jsonValue()),
    });

    it('round-trips arbitrary JSON payloads through serialize, JSON text and deserialize', () => {
      fc.assert(
        fc.property(envelope, jsonPayload, (env, value) => {
          const event = Anything.create({
            aggregateId: env.aggregateId,
            aggregateVersion: env.aggregateVersion,
            occurredAt: env.occurredAt,
            metadata: env.metadata,
            value,
            ...(env.tenantId === undefined ? {} : { tenantId: env.tenantId }),
          });
          const serialized = registry.serialize(event);
          const fromText = registry.deserialize(JSON.stringify(serialized));
          const fromObject = registry.deserialize(serialized);
          const expected = JSON.parse(JSON.stringify(event));
          expect(registry.serialize(fromText)).toEqual(expected);
          expect(registry.serialize(fromObject)).toEqual(expected);
          expect(fromText.occurredAt.getTime()).toBe(env.occurredAt.getTime());
          expect(fromText.eventId).toBe(event.eventId);
          expect(fromText.aggregateVersion).toBe(env.aggregateVersion);
        }),
        { numRuns: 300 },
      );
    });

    it('serialize equals JSON.parse(JSON.stringify(event)) for arbitrary payload values', () => {
      const anything = fc.anything({
        withBigInt: false,
        withDate: true,
        withMap: true,
        withSet: true,
        withBoxedValues: true,
        withNullPrototype: true,
        withTypedArray: true,
        withSparseArray: true,
        withObjectString: true,
      });
      fc.assert(
        fc.property(anything, (value) => {
          const event = Anything.create({ aggregateId: 'a', value });
          expect(registry.serialize(event)).toEqual(JSON.parse(JSON.stringify(event)));
        }),
        { numRuns: 300 },
      );
    });

    it('deserialize either throws a typed error or returns a complete, frozen event', () => {
      const good = registry.serialize(Anything.create({ aggregateId: 'a', value: 1 }));
      const fieldValue = fc.oneof(
        fc.constant(undefined),
        fc.constant(null),
        fc.string(),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.jsonValue(),
        fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'bad' : d.toISOString())),
      );
      const mutation = fc.dictionary(
        fc.constantFrom(
          'eventId',
          'eventType',
          'eventVersion',
          'occurredAt',
          'aggregateId',
          'aggregateType',
          'aggregateVersion',
          'correlationId',
          'causationId',
          'tenantId',
          'actorId',
          'metadata',
          'value',
        ),
        fieldValue,
      );
      fc.assert(
        fc.property(mutation, (changes) => {
          const data: Record<string, unknown> = { ...good };
          for (const [key, value] of Object.entries(changes)) {
            if (value === undefined) delete data[key];
            else data[key] = value;
          }
          let event: DomainEvent;
          try {
            event = registry.deserialize(data);
          } catch (error) {
            expect(
              error instanceof SerializationError || error instanceof EventTypeNotFoundError,
              String(error),
            ).toBe(true);
            return;
          }
          expect(Object.isFrozen(event)).toBe(true);
          expect(typeof event.eventId === 'string' && event.eventId.length > 0).toBe(true);
          expect(typeof event.aggregateId === 'string' && event.aggregateId.length > 0).toBe(true);
          expect(Number.isInteger(event.aggregateVersion) && event.aggregateVersion >= 1).toBe(
            true,
          );
          expect(Number.isInteger(event.eventVersion) && event.eventVersion >= 1).toBe(true);
          expect(event.occurredAt).toBeInstanceOf(Date);
          expect(Number.isNaN(event.occurredAt.getTime())).toBe(false);
          expect(typeof event.correlationId === 'string' && event.correlationId.length > 0).toBe(
            true,
          );
          expect(typeof event.metadata === 'object' && event.metadata !== null).toBe(true);
          expect(Anything.is(event)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });
  });
});
