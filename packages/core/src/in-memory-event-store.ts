/**
 * The in-memory event store: a real backend for tests, demos and single-process applications.
 *
 * @module
 */
import {
  assertAppendArguments,
  assignStreamVersions,
  checkExpectedVersion,
} from './append-rules.js';
import type { DomainEvent } from './domain-event.js';
import { InvalidConfigError } from './errors.js';
import type { EventBus } from './event-bus.js';
import { EventRegistry } from './event-registry.js';
import type {
  AppendResult,
  EventStore,
  EventStream,
  ExpectedVersionValue,
  GetEventsOptions,
  ReadAllOptions,
  StoredEvent,
} from './event-store.js';
import { CyclicValueError, deepFreezeCopy, setOwn } from './internal/values.js';

/** Options of {@link InMemoryEventStore}. */
export interface InMemoryEventStoreOptions {
  /** Notified with `{ events }` after every append that stored something. */
  readonly eventBus?: EventBus | undefined;
  /**
   * When given, every appended event is serialized and deserialized through it before it is
   * stored, exactly as a database backend would: unregistered types, unserializable or
   * schema-invalid payloads fail the append, and reads return revived copies. Without it events are
   * stored as they are (frozen), which is faster.
   */
  readonly registry?: EventRegistry | undefined;
  /** The clock for `storedAt`, in milliseconds. Default: `Date.now`. */
  readonly clock?: (() => number) | undefined;
  /** Called when `eventBus.publish` throws (the append has succeeded). Default: ignore. */
  readonly onPublishError?: ((error: unknown) => void) | undefined;
}

interface Stream {
  readonly streamId: string;
  /** Index `i` holds stream version `i + 1`: versions are dense. */
  readonly events: StoredEvent[];
}

const EMPTY: readonly StoredEvent[] = Object.freeze([]);
const EMPTY_EVENTS: readonly DomainEvent[] = Object.freeze([]);
const DONE: IteratorResult<StoredEvent> = Object.freeze({ value: undefined, done: true });
const DONE_PROMISE = Promise.resolve(DONE);

/** A cursor over a snapshot of the log: from an index up to the head at creation. */
class LogCursor implements AsyncIterableIterator<StoredEvent> {
  #index: number;
  #remaining: number;
  readonly #end: number;
  readonly #log: readonly StoredEvent[];
  readonly #types: ReadonlySet<string> | undefined;

  constructor(
    log: readonly StoredEvent[],
    start: number,
    limit: number,
    types: ReadonlySet<string> | undefined,
  ) {
    this.#log = log;
    this.#end = log.length;
    this.#index = start;
    this.#remaining = limit;
    this.#types = types;
  }

  next(): Promise<IteratorResult<StoredEvent>> {
    if (this.#remaining > 0) {
      const log = this.#log;
      const types = this.#types;
      while (this.#index < this.#end) {
        const stored = log[this.#index++] as StoredEvent;
        if (types !== undefined && !types.has(stored.event.eventType)) continue;
        this.#remaining--;
        return Promise.resolve({ value: stored, done: false });
      }
    }
    this.#index = this.#end;
    return DONE_PROMISE;
  }

  return(): Promise<IteratorResult<StoredEvent>> {
    this.#index = this.#end;
    return DONE_PROMISE;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<StoredEvent> {
    return this;
  }
}

function freezeForeignEvent(event: DomainEvent): DomainEvent {
  const copy: Record<string, unknown> = {};
  const source = event as unknown as Record<string, unknown>;
  try {
    for (const key of Object.keys(source)) setOwn(copy, key, deepFreezeCopy(source[key]));
  } catch (error) {
    if (error instanceof CyclicValueError) {
      throw new InvalidConfigError(
        'appendEvents.events',
        'must not contain cyclic structures',
        event.eventId,
      );
    }
    throw error;
  }
  return Object.freeze(copy) as DomainEvent;
}

function checkVersionOption(field: string, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidConfigError(field, 'must be an integer >= 0', value);
  }
  return value;
}

function checkDateOption(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidConfigError(field, 'must be a valid Date', value);
  }
  return value.getTime();
}

/**
 * An {@link EventStore} in memory, following the append rules of `append-rules.ts`: all
 * expected-version kinds, idempotent re-appends, atomic batches, dense 1-based global positions
 * (`position === globalPosition`), an optional event bus and an optional serialization round trip.
 *
 * Appends are atomic without locks: each append runs to completion synchronously inside its
 * promise, so concurrent calls never interleave between the check and the write. Reads never copy
 * the log: `readAll` starts at its position by index (O(1)) and iterates a snapshot bounded by the
 * head at the moment iteration starts.
 *
 * @example
 * ```ts
 * const store = new InMemoryEventStore();
 * await store.appendEvents('task-1', 'Task', [TaskCreated.create({ aggregateId: 'task-1', title: 'x' })], ExpectedVersion.NO_STREAM);
 * for await (const stored of store.readAll({ fromPosition: 0 })) console.log(stored.globalPosition, stored.event.eventType);
 * ```
 */
export class InMemoryEventStore implements EventStore {
  #log: StoredEvent[] = [];
  #streams = new Map<string, Map<string, Stream>>();
  #ids = new Set<string>();
  readonly #eventBus: EventBus | undefined;
  readonly #registry: EventRegistry | undefined;
  readonly #clock: () => number;
  readonly #onPublishError: ((error: unknown) => void) | undefined;

  /**
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when an option has the wrong kind.
   */
  constructor(options: InMemoryEventStoreOptions = {}) {
    const { eventBus, registry, clock = Date.now, onPublishError } = options;
    if (eventBus !== undefined && typeof eventBus?.publish !== 'function') {
      throw new InvalidConfigError(
        'InMemoryEventStoreOptions.eventBus',
        'must implement EventBus',
        eventBus,
      );
    }
    if (registry !== undefined && !(registry instanceof EventRegistry)) {
      throw new InvalidConfigError(
        'InMemoryEventStoreOptions.registry',
        'must be an EventRegistry',
        registry,
      );
    }
    if (typeof clock !== 'function') {
      throw new InvalidConfigError('InMemoryEventStoreOptions.clock', 'must be a function', clock);
    }
    if (onPublishError !== undefined && typeof onPublishError !== 'function') {
      throw new InvalidConfigError(
        'InMemoryEventStoreOptions.onPublishError',
        'must be a function',
        onPublishError,
      );
    }
    this.#eventBus = eventBus;
    this.#registry = registry;
    this.#clock = clock;
    this.#onPublishError = onPublishError;
  }

  /**
   * Appends events to the stream `(aggregateId, aggregateType)` atomically.
   *
   * @throws {OptimisticLockError} ES_OPTIMISTIC_LOCK when `expectedVersion` does not hold.
   * @throws {EventVersionError} ES_EVENT_VERSION when, under an exact expected version, the events
   * do not carry the versions `expectedVersion + 1…`.
   * @throws {AggregateMismatchError} ES_AGGREGATE_MISMATCH when an event belongs to another stream.
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for malformed arguments.
   * @throws {SerializationError} ES_SERIALIZATION / {EventTypeNotFoundError} ES_EVENT_TYPE_NOT_FOUND
   * when a `registry` is configured and an event does not round-trip through it.
   */
  async appendEvents(
    aggregateId: string,
    aggregateType: string,
    events: readonly DomainEvent[],
    expectedVersion: ExpectedVersionValue,
  ): Promise<AppendResult> {
    assertAppendArguments(aggregateId, aggregateType, events, expectedVersion);
    const byType = this.#streams.get(aggregateId);
    let stream = byType?.get(aggregateType);
    const currentVersion = stream === undefined ? 0 : stream.events.length;

    const fresh = this.#withoutStoredIds(events);
    if (fresh.length === 0 && events.length > 0) {
      // Every event is already stored: a retry of a committed append.
      return { success: true, newVersion: currentVersion, globalPosition: this.#log.length };
    }
    checkExpectedVersion(aggregateId, expectedVersion, currentVersion);
    if (fresh.length === 0) {
      return { success: true, newVersion: currentVersion, globalPosition: this.#log.length };
    }
    const versioned = assignStreamVersions(aggregateId, fresh, expectedVersion, currentVersion);
    const prepared = this.#prepare(versioned);

    // Nothing below can throw: the batch is written completely.
    if (stream === undefined) {
      stream = { streamId: `${aggregateId}:${aggregateType}`, events: [] };
      if (byType === undefined) {
        this.#streams.set(aggregateId, new Map([[aggregateType, stream]]));
      } else {
        byType.set(aggregateType, stream);
      }
    }
    const log = this.#log;
    const ids = this.#ids;
    const storedAt = this.#clock();
    const stored = new Array<StoredEvent>(prepared.length);
    for (let i = 0; i < prepared.length; i++) {
      const event = prepared[i] as DomainEvent;
      const globalPosition = log.length + 1;
      const record: StoredEvent = Object.freeze({
        event,
        streamId: stream.streamId,
        streamPosition: event.aggregateVersion,
        globalPosition,
        position: globalPosition,
        storedAt: new Date(storedAt),
      });
      log.push(record);
      stream.events.push(record);
      ids.add(event.eventId);
      stored[i] = record;
    }
    this.#publish(stored);
    return {
      success: true,
      newVersion: currentVersion + prepared.length,
      globalPosition: log.length,
    };
  }

  /**
   * The events of one aggregate in version order. Without `aggregateType`, the events of every
   * stream of that id, in global order.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for a negative `fromVersion` or an invalid date.
   */
  async getEvents(
    aggregateId: string,
    aggregateType?: string,
    options: GetEventsOptions = {},
  ): Promise<EventStream> {
    const fromVersion = checkVersionOption('getEvents.fromVersion', options.fromVersion);
    const from = checkDateOption('getEvents.fromTimestamp', options.fromTimestamp);
    const to = checkDateOption('getEvents.toTimestamp', options.toTimestamp);
    const byType = this.#streams.get(aggregateId);
    let stored: readonly StoredEvent[] = EMPTY;
    let start = 0;
    if (byType !== undefined) {
      if (aggregateType !== undefined) {
        stored = byType.get(aggregateType)?.events ?? EMPTY;
        start = fromVersion; // index i holds version i + 1
      } else if (byType.size === 1) {
        stored = (byType.values().next().value as Stream).events;
        start = fromVersion;
      } else {
        const merged: StoredEvent[] = [];
        for (const stream of byType.values()) merged.push(...stream.events);
        merged.sort((a, b) => a.globalPosition - b.globalPosition);
        stored = merged;
      }
    }
    const events: DomainEvent[] = [];
    for (let i = start; i < stored.length; i++) {
      const event = (stored[i] as StoredEvent).event;
      if (event.aggregateVersion <= fromVersion) continue;
      if (from !== undefined || to !== undefined) {
        const time = event.occurredAt.getTime();
        if (from !== undefined && time < from) continue;
        if (to !== undefined && time > to) continue;
      }
      events.push(event);
    }
    const last = events[events.length - 1];
    return {
      aggregateId,
      aggregateType,
      events,
      version: last === undefined ? 0 : last.aggregateVersion,
    };
  }

  /**
   * Every event after `fromPosition` (exclusive) in global order, up to the head at the moment
   * iteration starts.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `fromPosition` is not an integer >= 0,
   * `limit` not an integer >= 0 or `eventTypes` not an array of strings.
   */
  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    const { fromPosition = 0, limit, eventTypes } = options;
    if (typeof fromPosition !== 'number' || !Number.isInteger(fromPosition) || fromPosition < 0) {
      throw new InvalidConfigError(
        'readAll.fromPosition',
        'must be an integer >= 0 (a position of this store)',
        fromPosition,
      );
    }
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new InvalidConfigError('readAll.limit', 'must be an integer >= 0', limit);
    }
    let types: ReadonlySet<string> | undefined;
    if (eventTypes !== undefined) {
      if (!Array.isArray(eventTypes) || eventTypes.some((t) => typeof t !== 'string')) {
        throw new InvalidConfigError(
          'readAll.eventTypes',
          'must be an array of strings',
          eventTypes,
        );
      }
      types = new Set(eventTypes);
    }
    const max = limit ?? Number.POSITIVE_INFINITY;
    return {
      [Symbol.asyncIterator]: () => {
        const log = this.#log;
        return new LogCursor(log, Math.min(fromPosition, log.length), max, types);
      },
    };
  }

  /** The highest assigned global position; 0 when empty. */
  async getGlobalPosition(): Promise<number> {
    return this.#log.length;
  }

  /** The number of stored events. */
  async getEventCount(): Promise<number> {
    return this.#log.length;
  }

  /** The current version of a stream; 0 when it has no events. */
  async getStreamVersion(aggregateId: string, aggregateType: string): Promise<number> {
    return this.#streams.get(aggregateId)?.get(aggregateType)?.events.length ?? 0;
  }

  /** True when an event with this id is stored. */
  async hasEvent(eventId: string): Promise<boolean> {
    return this.#ids.has(eventId);
  }

  /** Removes every event; positions start again at 1. Running `readAll` iterations are unaffected. */
  async clear(): Promise<void> {
    this.#log = [];
    this.#streams = new Map();
    this.#ids = new Set();
  }

  #withoutStoredIds(events: readonly DomainEvent[]): readonly DomainEvent[] {
    const ids = this.#ids;
    if (events.length === 1) {
      return ids.has((events[0] as DomainEvent).eventId) ? EMPTY_EVENTS : events;
    }
    const seen = new Set<string>();
    let result: DomainEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as DomainEvent;
      const id = event.eventId;
      if (ids.has(id) || seen.has(id)) {
        result ??= events.slice(0, i);
        continue;
      }
      seen.add(id);
      result?.push(event);
    }
    return result ?? events;
  }

  #prepare(events: readonly DomainEvent[]): readonly DomainEvent[] {
    const registry = this.#registry;
    let result: DomainEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as DomainEvent;
      const prepared =
        registry !== undefined
          ? registry.deserialize(registry.serialize(event))
          : Object.isFrozen(event)
            ? event
            : freezeForeignEvent(event);
      if (prepared !== event) result ??= events.slice(0, i);
      result?.push(prepared);
    }
    return result ?? events;
  }

  #publish(stored: readonly StoredEvent[]): void {
    const eventBus = this.#eventBus;
    if (eventBus === undefined) return;
    try {
      eventBus.publish({ events: stored });
    } catch (error) {
      try {
        this.#onPublishError?.(error);
      } catch {
        // Reporting failed as well; the append has succeeded regardless.
      }
    }
  }
}
