/**
 * {@link retryAsync}: call an async operation again, with backoff, while it fails with a
 * retryable error.
 *
 * @module
 */
import { defaultClassifier, type ErrorClassifier } from './error-classifier.js';
import {
  nameOption,
  randomOption,
  retryConfigOf,
  signalOption,
  sleepOption,
} from './internal/normalize.js';
import { reportCallbackError } from './internal/report.js';
import { classifierOption, continueRetrying, retryPredicate } from './internal/retry-loop.js';
import { optionalFunction } from './internal/validate.js';
import type { RetryConfig, RetryConfigOptions } from './retry-config.js';
import type { RetryAttemptInfo, RetryableErrors, SleepFunction } from './retry-types.js';

/** Options of {@link retryAsync}. */
export interface RetryOptions {
  /** Attempts and backoff: a `RetryConfig` or a plain partial object. Default `new RetryConfig()`. */
  readonly config?: RetryConfig | RetryConfigOptions | undefined;
  /**
   * Which errors to retry: error classes (`instanceof`) or a predicate. When omitted, the
   * `classifier` decides (`classifier.isRetryable(error)`).
   */
  readonly retryableErrors?: RetryableErrors | undefined;
  /** Name used in `RetryError` and `onRetry`. Default `'operation'`. */
  readonly operationName?: string | undefined;
  /**
   * Cancels the retry loop: an already-aborted signal rejects before the first call; an abort
   * during a wait rejects at once with `signal.reason`. (A running call is not interrupted; pass
   * the signal to the operation yourself for that.)
   */
  readonly signal?: AbortSignal | undefined;
  /** Decides retryability when `retryableErrors` is omitted. Default `defaultClassifier`. */
  readonly classifier?: ErrorClassifier | undefined;
  /** Called before each wait. A throwing callback is reported, never breaks the loop. */
  readonly onRetry?: ((info: RetryAttemptInfo) => void) | undefined;
  /** The wait between attempts. Default: an abortable `setTimeout`. */
  readonly sleep?: SleepFunction | undefined;
  /** Uniform random source in `[0, 1)` for jitter. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
}

/**
 * Calls `operation` until it succeeds, at most `config.maxRetries + 1` times, waiting
 * `calculateBackoff(n, config)` between calls.
 *
 * - A non-retryable error is rethrown unchanged at once.
 * - When every attempt failed with a retryable error: {@link RetryError} with `attempts`,
 *   `lastError` and `cause = lastError`.
 * - A `CircuitBreakerOpenError` is never retried (it is rethrown unchanged).
 * - An aborted `signal` rejects with `signal.reason` (before the first call, or at once while
 *   waiting). No timer or listener is left behind.
 *
 * The success path allocates no timer, signal, error or closure: options are only read when a
 * call fails (except `config`, validated up front, and `signal`).
 *
 * @throws {RetryError} ES_RETRY_EXHAUSTED when every allowed call failed with a retryable error
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when an option is invalid
 *
 * @example
 * ```ts
 * await retryAsync(
 *   async () => {
 *     const task = await repo.load(taskId);
 *     task.complete(userId);
 *     await repo.save(task);
 *   },
 *   {
 *     config: { maxRetries: 5, initialDelayMs: 100, maxDelayMs: 2000 },
 *     retryableErrors: [OptimisticLockError],
 *     operationName: 'complete_task',
 *   },
 * );
 * ```
 */
export async function retryAsync<T>(
  operation: () => T | PromiseLike<T>,
  options?: RetryOptions,
): Promise<T> {
  if (options !== undefined) {
    const config = options.config;
    if (config !== undefined) retryConfigOf(config); // bad config fails now, not in an outage
    const signal = options.signal;
    if (signal?.aborted) throw signal.reason;
  }
  try {
    return await operation();
  } catch (error) {
    return continueRetrying(
      {
        operation,
        config: retryConfigOf(options?.config),
        isRetryable: retryPredicate(
          options?.retryableErrors,
          classifierOption(options?.classifier, 'retryAsync.classifier', defaultClassifier),
          'retryAsync.retryableErrors',
        ),
        operationName: nameOption(options?.operationName, 'retryAsync.operationName', 'operation'),
        signal: signalOption(options?.signal, 'retryAsync.signal'),
        onRetry: optionalFunction('retryAsync.onRetry', options?.onRetry),
        sleep: sleepOption(options?.sleep, 'retryAsync.sleep'),
        random: randomOption(options?.random, 'retryAsync.random'),
        stats: undefined,
        breaker: undefined,
        onCallbackError: reportCallbackError,
      },
      error,
      1,
    );
  }
}
