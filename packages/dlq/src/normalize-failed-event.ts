/**
 * Validation and normalisation of `addFailedEvent` input, shared by every DLQ repository so that
 * they store exactly the same thing.
 *
 * @module
 */
import type { Position } from '@es/core';
import { InvalidConfigError } from '@es/core';
import { describeFailure, type FailureDescription } from './describe-failure.js';
import type { AddFailedEventInput } from './dlq-repository.js';
import { toJsonSafeEventData } from './to-json-safe-event-data.js';

/** `addFailedEvent` input as a repository stores it. */
export interface NormalizedFailedEvent extends FailureDescription {
  readonly eventId: string;
  readonly projectionName: string;
  readonly eventType: string;
  /** Deep-frozen JSON-safe copy (see {@link toJsonSafeEventData}). */
  readonly eventData: Readonly<Record<string, unknown>>;
  readonly retryCount: number;
  readonly status: 'failed' | 'parked';
  readonly streamId: string | null;
  readonly streamPosition: number | null;
  readonly position: Position | null;
}

/**
 * Validates the identifying fields of `addFailedEvent` input and normalises the rest. The key and
 * the bookkeeping fields must be right (they are the caller's, not the event's); the payload and
 * the error are never rejected: `eventData` becomes a JSON-safe copy, `error` a truncated
 * message and stack.
 *
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` naming the field (`addFailedEvent.eventId`, …)
 *   when `eventId` or `projectionName` is not a non-empty string, `eventType` not a string,
 *   `retryCount` not an integer ≥ 0, `status` neither `'failed'` nor `'parked'`, `streamId` not a
 *   string, `streamPosition` not an integer ≥ 0, or `position` neither a finite number nor a string.
 * @example
 * ```ts
 * const row = normalizeFailedEvent({ eventId, projectionName: 'tasks', eventType: 'TaskCreated',
 *   eventData: { title: 'x' }, error: new Error('boom') });
 * row.errorMessage; // 'boom'
 * ```
 */
export function normalizeFailedEvent(input: AddFailedEventInput): NormalizedFailedEvent {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidConfigError('addFailedEvent.input', 'must be an object', input);
  }
  const { eventId, projectionName, eventType } = input;
  if (typeof eventId !== 'string' || eventId === '') {
    throw new InvalidConfigError('addFailedEvent.eventId', 'must be a non-empty string', eventId);
  }
  if (typeof projectionName !== 'string' || projectionName === '') {
    throw new InvalidConfigError(
      'addFailedEvent.projectionName',
      'must be a non-empty string',
      projectionName,
    );
  }
  if (typeof eventType !== 'string') {
    throw new InvalidConfigError('addFailedEvent.eventType', 'must be a string', eventType);
  }
  const retryCount = input.retryCount ?? 0;
  if (!Number.isSafeInteger(retryCount) || retryCount < 0) {
    throw new InvalidConfigError(
      'addFailedEvent.retryCount',
      'must be an integer >= 0',
      retryCount,
    );
  }
  const status = input.status ?? 'failed';
  if (status !== 'failed' && status !== 'parked') {
    throw new InvalidConfigError(
      'addFailedEvent.status',
      "must be 'failed' or 'parked'",
      status as unknown,
    );
  }
  const streamId = input.streamId ?? null;
  if (streamId !== null && typeof streamId !== 'string') {
    throw new InvalidConfigError('addFailedEvent.streamId', 'must be a string or null', streamId);
  }
  const streamPosition = input.streamPosition ?? null;
  if (streamPosition !== null && (!Number.isSafeInteger(streamPosition) || streamPosition < 0)) {
    throw new InvalidConfigError(
      'addFailedEvent.streamPosition',
      'must be an integer >= 0 or null',
      streamPosition,
    );
  }
  const position = input.position ?? null;
  if (
    position !== null &&
    typeof position !== 'string' &&
    !(typeof position === 'number' && Number.isFinite(position))
  ) {
    throw new InvalidConfigError(
      'addFailedEvent.position',
      'must be a finite number, a string or null',
      position,
    );
  }
  const { errorMessage, errorStacktrace } = describeFailure(input.error);
  return {
    eventId,
    projectionName,
    eventType,
    eventData: toJsonSafeEventData(input.eventData),
    errorMessage,
    errorStacktrace,
    retryCount,
    status,
    streamId,
    streamPosition,
    position,
  };
}
