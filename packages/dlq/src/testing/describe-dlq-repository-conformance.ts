/**
 * The shared conformance suite every `DLQRepository` implementation must pass.
 *
 * @module
 */
import { afterEach, beforeEach, describe } from 'vitest';
import { describeAddFailedEvent } from './conformance-add.js';
import { describeClaimsAndLimits } from './conformance-claims.js';
import {
  createKitContext,
  type DLQConformanceFactory,
  type DLQConformanceSubject,
  type KitContext,
} from './conformance-context.js';
import { describeHostileInputs } from './conformance-hostile.js';
import { describeLifecycle } from './conformance-lifecycle.js';
import { describeListing } from './conformance-listing.js';
import { describeQueries } from './conformance-queries.js';
import { describeRedrive } from './conformance-redrive.js';
import { describeStatsAndCleanup } from './conformance-stats.js';

/** Options of {@link describeDLQRepositoryConformance}. */
export interface DLQConformanceOptions {
  /** Per-test timeout in milliseconds; default 30 000 (database backends, large payloads). */
  readonly timeoutMs?: number | undefined;
}

/**
 * Registers the DLQ repository conformance suite (vitest) for one implementation: every point of
 * the contract (upsert, statuses and transitions, queries and their order, copies not live state,
 * statistics, retention, stream-ordered keyset listing, blocked streams, depth, hostile input) and
 * the redrive engine running on it.
 *
 * `factory` is called before each test and must return an **empty** repository; `cleanup` runs
 * after it. Time: when the factory returns a `clock` whose `advance(ms)` moves the repository's
 * "now" by exactly `ms`, the kit also checks exact instants (the retention cutoff, tie-breaking on
 * equal timestamps). Without one (a database whose clock is `now()`), it lets a few real
 * milliseconds pass where it needs a later timestamp and checks relative order only; the tests
 * that need exact instants are skipped.
 *
 * Claim leases (`markRetrying(id, { leaseMs })`) are checked on every subject (exact instants on a
 * controlled clock, a 200 ms real lease otherwise); the overflow limits only when the factory
 * supplies `withLimits` (a repository on the same storage with the given limits).
 *
 * Stores that cannot hold `\u0000` or lone surrogates in text (PostgreSQL) may replace them with
 * U+FFFD; everything else must round-trip exactly.
 *
 * @example
 * ```ts
 * import { InMemoryDLQRepository } from '@es/dlq';
 * import { createManualClock, describeDLQRepositoryConformance } from '@es/dlq/testing';
 *
 * describeDLQRepositoryConformance('InMemoryDLQRepository', async () => {
 *   const clock = createManualClock();
 *   return { repo: new InMemoryDLQRepository({ clock: clock.now }), clock };
 * });
 * ```
 */
export function describeDLQRepositoryConformance(
  name: string,
  factory: DLQConformanceFactory,
  options: DLQConformanceOptions = {},
): void {
  const timeout = options.timeoutMs ?? 30_000;
  describe(`DLQRepository conformance: ${name}`, () => {
    let subject: DLQConformanceSubject | undefined;
    let context: KitContext | undefined;
    beforeEach(async () => {
      subject = await factory();
      context = createKitContext(subject);
    }, timeout);
    afterEach(async () => {
      const cleanup = subject?.cleanup;
      subject = undefined;
      context = undefined;
      await cleanup?.();
    }, timeout);
    const ctx = (): KitContext => {
      if (context === undefined) throw new Error('the DLQ conformance factory has not run');
      return context;
    };
    describeAddFailedEvent(ctx, timeout);
    describeQueries(ctx, timeout);
    describeLifecycle(ctx, timeout);
    describeStatsAndCleanup(ctx, timeout);
    describeListing(ctx, timeout);
    describeHostileInputs(ctx, timeout);
    describeRedrive(ctx, timeout);
    describeClaimsAndLimits(ctx, timeout);
  });
}
