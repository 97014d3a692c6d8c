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

/** True when `error` is a {@link DLQError} (or a subclass), across duplicated package copies. */
export function isDLQError(error: unknown): error is DLQError {
  if (!isEventSourceError(error)) return false;
  const code: string = error.code;
  return code === 'ES_DLQ' || code.startsWith('ES_DLQ_');
}
