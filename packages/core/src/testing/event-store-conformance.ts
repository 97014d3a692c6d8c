/**
 * The event-store conformance kit: one vitest suite that every `EventStore` backend runs
 * unchanged.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../domain-event.js';
import { isEventSourceError } from '../errors.js';
import { withAggregateVersion, withCausation } from '../event-helpers.js';
import type { EventRegistry } from '../event-registry.js';
import type { EventStore, Position, ReadAllOptions, StoredEvent } from '../event-store.js';
import { ExpectedVersion } from '../event-store.js';
import {
  CONFORMANCE_AGGREGATE_TYPE,
  ConformanceBinCreated,
  ConformanceItemAdded,
  ConformanceItemRemoved,
  ConformanceItemRenamed,
  eventStoreConformanceRegistry,
} from './conformance-events.js';

/** What a conformance factory returns. */
export interface EventStoreConformanceFixture {
  /** An empty store (nothing appended yet), isolated from the other tests. */
  readonly store: EventStore;
  /** Called after the test. */
  readonly cleanup?: (() => Promise<void> | void) | undefined;
}

/** What the kit gives the factory. */
export interface EventStoreConformanceContext {
  /** The registry holding the kit's event types; the store must deserialize with it. */
  readonly registry: EventRegistry;
}

/** Creates a fresh, empty store for one test. */
export type EventStoreConformanceFactory = (
  context: EventStoreConformanceContext,
) => Promise<EventStoreConformanceFixture> | EventStoreConformanceFixture;

/** Options of {@link describeEventStoreConformance}. */
export interface EventStoreConformanceOptions {
  /** Per-test timeout in milliseconds; default 10 000. */
  readonly timeoutMs?: number | undefined;
  /** Writers in the concurrency tests; default 8. */
  readonly concurrency?: number | undefined;
}

/**
 * Compares two positions of one store: numbers numerically, strings lexicographically.
 *
 * @throws {TypeError} when the kinds differ.
 */
export function comparePositions(a: Position, b: Position): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TypeError(`Cannot compare positions of different kinds: ${String(a)} and ${String(b)}`);
}

/** More events than any test appends: a store yielding more is broken (and must not hang the kit). */
const READ_GUARD = 10_000;

async function collect(store: EventStore, options?: ReadAllOptions): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const stored of store.readAll(options)) {
    out.push(stored);
    if (out.length > READ_GUARD) throw new Error(`readAll yielded more than ${READ_GUARD} events`);
  }
  return out;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

async function expectCode(
  promise: Promise<unknown>,
  code: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  const error = await rejectionOf(promise);
  expect(isEventSourceError(error), `expected an EventSourceError, got ${String(error)}`).toBe(
    true,
  );
  expect(error).toMatchObject({ code, ...fields });
}

const TYPE = CONFORMANCE_AGGREGATE_TYPE;

function added(
  aggregateId: string,
  aggregateVersion: number,
  overrides: Partial<{ label: string; quantity: number; occurredAt: Date }> = {},
): DomainEvent {
  return ConformanceItemAdded.create({
    aggregateId,
    aggregateVersion,
    label: overrides.label ?? `item-${aggregateVersion}`,
    quantity: overrides.quantity ?? aggregateVersion,
    ...(overrides.occurredAt === undefined ? {} : { occurredAt: overrides.occurredAt }),
  });
}

function removed(aggregateId: string, aggregateVersion: number): DomainEvent {
  return ConformanceItemRemoved.create({
    aggregateId,
    aggregateVersion,
    label: `item-${aggregateVersion}`,
  });
}

function batch(aggregateId: string, from: number, count: number): DomainEvent[] {
  return Array.from({ length: count }, (_, i) => added(aggregateId, from + i));
}

function newId(): string {
  return `agg-${randomUUID()}`;
}

/**
 * Declares the vitest suite that checks an {@link EventStore} against every promise of the port
 * and the append rules of `@es/core` (see `append-rules.ts`): expected versions and conflict
 * fields, stream-version stamping and validation, idempotent re-appends, batch atomicity, global
 * order with exclusive `fromPosition` (global position and `position` cursor), `limit`,
 * `eventTypes`, `getEvents` options, round-trip fidelity, concurrent writers and
 * `getGlobalPosition`.
 *
 * The factory runs before each test and must return an **empty** store that deserializes with
 * `context.registry`. Global positions only need to increase (gaps are allowed); positions are
 * compared numerically (numbers) or lexicographically (strings).
 *
 * @example
 * ```ts
 * import { describeEventStoreConformance } from '@es/core/testing';
 * describeEventStoreConformance('InMemoryEventStore', ({ registry }) => ({
 *   store: new InMemoryEventStore({ registry }),
 * }));
 * ```
 */
export function describeEventStoreConformance(
  name: string,
  factory: EventStoreConformanceFactory,
  options: EventStoreConformanceOptions = {},
): void {
  const timeout = options.timeoutMs ?? 10_000;
  const writers = options.concurrency ?? 8;

  describe(`EventStore conformance: ${name}`, () => {
    let store: EventStore;
    let cleanup: (() => Promise<void> | void) | undefined;

    beforeEach(async () => {
      const fixture = await factory({ registry: eventStoreConformanceRegistry });
      store = fixture.store;
      cleanup = fixture.cleanup;
    }, timeout);

    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    }, timeout);

    describe('an empty store', () => {
      it(
        'has global position 0 and reads nothing',
        async () => {
          expect(await store.getGlobalPosition()).toBe(0);
          expect(await collect(store)).toEqual([]);
          expect(await collect(store, { fromPosition: 0 })).toEqual([]);
        },
        timeout,
      );

      it(
        'returns an empty stream for an unknown aggregate',
        async () => {
          const id = newId();
          const stream = await store.getEvents(id, TYPE);
          expect(stream.aggregateId).toBe(id);
          expect(stream.events).toEqual([]);
          expect(stream.version).toBe(0);
          expect((await store.getEvents(id)).events).toEqual([]);
        },
        timeout,
      );
    });

    describe('appendEvents', () => {
      it(
        'appends a batch to a new stream and reports the new version and position',
        async () => {
          const id = newId();
          const events = batch(id, 1, 3);
          const result = await store.appendEvents(id, TYPE, events, ExpectedVersion.NO_STREAM);
          expect(result.success).toBe(true);
          expect(result.newVersion).toBe(3);
          const all = await collect(store);
          expect(all).toHaveLength(3);
          expect(result.globalPosition).toBe(all[2]?.globalPosition);
          expect(await store.getGlobalPosition()).toBe(result.globalPosition);
          const stream = await store.getEvents(id, TYPE);
          expect(stream.events).toEqual(events);
          expect(stream.version).toBe(3);
          expect(stream.aggregateId).toBe(id);
        },
        timeout,
      );

      it(
        'returns stored events with stream and global positions',
        async () => {
          const id = newId();
          await store.appendEvents(id, TYPE, batch(id, 1, 2), ExpectedVersion.NO_STREAM);
          const all = await collect(store);
          expect(all).toHaveLength(2);
          all.forEach((stored, i) => {
            expect(stored.streamId).toBe(`${id}:${TYPE}`);
            expect(stored.streamPosition).toBe(i + 1);
            expect(stored.streamPosition).toBe(stored.event.aggregateVersion);
            expect(Number.isInteger(stored.globalPosition)).toBe(true);
            expect(stored.globalPosition).toBeGreaterThanOrEqual(1);
            expect(['number', 'string']).toContain(typeof stored.position);
            expect(stored.storedAt).toBeInstanceOf(Date);
            expect(Number.isNaN(stored.storedAt.getTime())).toBe(false);
          });
          expect(all[1]!.globalPosition).toBeGreaterThan(all[0]!.globalPosition);
          expect(comparePositions(all[1]!.position, all[0]!.position)).toBeGreaterThan(0);
        },
        timeout,
      );

      it(
        'appends with an exact expected version equal to the current version',
        async () => {
          const id = newId();
          await store.appendEvents(id, TYPE, batch(id, 1, 2), ExpectedVersion.NO_STREAM);
          const result = await store.appendEvents(id, TYPE, batch(id, 3, 2), 2);
          expect(result.newVersion).toBe(4);
          const stream = await store.getEvents(id, TYPE);
          expect(stream.events.map((e) => e.aggregateVersion)).toEqual([1, 2, 3, 4]);
        },
        timeout,
      );

      it(
        'rejects NO_STREAM on an existing stream with OptimisticLockError',
        async () => {
          const id = newId();
          await store.appendEvents(id, TYPE, batch(id, 1, 2), ExpectedVersion.NO_STREAM);
          await expectCode(
            store.appendEvents(id, TYPE, [added(id, 1)], ExpectedVersion.NO_STREAM),
            'ES_OPTIMISTIC_LOCK',
            { aggregateId: id, expectedVersion: 0, actualVersion: 2 },
          );
        },
        timeout,
      );

      it(
        'rejects a stale or future exact version with the actual version',
        async () => {
          const id = newId();
          await store.appendEvents(id, TYPE, batch(id, 1, 3), ExpectedVersion.NO_STREAM);
          await expectCode(store.appendEvents(id, TYPE, [added(id, 2)], 1), 'ES_OPTIMISTIC_LOCK', {
            aggregateId: id,
            expectedVersion: 1,
            actualVersion: 3,
          });
          await expectCode(store.appendEvents(id, TYPE, [added(id, 6)], 5), 'ES_OPTIMISTIC_LOCK', {
            aggregateId: id,
            expectedVersion: 5,
            actualVersion: 3,
          });
          const other = newId();
          await expectCode(
            store.appendEvents(other, TYPE, [added(other, 2)], 1),
            'ES_OPTIMISTIC_LOCK',
            {
              aggregateId: other,
              expectedVersion: 1,
              actualVersion: 0,
            },
          );
        },
        timeout,
      );

      it(
        'rejects STREAM_EXISTS on an empty stream and accepts it on an existing one',
        async () => {
          const id = newId();
          await expectCode(
            store.appendEvents(id, TYPE, [added(id, 1)], ExpectedVersion.STREAM_EXISTS),
            'ES_OPTIMISTIC_LOCK',
            { aggregateId: id, expectedVersion: ExpectedVersion.STREAM_EXISTS, actualVersion: 0 },
          );
          expect(await collect(store)).toEqual([]);
          await store.appendEvents(id, TYPE, [added(id, 1)], ExpectedVersion.NO_STREAM);
          const result = await store.appendEvents(
            id,
            TYPE,
            [added(id, 2)],
            ExpectedVersion.STREAM_EXISTS,
          );
          expect(result.newVersion).toBe(2);
        },
        timeout,
      );

      it(
        'accepts ANY on new and existing streams',
        async () => {
          const id = newId();
          const first = await store.appendEvents(id, TYPE, [added(id, 1)], ExpectedVersion.ANY);
          expect(first.newVersion).toBe(1);
          const second = await store.appendEvents(id, TYPE, [added(id, 2)], ExpectedVersion.ANY);
          expect(second.newVersion).toBe(2);
          expect((await store.getEvents(id, TYPE)).version).toBe(2);
        },
        timeout,
      );

      it(
        'stamps the next stream versions on events appended with ANY or STREAM_EXISTS',
        async () => {
          const id = newId();
          await store.appendEvents(id, TYPE, batch(id, 1, 2), ExpectedVersion.NO_STREAM);
          const late = [added(id, 1, { label: 'a' }), added(id, 1, { label: 'b' })];
          const result = await store.appendEvents(id, TYPE, late, ExpectedVersion.ANY);
          expect(result.newVersion).toBe(4);
          const exists = added(id, 9, { label: 'c' });
          expect(
            (await store.appendEvents(id, TYPE, [exists], ExpectedVersion.STREAM_EXISTS))
              .newVersion,
          ).toBe(5);
          const stream = await store.getEvents(id, TYPE);
          expect(stream.events.map((e) => e.aggregateVersion)).toEqual([1, 2, 3, 4, 5]);
          expect(stream.events[2]).toEqual(withAggregateVersion(late[0]!, 3));
          expect(stream.events[3]).toEqual(withAggregateVersion(late[1]!, 4));
          expect(stream.events[4]).toEqual(withAggregateVersion(exists, 5));
          const stored = await collect(store);
          expect(stored.map((s) => s.streamPosition)).toEqual([1, 2, 3, 4, 5]);
        },
        timeout,
      );

      it(
        'rejects events without the next versions under an exact expected version',
        async () => {
          const id = newId();
          await expectCode(
            store.appendEvents(id, TYPE, [added(id, 2)], ExpectedVersion.NO_STREAM),
            'ES_EVENT_VERSION',
            { expectedVersion: 1, actualVersion: 2, aggregateId: id },
          );
          await store.appendEvents(id, TYPE, batch(id, 1, 1), ExpectedVersion.NO_STREAM);
          await expectCode(
            store.appendEvents(id, TYPE, [added(id, 2), added(id, 4)], 1),
            'ES_EVENT_VERSION',
            { expectedVersion: 3, actualVersion: 4 },
          );
          expect((await store.getEvents(id, TYPE)).version).toBe(1);
          expect(await collect(store)).toHaveLength(1);
        },
        timeout,
      );

      it(
        'rejects events of another aggregate id or type and stores nothing',
        async () => {
          const id = newId();
          const foreign = added(newId(), 2);
          await expectCode(
            store.appendEvents(id, TYPE, [added(id, 1), foreign], ExpectedVersion.NO_STREAM),
            'ES_AGGREGATE_MISMATCH',
            { field: 'aggregateId', expected: id, eventId: foreign.eventId },
          );
          const bin = ConformanceBinCreated.create({ aggregateId: id, size: 3 });
          await expectCode(
            store.appendEvents(id, TYPE, [bin], ExpectedVersion.NO_STREAM),
            'ES_AGGREGATE_MISMATCH',
            { field: 'aggregateType', expected: TYPE, actual: 'ConformanceBin' },
          );
          expect(await collect(store)).toEqual([]);
          expect(await store.getGlobalPosition()).toBe(0);
        },
        timeout,
      );

      it(
        'checks the expected version of an empty batch and stores nothing',
        async () => {
          const id = newId();
          const empty = await store.appendEvents(id, TYPE, [], ExpectedVersion.NO_STREAM);
          expect(empty).toMatchObject({ success: true, newVersion: 0 });
          await store.appendEvents(id, TYPE, batch(id, 1, 2), ExpectedVersion.NO_STREAM);
          expect((await store.appendEvents(id, TYPE, [], 2)).newVersion).toBe(2);
          expect((await store.appendEvents(id, TYPE, [], ExpectedVersion.ANY)).newVersion).toBe(2);
          await expectCode(store.appendEvents(id, TYPE, [], 1), 'ES_OPTIMISTIC_LOCK', {
            expectedVersion: 1,
            actualVersion: 2,
          });
          expect(await collect(store)).toHaveLength(2);
        },
        timeout,
      );
    });

    describe('idempotent re-append', () => {
      it(
        'skips a batch that is already stored, even with its original expected version',
        async () => {
          const id = newId();
          const events = batch(id, 1, 3);
          const first = await store.appendEvents(id, TYPE, events, ExpectedVersion.NO_STREAM);
          const again = await store.appendEvents(id, TYPE, events, ExpectedVersion.NO_STREAM);
          expect(again).toMatchObject({ success: true, newVersion: 3 });
          expect(again.globalPosition).toBe(first.globalPosition);
          expect(await store.getGlobalPosition()).toBe(first.globalPosition);
          expect(await collect(store)).toHaveLength(3);
          const viaAny = await store.appendEvents(id, TYPE, events.slice(1), ExpectedVersion.ANY);
          expect(viaAny.newVersion).toBe(3);
          expect((await store.getEvents(id, TYPE)).events).toEqual(events);
        },
        timeout,
      );

      it(
        'appends only the new events of a batch that repeats stored ones',
        async () => {
          const id = newId();
          const events = batch(id, 1, 2);
          await store.appendEvents(id, TYPE, events, ExpectedVersion.NO_STREAM);
          const next = added(id, 3);
          const result = await store.appendEvents(id, TYPE, [events[1]!, next], 2);
          expect(result.newVersion).toBe(3);
          const stream = await store.getEvents(id, TYPE);
          expect(stream.events).toEqual([...events, next]);
          expect(await collect(store)).toHaveLength(3);
        },
        timeout,
      );

      it(
        'stores an event id repeated within one batch once',
        async () => {
          const id = newId();
          const event = added(id, 1);
          const result = await store.appendEvents(
            id,
            TYPE,
            [event, event],
            ExpectedVersion.NO_STREAM,
          );
          expect(result.newVersion).toBe(1);
          expect((await store.getEvents(id, TYPE)).events).toEqual([event]);
        },
        timeout,
      );
    });

    describe('atomicity', () => {
      it(
        'stores nothing of a batch that conflicts',
        async () => {
          const id = newId();
          await store.appendEvents(id, TYPE, batch(id, 1, 2), ExpectedVersion.NO_STREAM);
          const before = await store.getGlobalPosition();
          await expectCode(store.appendEvents(id, TYPE, batch(id, 2, 5), 1), 'ES_OPTIMISTIC_LOCK');
          expect(await store.getGlobalPosition()).toBe(before);
          expect(await collect(store)).toHaveLength(2);
          expect((await store.getEvents(id, TYPE)).version).toBe(2);
        },
        timeout,
      );

      it(
        'stores nothing of a batch with an invalid event at its end',
        async () => {
          const id = newId();
          const events = [...batch(id, 1, 4), added(id, 9)];
          await expectCode(
            store.appendEvents(id, TYPE, events, ExpectedVersion.NO_STREAM),
            'ES_EVENT_VERSION',
          );
          expect(await collect(store)).toEqual([]);
          expect((await store.getEvents(id, TYPE)).events).toEqual([]);
        },
        timeout,
      );
    });

    describe('readAll', () => {
      async function seed(): Promise<{ a: string; b: string; all: StoredEvent[] }> {
        const a = newId();
        const b = newId();
        await store.appendEvents(a, TYPE, [added(a, 1)], ExpectedVersion.NO_STREAM);
        await store.appendEvents(b, TYPE, [added(b, 1), removed(b, 2)], ExpectedVersion.NO_STREAM);
        await store.appendEvents(a, TYPE, [removed(a, 2)], 1);
        await store.appendEvents(b, TYPE, [added(b, 3)], 2);
        await store.appendEvents(a, TYPE, [added(a, 3), added(a, 4)], 2);
        return { a, b, all: await collect(store) };
      }

      it(
        'yields every event in append order with increasing positions',
        async () => {
          const { a, b, all } = await seed();
          expect(all.map((s) => [s.event.aggregateId, s.event.aggregateVersion])).toEqual([
            [a, 1],
            [b, 1],
            [b, 2],
            [a, 2],
            [b, 3],
            [a, 3],
            [a, 4],
          ]);
          for (let i = 1; i < all.length; i++) {
            expect(all[i]!.globalPosition).toBeGreaterThan(all[i - 1]!.globalPosition);
            expect(comparePositions(all[i]!.position, all[i - 1]!.position)).toBeGreaterThan(0);
          }
          expect(await store.getGlobalPosition()).toBe(all[all.length - 1]!.globalPosition);
          expect(await collect(store, { fromPosition: 0 })).toEqual(all);
        },
        timeout,
      );

      it(
        'starts strictly after fromPosition given as a global position',
        async () => {
          const { all } = await seed();
          for (const k of [0, 2, 5]) {
            const after = await collect(store, { fromPosition: all[k]!.globalPosition });
            expect(after.map((s) => s.event.eventId)).toEqual(
              all.slice(k + 1).map((s) => s.event.eventId),
            );
          }
          expect(
            await collect(store, { fromPosition: all[all.length - 1]!.globalPosition }),
          ).toEqual([]);
        },
        timeout,
      );

      it(
        'starts strictly after fromPosition given as a position cursor',
        async () => {
          const { all } = await seed();
          for (const k of [0, 3, 6]) {
            const after = await collect(store, { fromPosition: all[k]!.position });
            expect(after.map((s) => s.event.eventId)).toEqual(
              all.slice(k + 1).map((s) => s.event.eventId),
            );
          }
        },
        timeout,
      );

      it(
        'stops after limit events and pages through everything with the cursor',
        async () => {
          const { all } = await seed();
          expect((await collect(store, { limit: 3 })).map((s) => s.event.eventId)).toEqual(
            all.slice(0, 3).map((s) => s.event.eventId),
          );
          expect(await collect(store, { limit: 0 })).toEqual([]);
          const paged: StoredEvent[] = [];
          let cursor: Position = 0;
          let finished = false;
          // Bounded, so a store that never advances fails instead of hanging.
          for (let pages = 0; pages <= all.length; pages++) {
            const page = await collect(store, { fromPosition: cursor, limit: 2 });
            if (page.length === 0) {
              finished = true;
              break;
            }
            expect(page.length).toBeLessThanOrEqual(2);
            paged.push(...page);
            cursor = page[page.length - 1]!.position;
          }
          expect(finished).toBe(true);
          expect(paged.map((s) => s.event.eventId)).toEqual(all.map((s) => s.event.eventId));
        },
        timeout,
      );

      it(
        'filters by eventTypes, with limit and fromPosition',
        async () => {
          const { all } = await seed();
          const removals = all.filter((s) => s.event.eventType === 'ConformanceItemRemoved');
          const ids = (list: StoredEvent[]) => list.map((s) => s.event.eventId);
          expect(ids(await collect(store, { eventTypes: ['ConformanceItemRemoved'] }))).toEqual(
            ids(removals),
          );
          expect(
            ids(await collect(store, { eventTypes: ['ConformanceItemRemoved'], limit: 1 })),
          ).toEqual(ids(removals.slice(0, 1)));
          expect(
            ids(
              await collect(store, {
                eventTypes: ['ConformanceItemRemoved'],
                fromPosition: removals[0]!.position,
              }),
            ),
          ).toEqual(ids(removals.slice(1)));
          expect(
            ids(
              await collect(store, {
                eventTypes: ['ConformanceItemAdded', 'ConformanceItemRemoved'],
              }),
            ),
          ).toEqual(ids(all));
          expect(await collect(store, { eventTypes: ['NoSuchType'] })).toEqual([]);
        },
        timeout,
      );

      it(
        'can be abandoned part way',
        async () => {
          const { all } = await seed();
          let seen = 0;
          for await (const stored of store.readAll()) {
            expect(stored.event.eventId).toBe(all[seen]!.event.eventId);
            seen++;
            if (seen === 2) break;
          }
          expect(seen).toBe(2);
          expect(await collect(store)).toHaveLength(all.length);
        },
        timeout,
      );
    });

    describe('getEvents', () => {
      it(
        'skips events up to fromVersion',
        async () => {
          const id = newId();
          const events = batch(id, 1, 5);
          await store.appendEvents(id, TYPE, events, ExpectedVersion.NO_STREAM);
          const stream = await store.getEvents(id, TYPE, { fromVersion: 3 });
          expect(stream.events).toEqual(events.slice(3));
          expect(stream.version).toBe(5);
          expect((await store.getEvents(id, TYPE, { fromVersion: 0 })).events).toEqual(events);
          expect((await store.getEvents(id, TYPE, { fromVersion: 5 })).events).toEqual([]);
          expect((await store.getEvents(id, TYPE, { fromVersion: 9 })).events).toEqual([]);
        },
        timeout,
      );

      it(
        'filters by occurredAt with inclusive bounds',
        async () => {
          const id = newId();
          const t = (minute: number) => new Date(Date.UTC(2024, 0, 1, 12, minute));
          const events = [0, 10, 20, 30].map((minute, i) =>
            added(id, i + 1, { occurredAt: t(minute) }),
          );
          await store.appendEvents(id, TYPE, events, ExpectedVersion.NO_STREAM);
          const versions = async (options: { fromTimestamp?: Date; toTimestamp?: Date }) =>
            (await store.getEvents(id, TYPE, options)).events.map((e) => e.aggregateVersion);
          expect(await versions({ fromTimestamp: t(10) })).toEqual([2, 3, 4]);
          expect(await versions({ toTimestamp: t(20) })).toEqual([1, 2, 3]);
          expect(await versions({ fromTimestamp: t(10), toTimestamp: t(20) })).toEqual([2, 3]);
          expect(await versions({ fromTimestamp: t(11), toTimestamp: t(19) })).toEqual([]);
        },
        timeout,
      );

      it(
        'keeps streams of the same id but different aggregate types apart',
        async () => {
          const id = newId();
          const item = added(id, 1);
          const bin = ConformanceBinCreated.create({ aggregateId: id, size: 7 });
          await store.appendEvents(id, TYPE, [item], ExpectedVersion.NO_STREAM);
          await store.appendEvents(id, 'ConformanceBin', [bin], ExpectedVersion.NO_STREAM);
          expect((await store.getEvents(id, TYPE)).events).toEqual([item]);
          const bins = await store.getEvents(id, 'ConformanceBin');
          expect(bins.events).toEqual([bin]);
          expect(bins.version).toBe(1);
          const all = await collect(store);
          expect(all.map((s) => s.streamId)).toEqual([`${id}:${TYPE}`, `${id}:ConformanceBin`]);
        },
        timeout,
      );

      it(
        'reads a stream without an aggregate type',
        async () => {
          const id = newId();
          const events = batch(id, 1, 3);
          await store.appendEvents(id, TYPE, events, ExpectedVersion.NO_STREAM);
          const stream = await store.getEvents(id);
          expect(stream.events).toEqual(events);
          expect(stream.version).toBe(3);
        },
        timeout,
      );
    });

    describe('round trip', () => {
      it(
        'returns events equal to the appended ones, dates revived and frozen',
        async () => {
          const id = newId();
          const first = ConformanceItemAdded.create({
            aggregateId: id,
            label: 'Ünïcødé ✓ 日本語 🎉 "quotes" \\ back\nslash',
            quantity: -12.375,
            tags: ['a', '', 'ß'],
            details: {
              nested: { deeper: [1, 2.5, -3, null, true, false, 'x'] },
              empty: {},
              list: [],
              big: 9_007_199_254_740_991,
            },
            occurredAt: new Date('2024-02-29T23:59:59.123Z'),
            tenantId: 'tenant-1',
            actorId: 'user-7',
            metadata: { source: 'conformance', trace: { id: 'abc', hops: [1, 2] } },
          });
          const second = withCausation(
            ConformanceItemRenamed.create({
              aggregateId: id,
              aggregateVersion: 2,
              name: 'renamed',
            }),
            first,
          );
          const third = ConformanceItemRemoved.create({
            aggregateId: id,
            aggregateVersion: 3,
            label: '',
          });
          await store.appendEvents(id, TYPE, [first, second, third], ExpectedVersion.NO_STREAM);

          const [a, b, c] = (await store.getEvents(id, TYPE)).events;
          expect(a).toEqual(first);
          expect(b).toEqual(second);
          expect(c).toEqual(third);
          expect(a!.occurredAt).toBeInstanceOf(Date);
          expect(a!.occurredAt.toISOString()).toBe('2024-02-29T23:59:59.123Z');
          expect(b).toMatchObject({
            eventVersion: 2,
            causationId: first.eventId,
            correlationId: first.correlationId,
          });
          expect(Object.isFrozen(a)).toBe(true);
          const viaReadAll = await collect(store);
          expect(viaReadAll.map((s) => s.event)).toEqual([first, second, third]);
          expect(viaReadAll[0]!.event.occurredAt).toBeInstanceOf(Date);
        },
        timeout,
      );

      it(
        'is not affected by later changes to the appended objects',
        async () => {
          const id = newId();
          const event = added(id, 1);
          await store.appendEvents(id, TYPE, [event], ExpectedVersion.NO_STREAM);
          const read = (await store.getEvents(id, TYPE)).events[0]!;
          expect(() => {
            (read as { label?: string }).label = 'changed';
          }).toThrow();
          expect((await store.getEvents(id, TYPE)).events[0]).toEqual(event);
        },
        timeout,
      );
    });

    describe('concurrency', () => {
      it(
        'lets exactly one of many concurrent NO_STREAM appends win',
        async () => {
          const id = newId();
          const attempts = Array.from({ length: writers }, () =>
            store.appendEvents(id, TYPE, [added(id, 1)], ExpectedVersion.NO_STREAM),
          );
          const results = await Promise.allSettled(attempts);
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(writers - 1);
          for (const failure of lost) {
            expect(failure.reason).toMatchObject({
              code: 'ES_OPTIMISTIC_LOCK',
              aggregateId: id,
              expectedVersion: 0,
              actualVersion: 1,
            });
          }
          expect((await store.getEvents(id, TYPE)).events).toHaveLength(1);
        },
        timeout,
      );

      it(
        'gives every version to exactly one of several writers retrying on conflicts',
        async () => {
          const id = newId();
          const perWriter = 5;
          const writer = async (w: number): Promise<number> => {
            let conflicts = 0;
            for (let n = 0; n < perWriter; ) {
              const { version } = await store.getEvents(id, TYPE);
              try {
                await store.appendEvents(
                  id,
                  TYPE,
                  [added(id, version + 1, { label: `w${w}-${n}` })],
                  version,
                );
                n++;
              } catch (error) {
                if (!isEventSourceError(error) || error.code !== 'ES_OPTIMISTIC_LOCK') throw error;
                conflicts++;
                // Each conflict means another writer progressed; more than this means no progress.
                if (conflicts > writers * perWriter) throw new Error('appends make no progress');
              }
            }
            return conflicts;
          };
          await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
          const stream = await store.getEvents(id, TYPE);
          const total = writers * perWriter;
          expect(stream.version).toBe(total);
          expect(stream.events.map((e) => e.aggregateVersion)).toEqual(
            Array.from({ length: total }, (_, i) => i + 1),
          );
          const labels = stream.events.map((e) => (e as DomainEvent & { label: string }).label);
          expect(new Set(labels).size).toBe(total);
        },
        timeout,
      );

      it(
        'appends concurrently to different streams with unique positions',
        async () => {
          const ids = Array.from({ length: writers }, () => newId());
          await Promise.all(
            ids.map((id) =>
              store.appendEvents(id, TYPE, batch(id, 1, 3), ExpectedVersion.NO_STREAM),
            ),
          );
          const all = await collect(store);
          expect(all).toHaveLength(writers * 3);
          expect(new Set(all.map((s) => s.globalPosition)).size).toBe(writers * 3);
          for (const id of ids) {
            const own = all.filter((s) => s.event.aggregateId === id);
            expect(own.map((s) => s.streamPosition)).toEqual([1, 2, 3]);
          }
        },
        timeout,
      );
    });

    describe('getGlobalPosition', () => {
      it(
        'is the position of the last event and ignores failed appends',
        async () => {
          const id = newId();
          const first = await store.appendEvents(
            id,
            TYPE,
            batch(id, 1, 2),
            ExpectedVersion.NO_STREAM,
          );
          expect(await store.getGlobalPosition()).toBe(first.globalPosition);
          await expectCode(store.appendEvents(id, TYPE, [added(id, 3)], 0), 'ES_OPTIMISTIC_LOCK');
          expect(await store.getGlobalPosition()).toBe(first.globalPosition);
          const other = newId();
          const second = await store.appendEvents(
            other,
            TYPE,
            [added(other, 1)],
            ExpectedVersion.NO_STREAM,
          );
          expect(second.globalPosition).toBeGreaterThan(first.globalPosition);
          expect(await store.getGlobalPosition()).toBe(second.globalPosition);
          const all = await collect(store);
          expect(all[all.length - 1]!.globalPosition).toBe(second.globalPosition);
        },
        timeout,
      );
    });
  });
}
