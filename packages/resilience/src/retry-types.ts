/**
 * Types shared by `retryAsync` and `RetryableOperation`.
 *
 * @module
 */
import type { ErrorClass } from './error-classifier.js';

/**
 * Which errors are worth another attempt: a list of error classes (matched with `instanceof`,
 * so subclasses count) or a predicate. When omitted, the classifier decides (`isRetryable`).
 */
export type RetryableErrors = readonly ErrorClass[] | ((error: unknown) => boolean);

/**
 * Waits `ms` milliseconds; should reject with `signal.reason` when `signal` aborts. Injectable
 * for tests (the default uses `setTimeout`, so `vi.useFakeTimers()` controls it).
 */
export type SleepFunction = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Passed to `onRetry` before each wait. */
export interface RetryAttemptInfo {
  /** The 1-based number of the call that just failed. */
  readonly attempt: number;
  /** The configured `maxRetries` (so at most `maxRetries + 1` calls). */
  readonly maxRetries: number;
  /** How long the retry loop waits now, in ms. */
  readonly delayMs: number;
  /** The error of the failed call. */
  readonly error: unknown;
  /** The operation's name. */
  readonly operationName: string;
}
