/**
 * Defaults and validation of the DLQ query arguments, shared by every DLQ repository.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { isDLQStatus } from './dlq-lifecycle.js';
import type {
  DLQEntry,
  DLQStatus,
  GetFailedEventsOptions,
  ListDLQEntriesOptions,
} from './dlq-repository.js';
import { UNRESOLVED_DLQ_STATUSES } from './dlq-repository.js';

/** Default `limit` of `getFailedEvents` and `listEntries`. */
export const DEFAULT_DLQ_QUERY_LIMIT = 100;

/** Default `olderThanDays` of `deleteResolvedEvents`. */
export const DEFAULT_RETENTION_DAYS = 30;

/** One day in milliseconds: `deleteResolvedEvents` counts days as exactly 24 hours. */
export const DAY_MS = 86_400_000;

/** {@link GetFailedEventsOptions} with defaults applied. */
export interface ResolvedGetFailedEventsOptions {
  readonly projectionName: string | undefined;
  readonly status: DLQStatus;
  readonly limit: number;
}

/** {@link ListDLQEntriesOptions} with defaults applied. */
export interface ResolvedListEntriesOptions {
  readonly projectionName: string | undefined;
  readonly statuses: readonly DLQStatus[];
  readonly ids: readonly string[] | undefined;
  readonly streamId: string | undefined;
  readonly eventType: string | undefined;
  readonly after: DLQEntry | undefined;
  readonly limit: number;
}

/**
 * Applies the defaults of `getFailedEvents` (`status: 'failed'`, `limit: 100`) and validates.
 *
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` (`getFailedEvents.limit`, `.status`,
 *   `.projectionName`) for a limit that is not an integer ≥ 0, an unknown status or a non-string
 *   projection name.
 */
export function resolveGetFailedEventsOptions(
  options: GetFailedEventsOptions | undefined,
): ResolvedGetFailedEventsOptions {
  const o = options ?? {};
  if (typeof o !== 'object') {
    throw new InvalidConfigError('getFailedEvents.options', 'must be an object', o);
  }
  const status = o.status ?? 'failed';
  if (!isDLQStatus(status)) {
    throw new InvalidConfigError('getFailedEvents.status', 'must be a DLQStatus', status);
  }
  return {
    projectionName: optionalString('getFailedEvents.projectionName', o.projectionName),
    status,
    limit: resolveLimit('getFailedEvents.limit', o.limit),
  };
}

/**
 * Applies the defaults of `listEntries` (every unresolved status, `limit: 100`) and validates.
 *
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` (`listEntries.limit`, `.statuses`, `.ids`,
 *   `.after`, …) for a bad limit, an unknown status, non-string ids or filters, or an `after`
 *   cursor that is not a DLQ entry.
 */
export function resolveListEntriesOptions(
  options: ListDLQEntriesOptions | undefined,
): ResolvedListEntriesOptions {
  const o = options ?? {};
  if (typeof o !== 'object') {
    throw new InvalidConfigError('listEntries.options', 'must be an object', o);
  }
  const statuses = o.statuses ?? UNRESOLVED_DLQ_STATUSES;
  if (!Array.isArray(statuses) || !statuses.every(isDLQStatus)) {
    throw new InvalidConfigError('listEntries.statuses', 'must be an array of DLQStatus', statuses);
  }
  const ids = o.ids;
  if (ids !== undefined && (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string'))) {
    throw new InvalidConfigError('listEntries.ids', 'must be an array of strings', ids);
  }
  const after = o.after;
  if (after !== undefined && !isCursor(after)) {
    throw new InvalidConfigError(
      'listEntries.after',
      'must be a DLQ entry (id, streamId, streamPosition, firstFailedAt)',
      after,
    );
  }
  return {
    projectionName: optionalString('listEntries.projectionName', o.projectionName),
    statuses,
    ids,
    streamId: optionalString('listEntries.streamId', o.streamId),
    eventType: optionalString('listEntries.eventType', o.eventType),
    after,
    limit: resolveLimit('listEntries.limit', o.limit),
  };
}

/**
 * Applies the default of `deleteResolvedEvents` (30 days) and validates. Fractions are allowed
 * (`0.5` is twelve hours).
 *
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` (`deleteResolvedEvents.olderThanDays`) unless
 *   it is a finite number ≥ 0.
 */
export function resolveOlderThanDays(olderThanDays: number | undefined): number {
  const days = olderThanDays ?? DEFAULT_RETENTION_DAYS;
  if (typeof days !== 'number' || !Number.isFinite(days) || days < 0) {
    throw new InvalidConfigError(
      'deleteResolvedEvents.olderThanDays',
      'must be a finite number >= 0',
      days,
    );
  }
  return days;
}

function resolveLimit(field: string, limit: number | undefined): number {
  const value = limit ?? DEFAULT_DLQ_QUERY_LIMIT;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidConfigError(field, 'must be an integer >= 0', value);
  }
  return value;
}

function optionalString(field: string, value: unknown): string | undefined {
  if (value !== undefined && typeof value !== 'string') {
    throw new InvalidConfigError(field, 'must be a string', value);
  }
  return value;
}

function isCursor(value: unknown): value is DLQEntry {
  if (typeof value !== 'object' || value === null) return false;
  const { id, streamId, streamPosition, firstFailedAt } = value as Partial<DLQEntry>;
  return (
    typeof id === 'string' &&
    (streamId === null || typeof streamId === 'string') &&
    (streamPosition === null ||
      (typeof streamPosition === 'number' && Number.isFinite(streamPosition))) &&
    firstFailedAt instanceof Date &&
    !Number.isNaN(firstFailedAt.getTime())
  );
}
