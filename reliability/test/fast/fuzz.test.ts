/**
 * Bad input, fuzzed with fast-check: deserialization, DLQ payloads and errors, stored events,
 * hostile schema names, invalid UTF-16 (lone surrogates). The oracle everywhere: a typed error
 * (an `EventSourceError` with a stable code) or a stored value — never a crash with another
 * error, a hang, or a silently altered result.
 */
import {
  defineEvent,
  EventRegistry,
  type EventSourceError,
  ExpectedVersion,
  InMemoryEventStore,
  isEventSourceError,
  type StandardSchemaV1,
} from '@es/core';
import { InMemoryDLQRepository, MAX_ERROR_MESSAGE_LENGTH } from '@es/dlq';
import { PostgresEventStore, validateSchemaName } from '@es/store-postgres';
import { toEventData } from '@es/subscriptions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordFigures } from '../../src/support/figures.js';

/** A hand-written Standard Schema: `{ title: string, count: integer >= 0 }`. */
const taskSchema: StandardSchemaV1<{ title: string; count: number }> = {
  '~standard': {
    version: 1,
    vendor: 'reliability',
    validate(value) {
      const v = value as { title?: unknown; count?: unknown } | null;
      const issues: { message: string; path?: PropertyKey[] }[] = [];
      if (typeof v !== 'object' || v === null) return { issues: [{ message: 'not an object' }] };
      if (typeof v.title !== 'string')
        issues.push({ message: 'title must be a string', path: ['title'] });
      if (typeof v.count !== 'number' || !Number.isInteger(v.count) || v.count < 0) {
        issues.push({ message: 'count must be an integer >= 0', path: ['count'] });
      }
      return issues.length > 0
        ? { issues }
        : { value: { title: v.title as string, count: v.count as number } };
    },
  },
};

function registry() {
  const r = new EventRegistry();
  const Task = defineEvent('FuzzTask', { aggregateType: 'Fuzz', schema: taskSchema, registry: r });
  return { r, Task };
}

/** Strings with lone surrogates, NULs and other hostile code units. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\uD800',
    '\uDFFF',
    'a\uD83Dz',
    '\u0000',
    '\u2028',
    '"}]',
    "'; DROP TABLE x; --",
    '__proto__',
  ),
);

const ALLOWED_CODES = new Set(['ES_SERIALIZATION', 'ES_EVENT_TYPE_NOT_FOUND', 'ES_INVALID_CONFIG']);

function expectTyped(error: unknown): void {
  expect(isEventSourceError(error), `not a typed error: ${String(error)}`).toBe(true);
  expect(ALLOWED_CODES.has((error as EventSourceError).code), (error as Error).message).toBe(true);
}

let cases = 0;

describe('fuzz: deserialization', () => {
  it('arbitrary JSON text, values and near-valid events: an event or a typed error', () => {
    const { r, Task } = registry();
    const valid = JSON.parse(
      JSON.stringify(Task.create({ aggregateId: 't', title: 'x', count: 1 })),
    );
    const mutated = fc
      .tuple(
        fc.constantFrom(...Object.keys(valid), 'title', 'count', 'extra'),
        fc.oneof(fc.anything(), hostileString, fc.constant(undefined)),
      )
      .map(([key, value]) => ({ ...valid, [key]: value }));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.json(),
          fc.anything(),
          mutated,
          mutated.map((m) => JSON.stringify(m)),
          fc.constant('{"eventType":"Nope"}'),
          fc.constant('{'),
        ),
        (input) => {
          cases++;
          try {
            const event = r.deserialize(input);
            // Whatever comes back is a complete, valid event of the registered type.
            expect(Task.is(event)).toBe(true);
            expect(taskSchema['~standard'].validate(event)).not.toHaveProperty('issues');
            // From JSON text, a serialize → deserialize round trip gives the same event back.
            if (typeof input === 'string') {
              expect(r.deserialize(JSON.stringify(r.serialize(event)))).toEqual(event);
            }
          } catch (error) {
            expectTyped(error);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });
});

describe('fuzz: DLQ payloads and errors', () => {
  it('any payload and any error value are stored (JSON-safe, texts bounded), never rejected', async () => {
    const repo = new InMemoryDLQRepository();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const throwing = Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.dictionary(hostileString, fc.anything()),
          fc.constant(cyclic),
          fc.constant(throwing),
          fc.constant({ big: 10n ** 30n, when: new Date(Number.NaN), map: new Map([[1, 2]]) }),
          fc.constant({ deep: JSON.parse(`${'['.repeat(600)}${']'.repeat(600)}`) }),
        ),
        fc.oneof(
          fc.anything(),
          hostileString.map((m) => new Error(m)),
          fc.constant(new AggregateError([new Error('a'), 'b'], 'many')),
          fc.constant(Object.assign(new Error('x'.repeat(50_000)), { cause: new Error('inner') })),
        ),
        hostileString.filter((s) => s.length > 0),
        async (eventData, error, eventId) => {
          cases++;
          const id = await repo.addFailedEvent({
            eventId,
            projectionName: 'fuzz',
            eventType: 'Any',
            eventData: eventData as Record<string, unknown>,
            error,
          });
          const entry = await repo.getFailedEventById(id);
          expect(entry).not.toBeNull();
          expect(entry?.errorMessage.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
          // Stored data survives JSON (what a database would keep).
          expect(() => JSON.stringify(entry?.eventData)).not.toThrow();
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('bad keys and bookkeeping fields: a typed error naming the field', async () => {
    const repo = new InMemoryDLQRepository();
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          eventId: fc.oneof(fc.constant(''), fc.integer(), fc.constant(null)),
          retryCount: fc.oneof(fc.constant(-1), fc.constant(1.5), fc.constant(Number.NaN)),
        }),
        async ({ eventId, retryCount }) => {
          cases++;
          await expect(
            repo.addFailedEvent({
              eventId: eventId as string,
              projectionName: 'p',
              eventType: 'T',
              eventData: {},
              error: 'e',
              retryCount,
            }),
          ).rejects.toMatchObject({
            code: 'ES_INVALID_CONFIG',
            field: expect.stringMatching(/^addFailedEvent\./),
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('fuzz: stored events', () => {
  it('hostile payloads through a store that serializes: stored and read back intact, or a typed error', async () => {
    const { r, Task } = registry();
    const store = new InMemoryEventStore({ registry: r });
    let version = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          title: fc.oneof(hostileString, fc.string({ maxLength: 5_000 })),
          count: fc.oneof(fc.nat(), fc.integer()),
        }),
        fc.dictionary(hostileString, fc.jsonValue(), { maxKeys: 3 }),
        async (payload, metadata) => {
          cases++;
          let event: ReturnType<typeof Task.create>;
          try {
            event = Task.create({
              aggregateId: 'fuzz',
              aggregateVersion: version + 1,
              ...payload,
              metadata,
            });
          } catch (error) {
            expectTyped(error);
            return;
          }
          try {
            await store.appendEvents('fuzz', 'Fuzz', [event], version);
          } catch (error) {
            expectTyped(error);
            return;
          }
          version++;
          const stored = (await store.getEvents('fuzz', 'Fuzz', { fromVersion: version - 1 }))
            .events[0];
          expect(stored).toEqual(r.deserialize(JSON.parse(JSON.stringify(r.serialize(event)))));
        },
      ),
      { numRuns: 1_000 },
    );
    // The events a subscriber would dead-letter serialize too, whatever they hold.
    expect(() =>
      JSON.stringify(
        toEventData({
          ...Task.create({ aggregateId: 'x', title: 't', count: 0 }),
          big: 1n,
        } as never),
      ),
    ).not.toThrow();
    expect(version).toBeGreaterThan(0);
    await expect(
      store.appendEvents('fuzz', 'Fuzz', [], ExpectedVersion.ANY),
    ).resolves.toBeDefined();
  });
});

describe('fuzz: hostile schema and table names', () => {
  it('only identifiers matching the documented rule are accepted; everything else is ES_INVALID_CONFIG naming the field', () => {
    const rule = /^[a-z_][a-z0-9_]{0,55}$/;
    fc.assert(
      fc.property(
        fc.oneof(
          hostileString,
          fc.stringMatching(/^[a-z_][a-z0-9_]{0,60}$/),
          fc.constantFrom(
            'es"; DROP SCHEMA public CASCADE; --',
            'pg_catalog',
            'information_schema',
            'ES',
            'a-b',
            'a b',
            '',
          ),
          fc.anything(),
        ),
        (schema) => {
          cases++;
          try {
            const name = validateSchemaName(schema, 'PostgresEventStore.schema');
            expect(name === 'es' && schema === undefined ? true : name === schema).toBe(true);
            expect(rule.test(name)).toBe(true);
            expect(name.startsWith('pg_')).toBe(false);
          } catch (error) {
            expect(error).toMatchObject({
              code: 'ES_INVALID_CONFIG',
              field: 'PostgresEventStore.schema',
            });
          }
          try {
            // Rejected before any connection is opened (port 9 is never contacted).
            new PostgresEventStore({
              connection: 'postgres://u@127.0.0.1:9/x',
              schema: schema as string,
            });
          } catch (error) {
            expect(error).toMatchObject({ code: 'ES_INVALID_CONFIG' });
          }
        },
      ),
      { numRuns: 2_000 },
    );
    recordFigures({
      id: 'fuzz',
      backend: 'memory',
      events: cases,
      faults: cases,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      notes:
        'fast-check cases over deserialization, DLQ payloads/errors, stored events, schema names (no database)',
    });
  });
});
