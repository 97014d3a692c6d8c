/**
 * The lifecycle of a DLQ entry: which status changes each repository operation makes. Every
 * `DLQRepository` implementation follows these rules (the conformance kit checks them).
 *
 * ```text
 *                    markRetrying            markResolved
 *    failed ─────────────────────▶ retrying ─────────────▶ resolved   (terminal)
 *      ▲  ▲                           │
 *      │  └──── addFailedEvent ───────┘  (a redrive failed again)
 *      │ addFailedEvent
 *    parked ── markRetrying ──▶ retrying …   (queued behind an earlier failure of its stream)
 *
 *    failed | retrying | parked ── markDiscarded ──▶ discarded   (terminal)
 *    resolved | discarded ── addFailedEvent ──▶ failed (or parked): reopened
 * ```
 *
 * @module
 */
import { DLQStatus, UNRESOLVED_DLQ_STATUSES } from './dlq-repository.js';

/** Statuses an entry never leaves through `mark*` (only a new `addFailedEvent` reopens it). */
export const SETTLED_DLQ_STATUSES: readonly DLQStatus[] = Object.freeze([
  DLQStatus.RESOLVED,
  DLQStatus.DISCARDED,
]);

/** Every {@link DLQStatus} value. */
export const ALL_DLQ_STATUSES: readonly DLQStatus[] = Object.freeze([
  DLQStatus.FAILED,
  DLQStatus.RETRYING,
  DLQStatus.RESOLVED,
  DLQStatus.PARKED,
  DLQStatus.DISCARDED,
]);

/** True when `value` is one of the {@link DLQStatus} values. */
export function isDLQStatus(value: unknown): value is DLQStatus {
  return typeof value === 'string' && (ALL_DLQ_STATUSES as readonly string[]).includes(value);
}

/** True for `failed`, `retrying` and `parked`: the entry still needs attention and blocks its stream. */
export function isUnresolvedDLQStatus(status: DLQStatus): boolean {
  return UNRESOLVED_DLQ_STATUSES.includes(status);
}

/** `markRetrying` succeeds from these statuses only (`retrying` itself is a claim already held). */
export function canMarkRetrying(status: DLQStatus): boolean {
  return status === DLQStatus.FAILED || status === DLQStatus.PARKED;
}

/** `markResolved` and `markDiscarded` succeed from these statuses only (the unresolved ones). */
export function canSettle(status: DLQStatus): boolean {
  return isUnresolvedDLQStatus(status);
}

/**
 * The status an `addFailedEvent` upsert leaves: `requested` for a new key; for an existing key a
 * `failed` request always gives `failed` (reopening a settled entry), while a `parked` request
 * never demotes an entry that is in play — `failed` stays `failed`, `retrying` stays `retrying` —
 * and parks everything else (`parked`, and settled entries, which are reopened).
 *
 * @example
 * ```ts
 * statusAfterUpsert(null, 'parked'); // 'parked'
 * statusAfterUpsert('failed', 'parked'); // 'failed'
 * statusAfterUpsert('resolved', 'failed'); // 'failed'
 * ```
 */
export function statusAfterUpsert(
  current: DLQStatus | null,
  requested: 'failed' | 'parked',
): DLQStatus {
  if (requested === DLQStatus.FAILED || current === null) return requested;
  if (current === DLQStatus.FAILED || current === DLQStatus.RETRYING) return current;
  return DLQStatus.PARKED;
}
