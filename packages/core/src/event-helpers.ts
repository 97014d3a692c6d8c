/**
 * Helpers that derive a new frozen event from an existing one.
 *
 * @module
 */
import type { DomainEvent } from './domain-event.js';
import { checkId, checkVersion, copyEvent, mergeMetadata } from './internal/event-builder.js';

/** The fields of an event that {@link withCausation} reads from the cause. */
export interface CausingEvent {
  readonly eventId: string;
  readonly correlationId: string;
}

/**
 * A copy of `event` caused by `cause`: `causationId = cause.eventId` and
 * `correlationId = cause.correlationId`.
 *
 * @throws {SerializationError} ES_SERIALIZATION when `cause` lacks a string `eventId` or
 * `correlationId`.
 *
 * @example
 * ```ts
 * const completed = withCausation(TaskCompleted.create({ aggregateId, aggregateVersion: 2 }), created);
 * ```
 */
export function withCausation<E extends DomainEvent>(event: E, cause: CausingEvent): E {
  const eventId = checkId(event.eventType, 'cause.eventId', cause?.eventId);
  const correlationId = checkId(event.eventType, 'cause.correlationId', cause?.correlationId);
  return copyEvent(event, { correlationId, causationId: eventId });
}

/**
 * A copy of `event` whose metadata is the old metadata merged with `metadata` (new keys win).
 *
 * @throws {SerializationError} ES_SERIALIZATION when `metadata` is not a plain object or is cyclic.
 */
export function withMetadata<E extends DomainEvent>(
  event: E,
  metadata: Readonly<Record<string, unknown>>,
): E {
  return copyEvent(event, { metadata: mergeMetadata(event.eventType, event.metadata, metadata) });
}

/**
 * A copy of `event` with `aggregateVersion` set to `version` (the event itself when it already
 * has that version).
 *
 * @throws {SerializationError} ES_SERIALIZATION when `version` is not an integer >= 1.
 */
export function withAggregateVersion<E extends DomainEvent>(event: E, version: number): E {
  checkVersion(event.eventType, version);
  if (event.aggregateVersion === version) return event;
  return copyEvent(event, { aggregateVersion: version });
}
