/**
 * A clock that only moves when told to, for tests of time-dependent DLQ behaviour.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';

/** A controllable clock: pass `now` as a repository's `clock`, move it with `advance`. */
export interface ManualClock {
  /** The current time in epoch milliseconds (a bound function: pass it as `clock`). */
  readonly now: () => number;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Sets the clock to `ms` (it may go backwards). */
  set(ms: number): void;
}

/**
 * Creates a {@link ManualClock} starting at `startMs` (default 2025-01-01T00:00:00Z).
 *
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` for a start, step or time that is not finite,
 *   or a negative step.
 * @example
 * ```ts
 * const clock = createManualClock();
 * const repo = new InMemoryDLQRepository({ clock: clock.now });
 * clock.advance(30 * DAY_MS);
 * ```
 */
export function createManualClock(startMs: number = Date.UTC(2025, 0, 1)): ManualClock {
  let current = checkTime('createManualClock.startMs', startMs);
  return {
    now: () => current,
    advance(ms: number): void {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new InvalidConfigError('ManualClock.advance.ms', 'must be a finite number >= 0', ms);
      }
      current += ms;
    },
    set(ms: number): void {
      current = checkTime('ManualClock.set.ms', ms);
    },
  };
}

function checkTime(field: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidConfigError(field, 'must be a finite number of milliseconds', value);
  }
  return value;
}
