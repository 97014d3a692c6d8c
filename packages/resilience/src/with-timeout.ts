/**
 * {@link withTimeout}: give up on an operation after a time limit.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { TimeoutError } from './errors.js';
import { MAX_TIMER_DELAY_MS } from './internal/validate.js';

/** Options of {@link withTimeout}. */
export interface WithTimeoutOptions {
  /** An outer signal: aborting it rejects at once with its reason and aborts the operation. */
  readonly signal?: AbortSignal | undefined;
  /** Used in the `TimeoutError`. Default `'operation'`. */
  readonly operationName?: string | undefined;
}

/**
 * Runs `operation` and rejects with {@link TimeoutError} if it has not settled after `ms`
 * milliseconds. The operation receives an `AbortSignal` that is aborted (with the
 * `TimeoutError`, or the outer signal's reason) when the limit passes, so cooperative work can
 * stop. The timer is cleared and the outer listener removed as soon as the result is settled; a
 * late rejection of the operation is absorbed (no unhandled rejection).
 *
 * It creates one timer and one `AbortController` per call, so keep it off hot paths that need no
 * limit.
 *
 * @throws {TimeoutError} ES_TIMEOUT when the limit passes first
 * @throws {InvalidConfigError} ES_INVALID_CONFIG (as a rejection) when `ms` is not a finite
 *   number in `[0, 2147483647]`
 *
 * @example
 * ```ts
 * const rows = await withTimeout((signal) => fetchRows({ signal }), 5_000, { operationName: 'fetch_rows' });
 * ```
 */
export function withTimeout<T>(
  operation: (signal: AbortSignal) => T | PromiseLike<T>,
  ms: number,
  options?: WithTimeoutOptions,
): Promise<T> {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_TIMER_DELAY_MS) {
    return Promise.reject(
      new InvalidConfigError(
        'withTimeout.ms',
        `must be a finite number between 0 and ${MAX_TIMER_DELAY_MS}`,
        ms,
      ),
    );
  }
  const outer = options?.signal;
  const operationName = options?.operationName ?? 'operation';
  return new Promise<T>((resolve, reject) => {
    if (outer?.aborted) {
      reject(outer.reason);
      return;
    }
    const controller = new AbortController();
    let settled = false;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
      return true;
    };
    const onAbort = (): void => {
      if (!finish() || outer === undefined) return;
      controller.abort(outer.reason);
      reject(outer.reason);
    };
    const timer = setTimeout(() => {
      if (!finish()) return;
      const error = new TimeoutError(`${operationName} timed out after ${ms} ms`, {
        timeoutMs: ms,
        operationName,
      });
      controller.abort(error);
      reject(error);
    }, ms);
    outer?.addEventListener('abort', onAbort, { once: true });
    let pending: PromiseLike<T> | T;
    try {
      pending = operation(controller.signal);
    } catch (error) {
      if (finish()) reject(error);
      return;
    }
    Promise.resolve(pending).then(
      (value) => {
        if (finish()) resolve(value);
      },
      (error: unknown) => {
        if (finish()) reject(error);
      },
    );
  });
}
