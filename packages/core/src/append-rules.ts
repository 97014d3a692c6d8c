/**
 * The rules every event store applies to `appendEvents`, exported so that each backend applies
 * them the same way (the conformance kit in `@es/core/testing` checks them).
 *
 * 1. Arguments are validated and every event must belong to the stream
 *    ({@link assertAppendArguments}).
 * 2. Events whose `eventId` is already stored (or repeated within the batch) are skipped. When every
 *    event of a non-empty batch is skipped the append succeeds without checking the expected version
 *    (it is a retry of a committed write) and stores nothing.
 * 3. Otherwise the expected version is checked against the stream's current version
 *    ({@link checkExpectedVersion}), also for an empty batch.
 * 4. The remaining events get their stream versions ({@link assignStreamVersions}): with an exact
 *    expected version they must already carry `expected + 1, expected + 2, …`; with `ANY` or
 *    `STREAM_EXISTS` the store stamps `current + 1, current + 2, …` on them.
 * 5. The batch is stored atomically: all of it or, on any error, none of it.
 *
 * @module
 */
import { AggregateMismatchError } from './aggregate-mismatch-error.js';
import type { DomainEvent } from './domain-event.js';
import { EventVersionError, InvalidConfigError, OptimisticLockError } from './errors.js';
import { withAggregateVersion } from './event-helpers.js';
import { ExpectedVersion } from './event-store.js';

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Validates the arguments of `appendEvents`.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG for a bad id, type, events array, expected version
 * or event envelope (the field names the argument, for example `appendEvents.events[2].eventId`).
 * @throws {AggregateMismatchError} ES_AGGREGATE_MISMATCH when an event's `aggregateId` or
 * `aggregateType` is not the stream's.
 */
export function assertAppendArguments(
  aggregateId: string,
  aggregateType: string,
  events: readonly DomainEvent[],
  expectedVersion: number,
): void {
  if (!isNonEmptyString(aggregateId)) {
    throw new InvalidConfigError(
      'appendEvents.aggregateId',
      'must be a non-empty string',
      aggregateId,
    );
  }
  if (!isNonEmptyString(aggregateType)) {
    throw new InvalidConfigError(
      'appendEvents.aggregateType',
      'must be a non-empty string',
      aggregateType,
    );
  }
  if (!Array.isArray(events)) {
    throw new InvalidConfigError('appendEvents.events', 'must be an array of events', events);
  }
  if (!Number.isInteger(expectedVersion) || expectedVersion < ExpectedVersion.STREAM_EXISTS) {
    throw new InvalidConfigError(
      'appendEvents.expectedVersion',
      'must be ExpectedVersion.ANY (-1), ExpectedVersion.STREAM_EXISTS (-2) or an integer >= 0',
      expectedVersion,
    );
  }
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as DomainEvent | null | undefined;
    if (typeof event !== 'object' || event === null) {
      throw new InvalidConfigError(`appendEvents.events[${i}]`, 'must be a domain event', event);
    }
    if (!isNonEmptyString(event.eventId)) {
      throw new InvalidConfigError(
        `appendEvents.events[${i}].eventId`,
        'must be a non-empty string',
        event.eventId,
      );
    }
    if (!isNonEmptyString(event.eventType)) {
      throw new InvalidConfigError(
        `appendEvents.events[${i}].eventType`,
        'must be a non-empty string',
        event.eventType,
      );
    }
    if (event.aggregateId !== aggregateId) {
      throw new AggregateMismatchError(
        'aggregateId',
        aggregateId,
        event.aggregateId,
        event.eventId,
      );
    }
    if (event.aggregateType !== aggregateType) {
      throw new AggregateMismatchError(
        'aggregateType',
        aggregateType,
        event.aggregateType,
        event.eventId,
      );
    }
    if (!Number.isInteger(event.aggregateVersion) || event.aggregateVersion < 1) {
      throw new InvalidConfigError(
        `appendEvents.events[${i}].aggregateVersion`,
        'must be an integer >= 1',
        event.aggregateVersion,
      );
    }
    const occurredAt: unknown = event.occurredAt;
    if (!(occurredAt instanceof Date) || Number.isNaN(occurredAt.getTime())) {
      throw new InvalidConfigError(
        `appendEvents.events[${i}].occurredAt`,
        'must be a valid Date',
        occurredAt,
      );
    }
  }
}

/**
 * Checks an expected version against the stream's current version.
 *
 * @throws {OptimisticLockError} ES_OPTIMISTIC_LOCK with `actualVersion = currentVersion` when
 * `STREAM_EXISTS` meets an empty stream or an exact version (including `NO_STREAM` = 0) differs.
 */
export function checkExpectedVersion(
  aggregateId: string,
  expectedVersion: number,
  currentVersion: number,
): void {
  if (expectedVersion === ExpectedVersion.ANY) return;
  if (expectedVersion === ExpectedVersion.STREAM_EXISTS) {
    if (currentVersion === 0) {
      throw new OptimisticLockError(aggregateId, expectedVersion, currentVersion);
    }
    return;
  }
  if (expectedVersion !== currentVersion) {
    throw new OptimisticLockError(aggregateId, expectedVersion, currentVersion);
  }
}

/**
 * The events with their stream versions, after {@link checkExpectedVersion} passed: with `ANY` or
 * `STREAM_EXISTS` the versions `currentVersion + 1…` are stamped on them (copies, only where they
 * differ); with an exact expected version they must already carry them.
 *
 * @throws {EventVersionError} ES_EVENT_VERSION when an event carries the wrong version under an
 * exact expected version.
 */
export function assignStreamVersions<E extends DomainEvent>(
  aggregateId: string,
  events: readonly E[],
  expectedVersion: number,
  currentVersion: number,
): readonly E[] {
  const stamp =
    expectedVersion === ExpectedVersion.ANY || expectedVersion === ExpectedVersion.STREAM_EXISTS;
  let result: E[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as E;
    const version = currentVersion + 1 + i;
    if (event.aggregateVersion === version) {
      result?.push(event);
      continue;
    }
    if (!stamp) {
      throw new EventVersionError(version, event.aggregateVersion, event.eventId, aggregateId);
    }
    result ??= events.slice(0, i);
    result.push(withAggregateVersion(event, version));
  }
  return result ?? events;
}
