/**
 * A time limit shared by several awaited operations (the reads of one health check).
 *
 * @internal
 * @module
 */
import { TimeoutError } from '@es/resilience';

/**
 * One timer for a group of operations: {@link Deadline.race} settles as the operation does, or
 * rejects with a `TimeoutError` once the deadline has passed — whichever comes first. The timer
 * starts in the constructor, does not keep the process alive (`unref`), and must be ended with
 * {@link Deadline.clear}. An operation that loses the race keeps running; its late result or
 * rejection is ignored (never an unhandled rejection).
 *
 * Meant for occasional calls such as health checks — not for a hot path (it allocates a timer,
 * a promise and, on expiry, an error).
 */
export class Deadline {
  /** The time limit, in ms. */
  readonly ms: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly expired: Promise<never>;
  private error: TimeoutError | undefined;

  /**
   * @param ms - the time limit in ms, from now
   * @param operationName - names the operation in the `TimeoutError`
   */
  constructor(ms: number, operationName: string) {
    this.ms = ms;
    this.expired = new Promise<never>((_, reject) => {
      this.timer = setTimeout(() => {
        this.error = new TimeoutError(`${operationName} did not finish within ${ms} ms`, {
          timeoutMs: ms,
          operationName,
        });
        reject(this.error);
      }, ms);
    });
    // Nothing may be racing when the timer fires: never an unhandled rejection.
    this.expired.catch(ignore);
    const timer = this.timer as { unref?: () => void } | undefined;
    if (typeof timer?.unref === 'function') timer.unref();
  }

  /** True once the deadline has passed (and {@link Deadline.clear} was not called before). */
  get passed(): boolean {
    return this.error !== undefined;
  }

  /** Settles as `operation` does, or rejects with this deadline's `TimeoutError` first. */
  race<T>(operation: Promise<T>): Promise<T> {
    if (this.error !== undefined) {
      operation.catch(ignore);
      return Promise.reject(this.error);
    }
    return Promise.race([operation, this.expired]);
  }

  /** True when `error` is this deadline's `TimeoutError`. */
  isTimeout(error: unknown): boolean {
    return error !== undefined && error === this.error;
  }

  /** Stops the timer (idempotent). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function ignore(): void {}
