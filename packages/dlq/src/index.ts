/**
 * `@es/dlq`: the dead-letter queue of `@es` — the repository port, the in-memory repository, the
 * entry lifecycle and the redrive engine. The conformance kit lives in `@es/dlq/testing`.
 *
 * @module
 */

export type { FailureDescription } from './describe-failure.js';
export { describeFailure } from './describe-failure.js';
export {
  ALL_DLQ_STATUSES,
  canMarkRetrying,
  canSettle,
  isDLQStatus,
  isUnresolvedDLQStatus,
  SETTLED_DLQ_STATUSES,
  statusAfterUpsert,
} from './dlq-lifecycle.js';
export type { DLQLimits, ResolvedDLQLimits } from './dlq-limits.js';
export {
  MAX_DLQ_LEASE_MS,
  resolveClaimLease,
  resolveDLQLimits,
  resolveLeaseMs,
} from './dlq-limits.js';
export type {
  ResolvedGetFailedEventsOptions,
  ResolvedListEntriesOptions,
} from './dlq-query-options.js';
export {
  DAY_MS,
  DEFAULT_DLQ_QUERY_LIMIT,
  DEFAULT_RETENTION_DAYS,
  resolveGetFailedEventsOptions,
  resolveListEntriesOptions,
  resolveOlderThanDays,
} from './dlq-query-options.js';
export type {
  AddFailedEventInput,
  BlockedStreamHead,
  DLQEntry,
  DLQRepository,
  DLQStats,
  GetFailedEventsOptions,
  ListDLQEntriesOptions,
  MarkRetryingOptions,
  ProjectionFailureCount,
} from './dlq-repository.js';
export {
  DLQStatus,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_STACKTRACE_LENGTH,
  UNRESOLVED_DLQ_STATUSES,
} from './dlq-repository.js';
export type { DLQOverflowLimit } from './errors.js';
export {
  DLQError,
  DLQOverflowError,
  isDLQError,
  isDLQOverflowError,
  RedriveError,
} from './errors.js';
export type { InMemoryDLQRepositoryOptions } from './in-memory-dlq-repository.js';
export { InMemoryDLQRepository } from './in-memory-dlq-repository.js';
export type { NormalizedFailedEvent } from './normalize-failed-event.js';
export { normalizeFailedEvent } from './normalize-failed-event.js';
export type {
  RedriveCounts,
  RedriveEntryResult,
  RedriveOptions,
  RedriveProcessContext,
  RedriveProgress,
  RedriveReport,
  RedriveSelfSettlement,
} from './redrive.js';
export {
  DEFAULT_REDRIVE_LEASE_MS,
  DEFAULT_REDRIVE_PAGE_SIZE,
  DEFAULT_REDRIVE_REPORT_ENTRIES,
  RedriveOutcome,
  redrive,
} from './redrive.js';
export type { StreamOrderKey } from './stream-order.js';
export {
  compareCodePoints,
  compareEntryIds,
  compareOrderKeys,
  compareStreamOrder,
} from './stream-order.js';
export {
  MAX_EVENT_DATA_DEPTH,
  toJsonSafeEventData,
  UNSERIALIZABLE_MARKER_PREFIX,
} from './to-json-safe-event-data.js';
export { truncateText, truncationMarker } from './truncate-text.js';
