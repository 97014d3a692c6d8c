/**
 * The health report of subscriptions and of the manager.
 *
 * @module
 */
import type { Position } from '@es/core';
import type { CircuitState } from '@es/resilience';
import type { ErrorHandlerHealthStatus } from '../subscription-error-handler.js';
import type { SubscriptionState } from '../subscription-state.js';

/**
 * The overall verdict of a health check.
 * - `healthy`: nothing to do.
 * - `degraded`: working, but worth a look (events in the DLQ, a breaker not closed, retrying an
 *   infrastructure operation).
 * - `unhealthy`: not making progress or losing the fight (state `error`, the infrastructure
 *   breaker open, the error handler unhealthy).
 */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** Where the last error of a subscription came from. */
export type ErrorSource =
  | 'handler'
  | 'read'
  | 'checkpoint'
  | 'dlq'
  | 'start'
  | 'transaction'
  | 'internal';

/** The last error a subscription met. */
export interface SubscriptionLastError {
  /** What failed. */
  readonly source: ErrorSource;
  /** The error's `name`. */
  readonly name: string;
  /** The error's `code` when it has one (for example `'ES_TIMEOUT'`). */
  readonly code: string | null;
  readonly message: string;
  /** When it happened (from the manager's clock). */
  readonly at: Date;
  /** The event being processed, when the error is about one. */
  readonly eventId: string | null;
  /** The error itself. */
  readonly error: unknown;
}

/** What a subscription did with the events it met (since it was created). */
export interface SubscriptionCounts {
  /** Events whose handler succeeded. */
  readonly processed: number;
  /** Events written to the DLQ after failing (status `failed`). */
  readonly deadLettered: number;
  /** Events parked in the DLQ behind an earlier failure of their stream (never handled). */
  readonly parked: number;
  /** Events skipped after failing, with the error recorded (`CONTINUE`, `RETRY_THEN_CONTINUE`, `dlqEnabled: false`). */
  readonly skipped: number;
  /** Handler calls that were retries of a failed call. */
  readonly retries: number;
  /** Handler failures (each failed call, retries included). */
  readonly failures: number;
  /** Handler calls that ran past `processingTimeoutMs`. */
  readonly timeouts: number;
}

/** The health of one subscription. */
export interface SubscriptionHealth {
  readonly subscriptionId: string;
  readonly projectionName: string;
  readonly state: SubscriptionState;
  readonly status: HealthStatus;
  /** `status !== 'unhealthy'`. */
  readonly healthy: boolean;
  /** Why the status is `degraded`. */
  readonly warnings: readonly string[];
  /** Why the status is `unhealthy`. */
  readonly errors: readonly string[];
  /** The cursor: the last event whose fate is recorded, or null before the first. */
  readonly position: Position | null;
  /** The last saved checkpoint, or null when none was saved or loaded. */
  readonly checkpoint: Position | null;
  readonly lag: {
    /**
     * Events between the head of the store (its global position) and the last event this
     * subscription got past; null when the store could not be asked.
     */
    readonly events: number | null;
    /** Age of the oldest event not yet processed (0 when caught up); null when unknown. */
    readonly seconds: number | null;
  };
  /** Handler errors in the last 60 seconds. */
  readonly errorRatePerMinute: number;
  readonly dlq: {
    /** Unresolved DLQ entries of this subscription (failed, retrying, parked); null without a DLQ or when it could not be read. */
    readonly depth: number | null;
    /** `firstFailedAt` of the oldest unresolved entry. */
    readonly oldest: Date | null;
    /** Age of that entry in ms. */
    readonly oldestAgeMs: number | null;
    /** Streams whose events are parked behind a failure (per-stream ordering). */
    readonly blockedStreams: number;
  };
  readonly breakers: {
    /** The breaker around reads, checkpoint writes and DLQ writes of the manager. */
    readonly infrastructure: CircuitState;
    /** The breaker around handler calls; null when disabled. */
    readonly handler: CircuitState | null;
  };
  readonly lastError: SubscriptionLastError | null;
  readonly counts: SubscriptionCounts;
  /** The subscription's `SubscriptionErrorHandler` health. */
  readonly errorHandler: ErrorHandlerHealthStatus;
  readonly checkedAt: Date;
}

/** The health of a manager and all its subscriptions. */
export interface ManagerHealth {
  /** The worst status of the subscriptions (`healthy` with none). */
  readonly status: HealthStatus;
  /** `status !== 'unhealthy'`. */
  readonly healthy: boolean;
  /** True between `start()` and `stop()`. */
  readonly running: boolean;
  readonly subscriptions: readonly SubscriptionHealth[];
  readonly checkedAt: Date;
}
