/**
 * Ordering of subscription cursors.
 *
 * @module
 */
import type { Position } from '@es/core';
import { InvalidConfigError } from '@es/core';

/**
 * Compares two positions of the same kind: numbers numerically, strings lexicographically (by
 * UTF-16 code unit, the order of `<` on strings and of PostgreSQL's `COLLATE "C"` for ASCII).
 * Returns a negative number when `a` is before `b`, 0 when equal, a positive number when after.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when the kinds differ (a number and a string) or
 * a number is NaN.
 * @example
 * ```ts
 * comparePositions(9, 10); // < 0
 * comparePositions('9', '10'); // > 0 (lexicographic)
 * ```
 */
export function comparePositions(a: Position, b: Position): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) {
      throw new InvalidConfigError('position', 'must not be NaN', Number.NaN);
    }
    return a === b ? 0 : a < b ? -1 : 1;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    return a === b ? 0 : a < b ? -1 : 1;
  }
  throw new InvalidConfigError(
    'position',
    `cannot compare a ${typeof a} position with a ${typeof b} one (one kind per subscription)`,
    b,
  );
}

/** True when `value` is a usable position: a finite number ≥ 0 or a string. */
export function isPosition(value: unknown): value is Position {
  return (
    typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value) && value >= 0)
  );
}
