/**
 * The event-store port: what every storage backend of `@es` implements.
 *
 * @module
 */
import type { DomainEvent } from './domain-event.js';

/**
 * A subscription cursor: a `number` (global position) or an order-preserving `string`
 * (for example PostgreSQL's `(transaction id, global position)` encoding). Numbers compare
 * numerically, strings lexicographically; one subscription uses one kind.
 */
export type Position = number | string;

/** Special expected versions for {@link EventStore.appendEvents}. A plain number means "exactly". */
export const ExpectedVersion = {
  /** Append whatever the stream's version is. */
  ANY: -1,
  /** The stream must not exist yet (version 0). */
  NO_STREAM: 0,
  /** The stream must exist (version ≥ 1). */
  STREAM_EXISTS: -2,
} as const;

/** The expected version of an append: one of {@link ExpectedVersion} or an exact version. */
export type ExpectedVersionValue = number;

/** An event as stored: the event plus the positions the store assigned. */
export interface StoredEvent<E extends DomainEvent = DomainEvent> {
  /** The domain event. */
  readonly event: E;
  /** `${aggregateId}:${aggregateType}`. */
  readonly streamId: string;
  /** 1-based position within the stream (equals `event.aggregateVersion`). */
  readonly streamPosition: number;
  /** 1-based, store-wide, ascending position. */
  readonly globalPosition: number;
  /**
   * The subscription cursor of this event. Equal to `globalPosition` for stores whose commit
   * order is their position order (in memory); an opaque order-preserving string on PostgreSQL.
   * Pass it back as `readAll({ fromPosition })` to continue after this event.
   */
  readonly position: Position;
  /** When the store stored it. */
  readonly storedAt: Date;
}

/** The result of a successful append. Conflicts are thrown, never returned. */
export interface AppendResult {
  /** Always true: conflicts throw {@link OptimisticLockError}. */
  readonly success: true;
  /** The stream's version after the append. */
  readonly newVersion: number;
  /** The global position of the last appended event (or the previous head if all were duplicates). */
  readonly globalPosition: number;
}

/** The events of one aggregate. */
export interface EventStream<E extends DomainEvent = DomainEvent> {
  readonly aggregateId: string;
  readonly aggregateType: string | undefined;
  readonly events: readonly E[];
  /** The stream version after the returned events (the last event's `aggregateVersion`, 0 when empty). */
  readonly version: number;
}

/** Options of {@link EventStore.getEvents}. */
export interface GetEventsOptions {
  /** Skip events with `aggregateVersion <= fromVersion`. Default 0. */
  readonly fromVersion?: number;
  /** Inclusive lower bound on `occurredAt`. */
  readonly fromTimestamp?: Date;
  /** Inclusive upper bound on `occurredAt`. */
  readonly toTimestamp?: Date;
}

/** Options of {@link EventStore.readAll}. */
export interface ReadAllOptions {
  /**
   * Exclusive start: events strictly after this cursor. `0` (default) reads from the start.
   * Accepts a `globalPosition` or a {@link StoredEvent.position} returned by the same store.
   */
  readonly fromPosition?: Position;
  /** Stop after this many events. */
  readonly limit?: number;
  /** Only events of these types (others are passed over, the cursor still moves). */
  readonly eventTypes?: readonly string[];
}

/**
 * The event-store port. Implemented by `InMemoryEventStore` here and `PostgresEventStore` in
 * `@es/store-postgres`; both pass the conformance kit in `@es/core/testing`.
 */
export interface EventStore {
  /**
   * Append events to one aggregate's stream.
   *
   * @throws {OptimisticLockError} ES_OPTIMISTIC_LOCK when `expectedVersion` does not hold.
   * Events whose `eventId` is already stored are skipped (idempotent re-append).
   */
  appendEvents(
    aggregateId: string,
    aggregateType: string,
    events: readonly DomainEvent[],
    expectedVersion: ExpectedVersionValue,
  ): Promise<AppendResult>;
  /** The events of one aggregate in version order; an unknown aggregate gives an empty stream. */
  getEvents(
    aggregateId: string,
    aggregateType?: string,
    options?: GetEventsOptions,
  ): Promise<EventStream>;
  /** All events in ascending order after `fromPosition` (exclusive). */
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent>;
  /** The highest assigned global position, 0 when empty. */
  getGlobalPosition(): Promise<number>;
}
