/**
 * The error statistics of a subscription's error handler.
 *
 * @module
 */
import type { ErrorAction } from './error-action.js';

/**
 * A snapshot of a handler's error statistics (a copy: later errors do not change it).
 *
 * Every handled error counts once in `totalErrors`, in `transientErrors` or `permanentErrors`, in
 * `errorsByType`, `errorsByCategory` and `errorsByAction`, so each of those adds up to
 * `totalErrors`. A failed attempt that is retried is an error too (`action: 'retry'`).
 */
export interface ErrorStats {
  /** Every handled error, retried attempts included. */
  readonly totalErrors: number;
  /** Errors classified `transient`. */
  readonly transientErrors: number;
  /** Every error not classified `transient` (permanent, application, infrastructure, unknown). */
  readonly permanentErrors: number;
  /** Errors whose action was `retry` (same as `errorsByAction.retry`). */
  readonly retriedErrors: number;
  /** Successful DLQ writes. */
  readonly dlqCount: number;
  /** DLQ writes that failed (or could not be made: no DLQ repository). */
  readonly dlqFailures: number;
  /** Callbacks that threw or rejected. */
  readonly callbackFailures: number;
  /** Errors in the last 60 seconds (rolling window with 1-second resolution). */
  readonly errorRatePerMinute: number;
  /** Counts by `ErrorInfo.errorType`. */
  readonly errorsByType: Readonly<Record<string, number>>;
  /** Counts by classification category (`'transient'`, `'application'`, …). */
  readonly errorsByCategory: Readonly<Record<string, number>>;
  /** Counts by the action decided. */
  readonly errorsByAction: Readonly<Record<ErrorAction, number>>;
  /** When the first error since creation (or `reset()`) was handled. */
  readonly firstErrorAt: Date | null;
  /** When the latest error was handled. */
  readonly lastErrorAt: Date | null;
}
