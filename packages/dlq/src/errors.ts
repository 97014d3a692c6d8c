/**
 * The errors of `@es/dlq`. Invalid arguments and options are reported with `@es/core`'s
 * {@link InvalidConfigError} (`ES_INVALID_CONFIG`, naming the field and the rule); the classes here
 * cover failures of DLQ operations themselves.
 *
 * @module
 */
import { EventSourceError, isEventSourceError } from '@es/core';
import type { RedriveReport } from './redrive.js';

/**
 * Base class of the errors raised by DLQ operations (`ES_DLQ`). Subclasses carry their own,
 * more specific code; branch on `code` or use {@link isDLQError}.
 */
export class DLQError extends EventSourceError {
  override readonly name: string = 'DLQError';
  readonly code: `ES_${string}` = 'ES_DLQ';
}

/**
 * A redrive stopped because something other than the redriven handler failed: the DLQ repository
 * threw (listing, claiming, resolving or re-recording an entry), a `filter` threw, or the
 * repository broke the keyset-paging contract. A failing `process` call is never this error: that
 * is the normal failure path, recorded on the entry.
 *
 * Everything finished before the failure is durable and described by {@link RedriveError.report}.
 * When `entryId` is set, that entry may have been left in `retrying` (see the README, "Recover an
 * interrupted redrive").
 */
export class RedriveError extends DLQError {
  override readonly name = 'RedriveError';
  override readonly code = 'ES_DLQ_REDRIVE';
  constructor(
    message: string,
    /** What the run did before it stopped. */
    readonly report: RedriveReport,
    /** The entry being handled when the run stopped, or null. */
    readonly entryId: string | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Which limit a {@link DLQOverflowError} hit (see `DLQLimits`). */
export type DLQOverflowLimit = 'maxEntriesPerProjection' | 'maxEntriesPerStream';

/**
 * `addFailedEvent` refused a new entry because a limit of the repository is reached
 * (`ES_DLQ_OVERFLOW`, Axon's `DeadLetterQueueOverflowException`). Nothing was written. It is an
 * infrastructure condition, not a failure of the event: a subscription keeps the event unprocessed
 * and retries the write with backoff (its checkpoint stays before the event, health shows the
 * error with source `dlq`) until an operator makes room (redrive, resolve, discard) or raises the
 * limit. Never dead-letter, skip or classify it as permanent.
 */
export class DLQOverflowError extends DLQError {
  override readonly name = 'DLQOverflowError';
  override readonly code = 'ES_DLQ_OVERFLOW';
  constructor(
    /** The limit that was reached. */
    readonly limit: DLQOverflowLimit,
    /** Its configured value. */
    readonly max: number,
    /** The projection whose entry was refused. */
    readonly projectionName: string,
    /** The stream, for `maxEntriesPerStream` (null for the projection limit). */
    readonly streamId: string | null,
    /** The refused event. */
    readonly eventId: string,
  ) {
    super(
      limit === 'maxEntriesPerStream'
        ? `DLQ overflow: stream ${streamId} of projection ${projectionName} already has ${max} unresolved entries (maxEntriesPerStream); event ${eventId} not dead-lettered`
        : `DLQ overflow: projection ${projectionName} already has ${max} unresolved entries (maxEntriesPerProjection); event ${eventId} not dead-lettered`,
    );
  }
}

/** True when `error` is a {@link DLQOverflowError}, across duplicated package copies. */
export function isDLQOverflowError(error: unknown): error is DLQOverflowError {
  return isEventSourceError(error) && (error.code as string) === 'ES_DLQ_OVERFLOW';
}

/** True when `error` is a {@link DLQError} (or a subclass), across duplicated package copies. */
export function isDLQError(error: unknown): error is DLQError {
  if (!isEventSourceError(error)) return false;
  const code: string = error.code;
  return code === 'ES_DLQ' || code.startsWith('ES_DLQ_');
}
