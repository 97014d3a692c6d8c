/**
 * The dead-letter-queue port and its data types.
 *
 * @module
 */
import type { Position } from '@es/core';

/** The lifecycle states of a DLQ entry. */
export const DLQStatus = {
  /** The event failed and waits for a fix and a redrive. */
  FAILED: 'failed',
  /** A redrive is in progress. */
  RETRYING: 'retrying',
  /** The event was processed after all, or an operator settled it. Terminal. */
  RESOLVED: 'resolved',
  /**
   * Never handed to the handler: an earlier event of the same stream is in the DLQ for the same
   * projection (per-stream ordering). Released by the redrive of the entry in front of it.
   */
  PARKED: 'parked',
  /** An operator gave up on it. Terminal. */
  DISCARDED: 'discarded',
} as const;

/** One of the {@link DLQStatus} values. */
export type DLQStatus = (typeof DLQStatus)[keyof typeof DLQStatus];

/** Statuses that still need attention (an entry in one of them blocks its stream). */
export const UNRESOLVED_DLQ_STATUSES: readonly DLQStatus[] = ['failed', 'retrying', 'parked'];

/** One dead-lettered (or parked) event of one projection. */
export interface DLQEntry {
  /** The entry id (a string; numeric on PostgreSQL). */
  readonly id: string;
  readonly eventId: string;
  readonly projectionName: string;
  readonly eventType: string;
  /** The serialized event (JSON-safe). */
  readonly eventData: Readonly<Record<string, unknown>>;
  /** The error message, truncated to {@link MAX_ERROR_MESSAGE_LENGTH}. */
  readonly errorMessage: string;
  /** The stack, truncated to {@link MAX_ERROR_STACKTRACE_LENGTH}; null when unknown. */
  readonly errorStacktrace: string | null;
  readonly retryCount: number;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
  readonly status: DLQStatus;
  readonly resolvedAt: Date | null;
  readonly resolvedBy: string | null;
  /** The stream (`aggregateId`) the event belongs to, when known: drives per-stream parking. */
  readonly streamId: string | null;
  /** The event's version in its stream, when known: redrive order within a stream. */
  readonly streamPosition: number | null;
  /** The event's subscription cursor, when known. */
  readonly position: Position | null;
  /**
   * Until when the current claim (`retrying`) holds: set by {@link DLQRepository.markRetrying}
   * with a `leaseMs`, from the repository's clock. `null` for a claim without expiry and for every
   * entry that is not `retrying`. After this instant another claimer may take the entry over.
   * Optional in the type so that repositories written before leases still compile; the shipped
   * repositories always set it.
   */
  readonly claimedUntil?: Date | null;
}

/** Options of {@link DLQRepository.markRetrying}. */
export interface MarkRetryingOptions {
  /**
   * How long the claim holds, in milliseconds from the repository's clock (an integer from 1 to
   * `MAX_DLQ_LEASE_MS`). Omitted: the claim has no expiry (it holds until the entry is settled or
   * re-recorded, or an operator's `redrive({ includeRetrying: true })` takes it over).
   */
  readonly leaseMs?: number | undefined;
}

/** Longest stored `errorMessage`; longer ones are cut and end with a marker. */
export const MAX_ERROR_MESSAGE_LENGTH = 8_192;
/** Longest stored `errorStacktrace`; longer ones are cut and end with a marker. */
export const MAX_ERROR_STACKTRACE_LENGTH = 32_768;

/** Input of {@link DLQRepository.addFailedEvent}. */
export interface AddFailedEventInput {
  readonly eventId: string;
  readonly projectionName: string;
  readonly eventType: string;
  readonly eventData: Readonly<Record<string, unknown>>;
  /** The failure: an `Error` (message and stack are kept), a string, or anything else (stringified). */
  readonly error: unknown;
  /** Attempts made so far; default 0. */
  readonly retryCount?: number | undefined;
  /** `'failed'` (default) or `'parked'` for an event held behind an earlier failure of its stream. */
  readonly status?: 'failed' | 'parked' | undefined;
  readonly streamId?: string | null | undefined;
  readonly streamPosition?: number | null | undefined;
  readonly position?: Position | null | undefined;
}

/** Query of {@link DLQRepository.getFailedEvents}. */
export interface GetFailedEventsOptions {
  readonly projectionName?: string | undefined;
  /** Default `'failed'`. */
  readonly status?: DLQStatus | undefined;
  /** Default 100. */
  readonly limit?: number | undefined;
}

/** Query of {@link DLQRepository.listEntries}, used by redrive and tooling. */
export interface ListDLQEntriesOptions {
  readonly projectionName?: string | undefined;
  /** Default: every unresolved status (`failed`, `retrying`, `parked`). */
  readonly statuses?: readonly DLQStatus[] | undefined;
  readonly ids?: readonly string[] | undefined;
  readonly streamId?: string | undefined;
  readonly eventType?: string | undefined;
  /**
   * Keyset paging: only entries that sort after this one. Order is stream order:
   * `(streamId, streamPosition, firstFailedAt, id)`, entries without a stream last.
   */
  readonly after?: DLQEntry | undefined;
  /** Default 100. */
  readonly limit?: number | undefined;
}

/** A blocked stream and the first unresolved entry that blocks it (stream order). */
export interface BlockedStreamHead {
  readonly streamId: string;
  /** The id of the stream's first unresolved entry. */
  readonly entryId: string;
  /** Its stream position (null when it was stored without one). */
  readonly streamPosition: number | null;
}

/** Aggregate figures over unresolved entries. */
export interface DLQStats {
  readonly totalFailed: number;
  readonly totalRetrying: number;
  readonly totalParked: number;
  /** Distinct projections with failed or retrying entries. */
  readonly affectedProjections: number;
  /** Oldest `firstFailedAt` among failed and retrying entries. */
  readonly oldestFailure: Date | null;
}

/** Failed + retrying entries of one projection. */
export interface ProjectionFailureCount {
  readonly projectionName: string;
  readonly failureCount: number;
  readonly oldestFailure: Date | null;
  readonly mostRecentFailure: Date | null;
}

/**
 * The DLQ port. `InMemoryDLQRepository` here and `PostgresDLQRepository` in
 * `@es/store-postgres` pass the conformance kit in `@es/dlq/testing`.
 */
export interface DLQRepository {
  /**
   * Upsert on `(eventId, projectionName)`. A new key creates an entry (`status` as given, default
   * `failed`); an existing key updates `retryCount`, `lastFailedAt`, the error fields and the status,
   * keeping `id` and `firstFailedAt`. Returns the entry id. An entry that leaves `retrying` loses
   * its claim (`claimedUntil = null`).
   *
   * A repository configured with overflow limits (`DLQLimits`) throws `DLQOverflowError`
   * (`ES_DLQ_OVERFLOW`) instead of creating a new entry beyond a limit; an upsert of an existing
   * key is never refused.
   */
  addFailedEvent(input: AddFailedEventInput): Promise<string>;
  /** Entries of one status (default `failed`), newest `firstFailedAt` first. Copies. */
  getFailedEvents(options?: GetFailedEventsOptions): Promise<DLQEntry[]>;
  /** One entry, or null. */
  getFailedEventById(id: string): Promise<DLQEntry | null>;
  /**
   * The claim: `failed`/`parked` → `retrying`, or the takeover of a `retrying` entry whose lease
   * expired (`claimedUntil <= now`). One conditional write: of concurrent claimers exactly one
   * wins. Records `claimedUntil = now + leaseMs` (null without a lease). False for an unknown id,
   * a terminal entry, or a `retrying` entry inside its lease or claimed without expiry.
   */
  markRetrying(id: string, options?: MarkRetryingOptions): Promise<boolean>;
  /** Any unresolved status → `resolved`; false for an unknown id or a terminal entry. */
  markResolved(id: string, resolvedBy: string): Promise<boolean>;
  /** Any unresolved status → `discarded`; false for an unknown id or a terminal entry. */
  markDiscarded(id: string, discardedBy: string): Promise<boolean>;
  /** Figures over unresolved entries. */
  getFailureStats(): Promise<DLQStats>;
  /** Failed + retrying entries grouped by projection, most first. */
  getProjectionFailureCounts(): Promise<ProjectionFailureCount[]>;
  /** Deletes `resolved` entries resolved before `now − olderThanDays` days (default 30). */
  deleteResolvedEvents(olderThanDays?: number): Promise<number>;
  /** Entries in stream order, for redrive and tooling (see {@link ListDLQEntriesOptions}). */
  listEntries(options?: ListDLQEntriesOptions): Promise<DLQEntry[]>;
  /** Streams of a projection that have an unresolved entry (they are blocked for per-stream order). */
  getBlockedStreams(projectionName: string): Promise<string[]>;
  /**
   * Optional: each blocked stream of a projection with its first unresolved entry in stream order
   * (what `listEntries({ projectionName, streamId, limit: 1 })` returns first), in one round trip.
   * Consumers fall back to `getBlockedStreams` + one `listEntries` per stream without it.
   */
  getBlockedStreamHeads?(projectionName: string): Promise<BlockedStreamHead[]>;
  /** Number of unresolved entries of a projection, and the oldest `firstFailedAt` among them. */
  getProjectionDepth(projectionName: string): Promise<{ depth: number; oldest: Date | null }>;
}
