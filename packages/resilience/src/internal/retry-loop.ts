/**
 * The retry loop shared by `retryAsync` and `RetryableOperation`, entered only after a first
 * failure (the success path never reaches this module).
 *
 * @internal
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { calculateBackoff } from '../calculate-backoff.js';
import { breakerInternals, type CircuitBreaker } from '../circuit-breaker.js';
import { ErrorClassifier } from '../error-classifier.js';
import { isCircuitBreakerOpenError, RetryError } from '../errors.js';
import type { RetryConfig } from '../retry-config.js';
import type { RetryAttemptInfo, RetryableErrors, SleepFunction } from '../retry-types.js';
import { type CallbackErrorHandler, safeReport } from './report.js';

/** The mutable counters behind `RetryableOperation.stats`. */
export interface MutableRetryStats {
  attempts: number;
  successes: number;
  failures: number;
  totalDelayMs: number;
  rejections: number;
  lastError: unknown;
}

/** Everything one retry run needs, normalised. */
export interface RetryRun<T> {
  readonly operation: () => T | PromiseLike<T>;
  readonly config: RetryConfig;
  readonly isRetryable: (error: unknown) => boolean;
  readonly operationName: string;
  readonly signal: AbortSignal | undefined;
  readonly onRetry: ((info: RetryAttemptInfo) => void) | undefined;
  readonly sleep: SleepFunction;
  readonly random: () => number;
  readonly stats: MutableRetryStats | undefined;
  readonly breaker: CircuitBreaker | undefined;
  readonly onCallbackError: CallbackErrorHandler;
}

/**
 * Continues after call number `calls` failed with `error`: classify, give up or wait and call
 * again, until a call succeeds, an error is not retryable, the attempts are spent, the signal
 * aborts or the circuit refuses.
 */
export async function continueRetrying<T>(
  run: RetryRun<T>,
  error: unknown,
  calls: number,
): Promise<T> {
  const { config, signal, stats, breaker } = run;
  let lastError = error;
  let previousDelayMs: number | undefined;
  for (;;) {
    // An open circuit fails fast: never retried, never wrapped (CONTRACT §9 #7).
    if (isCircuitBreakerOpenError(lastError) || !run.isRetryable(lastError)) throw lastError;
    if (calls > config.maxRetries) throw new RetryError(calls, lastError, run.operationName);
    if (signal?.aborted) throw signal.reason;
    const delayMs = calculateBackoff(calls - 1, config, run.random, previousDelayMs);
    previousDelayMs = delayMs;
    if (stats !== undefined) stats.totalDelayMs += delayMs;
    if (run.onRetry !== undefined) {
      try {
        run.onRetry({
          attempt: calls,
          maxRetries: config.maxRetries,
          delayMs,
          error: lastError,
          operationName: run.operationName,
        });
      } catch (callbackError) {
        safeReport(run.onCallbackError, callbackError, 'onRetry callback');
      }
    }
    if (delayMs > 0) await run.sleep(delayMs, signal);
    if (signal?.aborted) throw signal.reason;

    let generation = 0;
    if (breaker !== undefined) {
      generation = breakerInternals.admit(breaker);
      if (generation < 0) {
        const rejection = breakerInternals.rejection(breaker, run.operationName);
        if (stats !== undefined) {
          stats.rejections++;
          stats.lastError = rejection;
        }
        throw rejection;
      }
    }
    if (stats !== undefined) stats.attempts++;
    calls++;
    let result: T;
    try {
      result = await run.operation();
    } catch (callError) {
      if (breaker !== undefined) breakerInternals.failure(breaker, generation, callError);
      if (stats !== undefined) {
        stats.failures++;
        stats.lastError = callError;
      }
      lastError = callError;
      continue;
    }
    if (breaker !== undefined) breakerInternals.success(breaker, generation);
    if (stats !== undefined) stats.successes++;
    return result;
  }
}

/**
 * Turns `retryableErrors` (classes or a predicate) or, when omitted, the classifier into one
 * predicate.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when `retryableErrors` is neither
 */
export function retryPredicate(
  retryableErrors: RetryableErrors | undefined,
  classifier: ErrorClassifier,
  field: string,
): (error: unknown) => boolean {
  if (retryableErrors === undefined) return (error) => classifier.isRetryable(error);
  if (typeof retryableErrors === 'function') {
    // A single error class passed instead of a list would otherwise be *called* as a predicate.
    if (isClass(retryableErrors)) {
      const only = retryableErrors as unknown as abstract new (...args: never[]) => unknown;
      return (error) => error instanceof only;
    }
    return (error) => Boolean(retryableErrors(error));
  }
  if (!Array.isArray(retryableErrors) || !retryableErrors.every((c) => typeof c === 'function')) {
    throw new InvalidConfigError(
      field,
      'must be an array of error classes or a predicate function',
      retryableErrors,
    );
  }
  const classes = [...retryableErrors];
  if (classes.length === 1) {
    const only = classes[0] as abstract new (...args: never[]) => unknown;
    return (error) => error instanceof only;
  }
  return (error) => {
    for (const errorClass of classes) if (error instanceof errorClass) return true;
    return false;
  };
}

/** Validates and returns a classifier option. */
export function classifierOption(
  value: unknown,
  field: string,
  fallback: ErrorClassifier,
): ErrorClassifier {
  if (value === undefined) return fallback;
  if (value instanceof ErrorClassifier) return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { isRetryable?: unknown }).isRetryable === 'function'
  ) {
    // Structurally compatible classifier (for example from another copy of the package).
    return value as ErrorClassifier;
  }
  throw new InvalidConfigError(field, 'must be an ErrorClassifier', value);
}

function isClass(fn: (...args: never[]) => unknown): boolean {
  const proto = (fn as { prototype?: unknown }).prototype;
  if (fn === (Error as unknown) || (typeof proto === 'object' && proto instanceof Error))
    return true;
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}
