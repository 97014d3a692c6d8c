/**
 * What a subscription does when its handler fails.
 *
 * @module
 */

/**
 * What a subscription does with an event whose handler failed. The resulting action per error is
 * given by {@link decideErrorAction}:
 *
 * | strategy | retryable error, retries left | retryable error, retries spent | non-retryable error |
 * |---|---|---|---|
 * | `STOP` | stop | stop | stop |
 * | `CONTINUE` | skip | skip | skip |
 * | `RETRY_THEN_CONTINUE` | retry | skip | skip |
 * | `RETRY_THEN_DLQ` (default) | retry | dlq | dlq |
 * | `DLQ_ONLY` | dlq | dlq | dlq |
 *
 * Unlike eventsource-py, where the strategy only gates DLQ writes, the table is applied for real.
 *
 * @example
 * ```ts
 * new ErrorHandlingConfig({ strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ });
 * ```
 */
export const ErrorHandlingStrategy = {
  /** Halt the subscription with its checkpoint before the failing event. */
  STOP: 'stop',
  /** Record the error and move on. */
  CONTINUE: 'continue',
  /** Retry retryable errors with backoff; when the retries are spent (or the error is permanent), record and move on. */
  RETRY_THEN_CONTINUE: 'retry_then_continue',
  /** Retry retryable errors with backoff; when the retries are spent (or the error is permanent), dead-letter the event. */
  RETRY_THEN_DLQ: 'retry_then_dlq',
  /** Dead-letter the event at once, without retrying. */
  DLQ_ONLY: 'dlq_only',
} as const;

/** One of the {@link ErrorHandlingStrategy} values. */
export type ErrorHandlingStrategy =
  (typeof ErrorHandlingStrategy)[keyof typeof ErrorHandlingStrategy];

const STRATEGIES: ReadonlySet<string> = new Set(Object.values(ErrorHandlingStrategy));

/** True when `value` is one of the {@link ErrorHandlingStrategy} values. */
export function isErrorHandlingStrategy(value: unknown): value is ErrorHandlingStrategy {
  return typeof value === 'string' && STRATEGIES.has(value);
}
