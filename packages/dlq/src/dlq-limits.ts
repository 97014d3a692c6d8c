/**
 * Claim leases and overflow limits of a DLQ repository: option validation shared by every
 * implementation (the in-memory one here, `PostgresDLQRepository` in `@es/store-postgres`).
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';

/** Longest claim lease accepted (2^31 − 1 ms, about 24.8 days). */
export const MAX_DLQ_LEASE_MS = 2_147_483_647;

/**
 * Optional overflow limits of a DLQ repository (Axon's `maxSequences` / `maxSequenceSize`). A
 * limit counts **unresolved** entries (`failed`, `retrying`, `parked`) of one projection. Adding a
 * *new* entry beyond a limit throws a `DLQOverflowError` (`ES_DLQ_OVERFLOW`) and writes nothing;
 * an upsert of an existing `(eventId, projectionName)` is never refused (it adds no entry — even
 * when it revives a settled one).
 */
export interface DLQLimits {
  /** Most unresolved entries of one projection; default unlimited. Integer ≥ 1. */
  readonly maxEntriesPerProjection?: number | undefined;
  /** Most unresolved entries of one stream of one projection; default unlimited. Integer ≥ 1. */
  readonly maxEntriesPerStream?: number | undefined;
}

/** {@link DLQLimits} validated: `null` means unlimited. */
export interface ResolvedDLQLimits {
  readonly maxEntriesPerProjection: number | null;
  readonly maxEntriesPerStream: number | null;
}

/**
 * Validates the {@link DLQLimits} of a repository's options.
 *
 * @param owner - the repository, for the error field (`'InMemoryDLQRepository'`)
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` (`<owner>.maxEntriesPerProjection`, …) unless
 *   each given limit is a safe integer ≥ 1.
 */
export function resolveDLQLimits(owner: string, limits: DLQLimits): ResolvedDLQLimits {
  return {
    maxEntriesPerProjection: optionalLimit(
      `${owner}.maxEntriesPerProjection`,
      limits.maxEntriesPerProjection,
    ),
    maxEntriesPerStream: optionalLimit(`${owner}.maxEntriesPerStream`, limits.maxEntriesPerStream),
  };
}

function optionalLimit(field: string, value: unknown): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidConfigError(field, 'must be an integer >= 1', value);
  }
  return value;
}

/**
 * Validates the options of `markRetrying` and returns the lease in milliseconds, or `null` for a
 * claim without expiry (no options, or no `leaseMs`).
 *
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` (`markRetrying.options`,
 *   `markRetrying.leaseMs`) for options that are not an object, or a lease that is not an integer
 *   in `1 … MAX_DLQ_LEASE_MS`.
 */
export function resolveClaimLease(options: unknown): number | null {
  if (options === undefined) return null;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidConfigError('markRetrying.options', 'must be an object', options);
  }
  return resolveLeaseMs('markRetrying.leaseMs', (options as { leaseMs?: unknown }).leaseMs);
}

/**
 * Validates a lease: `undefined` or `null` → `null` (no expiry), otherwise an integer in
 * `1 … MAX_DLQ_LEASE_MS`.
 *
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` naming `field`.
 */
export function resolveLeaseMs(field: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 1 ||
    value > MAX_DLQ_LEASE_MS
  ) {
    throw new InvalidConfigError(field, `must be an integer from 1 to ${MAX_DLQ_LEASE_MS}`, value);
  }
  return value;
}
