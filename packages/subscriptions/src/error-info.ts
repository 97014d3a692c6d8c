/**
 * The record of one handled error.
 *
 * @module
 */
import type { Position } from '@es/core';
import type { ErrorClassification } from '@es/resilience';
import type { ErrorAction } from './error-action.js';

/**
 * What `SubscriptionErrorHandler.handleError` learned and decided about one failure. Frozen; the
 * same object is passed to every callback and kept in `recentErrors`.
 */
export interface ErrorInfo {
  /** The failing event's id; a fresh UUID when the failure had no event. */
  readonly eventId: string;
  /** The failing event's type, or `'Unknown'` when the failure had no event. */
  readonly eventType: string;
  /** The stored event's subscription cursor, or null when no stored event was given. */
  readonly position: Position | null;
  /** The error's class name (`error.name`; for a non-Error value, its `typeof`). */
  readonly errorType: string;
  /** The error's message (for a non-Error value, its string form). */
  readonly errorMessage: string;
  /** The error's stack, or null when it has none. */
  readonly errorStacktrace: string | null;
  /** How the classifier sees the error (category, severity, retryable). */
  readonly classification: ErrorClassification;
  /** When the error was handled (from the handler's clock). */
  readonly timestamp: Date;
  /** The handler's subscription. */
  readonly subscriptionName: string;
  /** Retries already made for this event when it failed (0 on its first failure). */
  readonly retryCount: number;
  /** True when the event was written to the DLQ by this call. */
  readonly sentToDlq: boolean;
  /** The DLQ entry id when {@link ErrorInfo.sentToDlq}, else null. */
  readonly dlqId: string | null;
  /** What the caller must do next: `'retry' | 'dlq' | 'skip' | 'stop'`. */
  readonly action: ErrorAction;
  /** The original error, unchanged. */
  readonly error: unknown;
  /**
   * Present only when the action was `dlq` and the DLQ write failed (or no DLQ repository was
   * configured): the reason. The event is then *not* in the DLQ; the caller must not move past it.
   */
  readonly dlqError?: unknown;
}
