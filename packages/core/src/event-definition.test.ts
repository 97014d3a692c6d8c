import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { DomainEvent } from './domain-event.js';
import { DuplicateEventTypeError, InvalidConfigError, SerializationError } from './errors.js';
import type { EventOf, PayloadOf } from './event-definition.js';
import { defineEvent, payload } from './event-definition.js';
import { defaultRegistry, EventRegistry } from './event-registry.js';
import type { StandardSchemaV1 } from './standard-schema.js';

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('defineEvent', () => {
  const registry = new EventRegistry();
  const TaskCreated = defineEvent('TaskCreated', {
    aggregateType: 'Task',
    schema: z.object({ title: z.string().min(1), priority: z.number().int().default(3) }),
    registry,
  });
  const TaskCompleted = defineEvent('TaskCompleted', {
    aggregateType: 'Task',
    payload: payload<{ completedBy: string }>(),
    registry,
  });

  describe('create', () => {
    it('fills the envelope defaults and freezes the event', () => {
      const before = Date.now();
      const event = TaskCreated.create({ aggregateId: 'task-1', title: 'Write docs' });
      expect(event).toMatchObject({
        eventType: 'TaskCreated',
        eventVersion: 1,
        aggregateId: 'task-1',
        aggregateType: 'Task',
        aggregateVersion: 1,
        title: 'Write docs',
        priority: 3,
        metadata: {},
      });
      expect(event.eventId).toMatch(UUID);
      expect(event.correlationId).toMatch(UUID);
      expect(event.correlationId).not.toBe(event.eventId);
      expect(event.occurredAt).toBeInstanceOf(Date);
      expect(event.occurredAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(event.occurredAt.getTime()).toBeLessThanOrEqual(Date.now());
      expect(Object.isFrozen(event)).toBe(true);
      expect(Object.isFrozen(event.metadata)).toBe(true);
      expect('causationId' in event).toBe(false);
      expect('tenantId' in event).toBe(false);
    });

    it('gives each event new ids', () => {
      const a = TaskCreated.create({ aggregateId: 't', title: 'a' });
      const b = TaskCreated.create({ aggregateId: 't', title: 'a' });
      expect(a.eventId).not.toBe(b.eventId);
      expect(a.correlationId).not.toBe(b.correlationId);
    });

    it('takes every envelope field that may be given', () => {
      const occurredAt = new Date('2024-01-02T03:04:05.678Z');
      const event = TaskCompleted.create({
        aggregateId: 'task-1',
        aggregateVersion: 7,
        eventId: 'e-1',
        occurredAt,
        correlationId: 'c-1',
        causationId: 'cause-1',
        tenantId: 'tenant',
        actorId: 'actor',
        metadata: { ip: '1.2.3.4', nested: { a: [1] } },
        completedBy: 'ann',
      });
      expect(event).toEqual({
        eventId: 'e-1',
        eventType: 'TaskCompleted',
        eventVersion: 1,
        occurredAt,
        aggregateId: 'task-1',
        aggregateType: 'Task',
        aggregateVersion: 7,
        tenantId: 'tenant',
        actorId: 'actor',
        correlationId: 'c-1',
        causationId: 'cause-1',
        metadata: { ip: '1.2.3.4', nested: { a: [1] } },
        completedBy: 'ann',
      });
      // The date is copied: mutating the caller's Date does not change the event.
      occurredAt.setTime(0);
      expect(event.occurredAt.toISOString()).toBe('2024-01-02T03:04:05.678Z');
    });

    it('deep-copies and freezes payload and metadata', () => {
      const tags = ['a', 'b'];
      const meta = { trace: { hops: [1] } };
      const Tagged = defineEvent('Tagged', {
        aggregateType: 'Task',
        payload: payload<{ tags: string[]; info: { n: number } }>(),
        registry: null,
      });
      const event = Tagged.create({ aggregateId: 't', tags, info: { n: 1 }, metadata: meta });
      tags.push('c');
      meta.trace.hops.push(2);
      expect(event.tags).toEqual(['a', 'b']);
      expect(event.metadata).toEqual({ trace: { hops: [1] } });
      expect(Object.isFrozen(event.tags)).toBe(true);
      expect(Object.isFrozen(event.info)).toBe(true);
      expect(() => (event.tags as string[]).push('x')).toThrow(TypeError);
    });

    it('stamps the definition eventVersion', () => {
      const V2 = defineEvent('V2Event', { aggregateType: 'Task', eventVersion: 2, registry: null });
      expect(V2.create({ aggregateId: 't' }).eventVersion).toBe(2);
      expect(V2.eventVersion).toBe(2);
    });

    it.each([
      [0, 'aggregateVersion: must be an integer >= 1 (got 0)'],
      [-1, 'aggregateVersion: must be an integer >= 1 (got -1)'],
      [1.5, 'aggregateVersion: must be an integer >= 1 (got 1.5)'],
      [Number.NaN, 'aggregateVersion: must be an integer >= 1 (got NaN)'],
      ['2', 'aggregateVersion: must be an integer >= 1 (got "2")'],
    ])('rejects aggregateVersion %s', (aggregateVersion, issue) => {
      const error = catchError(() =>
        TaskCompleted.create({
          aggregateId: 't',
          completedBy: 'x',
          aggregateVersion: aggregateVersion as number,
        }),
      );
      expect(error).toBeInstanceOf(SerializationError);
      expect(error).toMatchObject({
        code: 'ES_SERIALIZATION',
        eventType: 'TaskCompleted',
        issues: [issue],
      });
    });

    it('rejects a missing or empty aggregateId and bad envelope values, listing every issue', () => {
      const error = catchError(() =>
        TaskCompleted.create({
          aggregateId: '',
          completedBy: 'x',
          eventId: '',
          occurredAt: new Date(Number.NaN),
          correlationId: 5 as unknown as string,
          tenantId: '',
          metadata: [] as unknown as Record<string, unknown>,
        }),
      ) as SerializationError;
      expect(error).toBeInstanceOf(SerializationError);
      expect(error.issues).toEqual([
        'aggregateId: must be a non-empty string (got "")',
        'eventId: must be a non-empty string (got "")',
        'occurredAt: must be a valid Date (got Date)',
        'correlationId: must be a non-empty string (got 5)',
        'tenantId: must be a non-empty string (got "")',
        'metadata: must be a plain object (got array)',
      ]);
      expect(catchError(() => TaskCompleted.create(undefined as never))).toBeInstanceOf(
        SerializationError,
      );
      expect(catchError(() => TaskCompleted.create({ completedBy: 'x' } as never))).toMatchObject({
        issues: ['aggregateId: must be a non-empty string (got undefined)'],
      });
    });

    it('refuses envelope fields the definition owns', () => {
      const error = catchError(() =>
        TaskCompleted.create({
          aggregateId: 't',
          completedBy: 'x',
          eventType: 'Other',
          aggregateType: 'Other',
          eventVersion: 3,
        } as never),
      );
      expect(error).toMatchObject({
        code: 'ES_SERIALIZATION',
        issues: [
          'eventType: is set by the event definition',
          'aggregateType: is set by the event definition',
          'eventVersion: is set by the event definition',
        ],
      });
    });

    it('validates the payload with the schema and reports paths', () => {
      const error = catchError(() =>
        TaskCreated.create({ aggregateId: 't', title: '' }),
      ) as SerializationError;
      expect(error).toBeInstanceOf(SerializationError);
      expect(error.eventType).toBe('TaskCreated');
      expect(error.issues).toHaveLength(1);
      expect(error.issues[0]).toMatch(/^title: /);
      const nested = defineEvent('Nested', {
        aggregateType: 'Task',
        schema: z.object({ items: z.array(z.object({ qty: z.number() })) }),
        registry: null,
      });
      const nestedError = catchError(() =>
        nested.create({ aggregateId: 't', items: [{ qty: 1 }, { qty: 'x' as unknown as number }] }),
      ) as SerializationError;
      expect(nestedError.issues[0]).toMatch(/^items\.1\.qty: /);
    });

    it('uses the schema output (defaults and transforms)', () => {
      const Money = defineEvent('MoneyMoved', {
        aggregateType: 'Account',
        schema: z.object({ cents: z.string().transform((s) => Number.parseInt(s, 10)) }),
        registry: null,
      });
      const event = Money.create({ aggregateId: 'a', cents: '125' });
      expect(event.cents).toBe(125);
      expectTypeOf(event.cents).toEqualTypeOf<number>();
    });

    it('rejects a schema whose output uses envelope names or is not an object', () => {
      const Colliding = defineEvent('Colliding', {
        aggregateType: 'Task',
        schema: z.object({ x: z.string() }).transform((v) => ({ ...v, aggregateId: 'other' })),
        registry: null,
      } as never) as unknown as { create(fields: object): unknown };
      expect(catchError(() => Colliding.create({ aggregateId: 't', x: 'y' }))).toMatchObject({
        issues: ['aggregateId: a payload field may not use an envelope name'],
      });
      const Scalar = defineEvent('Scalar', {
        aggregateType: 'Task',
        schema: z.object({ x: z.string() }).transform(() => 42),
        registry: null,
      } as never) as unknown as { create(fields: object): unknown };
      expect(catchError(() => Scalar.create({ aggregateId: 't', x: 'y' }))).toMatchObject({
        issues: ['payload: the schema must output an object (got number)'],
      });
    });

    it('rejects async schemas with a SerializationError and no unhandled rejection', () => {
      const asyncSchema: StandardSchemaV1<{ x: string }> = {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: async () => {
            throw new Error('async failure');
          },
        },
      };
      const AsyncEvent = defineEvent('AsyncEvent', {
        aggregateType: 'Task',
        schema: asyncSchema,
        registry: null,
      });
      expect(catchError(() => AsyncEvent.create({ aggregateId: 't', x: 'y' }))).toMatchObject({
        code: 'ES_SERIALIZATION',
        issues: [
          'payload: the schema validates asynchronously; only synchronous schemas are supported',
        ],
      });
      const zodAsync = defineEvent('ZodAsync', {
        aggregateType: 'Task',
        schema: z.object({ x: z.string().refine(async () => true) }),
        registry: null,
      });
      expect(catchError(() => zodAsync.create({ aggregateId: 't', x: 'y' }))).toBeInstanceOf(
        SerializationError,
      );
    });

    it('turns a throwing schema into a SerializationError', () => {
      const throwing: StandardSchemaV1<{ x: string }> = {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: () => {
            throw new Error('boom');
          },
        },
      };
      const Throwing = defineEvent('Throwing', {
        aggregateType: 'T',
        schema: throwing,
        registry: null,
      });
      expect(catchError(() => Throwing.create({ aggregateId: 't', x: 'y' }))).toMatchObject({
        issues: ['payload: the schema threw: boom'],
      });
    });

    it('rejects cyclic payloads and metadata', () => {
      const Free = defineEvent('Free', {
        aggregateType: 'T',
        payload: payload<{ data: unknown }>(),
        registry: null,
      });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(catchError(() => Free.create({ aggregateId: 't', data: cyclic }))).toMatchObject({
        code: 'ES_SERIALIZATION',
        issues: ['payload: contains a cyclic structure'],
      });
      expect(
        catchError(() => Free.create({ aggregateId: 't', data: 1, metadata: cyclic })),
      ).toMatchObject({ issues: ['metadata: contains a cyclic structure'] });
    });

    it('keeps a __proto__ payload key as data', () => {
      const Free = defineEvent('Proto', { aggregateType: 'T', registry: null });
      const fields = JSON.parse('{"aggregateId":"t","__proto__":{"polluted":true}}') as {
        aggregateId: string;
      };
      const event = Free.create(fields);
      expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
      expect(Object.hasOwn(event, '__proto__')).toBe(true);
      expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    });
  });

  describe('is', () => {
    it('narrows by eventType', () => {
      const created: DomainEvent = TaskCreated.create({ aggregateId: 't', title: 'x' });
      const completed: DomainEvent = TaskCompleted.create({ aggregateId: 't', completedBy: 'y' });
      expect(TaskCreated.is(created)).toBe(true);
      expect(TaskCreated.is(completed)).toBe(false);
      expect(TaskCreated.is(null)).toBe(false);
      expect(TaskCreated.is('TaskCreated')).toBe(false);
      expect(TaskCreated.is({ eventType: 'TaskCreated' })).toBe(true);
      if (TaskCreated.is(created)) {
        expectTypeOf(created.title).toEqualTypeOf<string>();
        expectTypeOf(created.eventType).toEqualTypeOf<'TaskCreated'>();
      }
    });
  });

  describe('registration', () => {
    it('registers in the default registry unless told otherwise', () => {
      const name = `DefaultRegistered${Math.random()}`;
      const definition = defineEvent(name, { aggregateType: 'T' });
      expect(defaultRegistry.get(name)).toBe(definition);
      defaultRegistry.unregister(name);
      const unregistered = defineEvent(`Nowhere${Math.random()}`, {
        aggregateType: 'T',
        registry: null,
      });
      expect(defaultRegistry.has(unregistered.eventType)).toBe(false);
      expect(registry.get('TaskCreated')).toBe(TaskCreated);
    });

    it('refuses a second definition under a taken name', () => {
      expect(() => defineEvent('TaskCreated', { aggregateType: 'Task', registry })).toThrow(
        DuplicateEventTypeError,
      );
    });
  });

  describe('configuration', () => {
    it.each([
      ['', {}, 'defineEvent.eventType'],
      [42, {}, 'defineEvent.eventType'],
      ['X', { aggregateType: '' }, 'defineEvent.aggregateType'],
      ['X', { aggregateType: 'T', eventVersion: 0 }, 'defineEvent.eventVersion'],
      ['X', { aggregateType: 'T', eventVersion: 1.5 }, 'defineEvent.eventVersion'],
      ['X', { aggregateType: 'T', schema: { parse() {} } }, 'defineEvent.schema'],
      ['X', { aggregateType: 'T', registry: new Map() }, 'defineEvent.registry'],
    ])('rejects %j %j naming %s', (eventType, options, field) => {
      const error = catchError(() => defineEvent(eventType as string, options as never));
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect(error).toMatchObject({ code: 'ES_INVALID_CONFIG', field });
    });

    it('rejects missing options', () => {
      expect(catchError(() => defineEvent('X', undefined as never))).toMatchObject({
        field: 'defineEvent.options',
      });
    });
  });

  describe('types', () => {
    it('infers the payload from a schema, payload<T>() or type arguments', () => {
      expectTypeOf<PayloadOf<typeof TaskCreated>>().toEqualTypeOf<{
        title: string;
        priority: number;
      }>();
      expectTypeOf<PayloadOf<typeof TaskCompleted>>().toEqualTypeOf<{ completedBy: string }>();
      const Explicit = defineEvent<'Explicit', { n: number }>('Explicit', {
        aggregateType: 'T',
        registry: null,
      });
      const event = Explicit.create({ aggregateId: 'a', n: 1 });
      expectTypeOf(event.n).toEqualTypeOf<number>();
      expectTypeOf(event).toExtend<EventOf<typeof Explicit>>();
      // Typed events are plain DomainEvents too (appendable without casts).
      expectTypeOf(event).toExtend<DomainEvent>();
      // The schema's input type is what create accepts (priority has a default).
      TaskCreated.create({ aggregateId: 'a', title: 'x' });
      // @ts-expect-error a payload field is missing
      TaskCompleted.create({ aggregateId: 'a' });
      // @ts-expect-error a payload field has the wrong type
      Explicit.create({ aggregateId: 'a', n: 'one' });
      // @ts-expect-error payload fields may not reuse envelope names
      defineEvent<'Bad', { aggregateId: number }>('Bad', { aggregateType: 'T', registry: null });
    });
  });
});
