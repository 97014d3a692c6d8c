/**
 * Validation helpers shared by the config classes. Each throws `InvalidConfigError` naming the
 * field and the rule it breaks.
 *
 * @internal
 * @module
 */
import { InvalidConfigError } from '@es/core';

/** Largest delay `setTimeout` honours (2^31 - 1 ms); longer delays fire after 1 ms in Node. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Returns `value` when it is an integer `>= min`, else throws `InvalidConfigError`. */
export function integerAtLeast(field: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidConfigError(field, `must be an integer >= ${min}`, value);
  }
  return value;
}

/** Returns `value` when it is a finite number within `[min, max]`, else throws. */
export function finiteInRange(
  field: string,
  value: unknown,
  min: number,
  max: number,
  rule?: string,
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidConfigError(
      field,
      rule ??
        (max === Number.POSITIVE_INFINITY
          ? `must be a finite number >= ${min}`
          : `must be a finite number between ${min} and ${max}`),
      value,
    );
  }
  return value;
}

/** Returns `value` when it is one of `allowed`, else throws. */
export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidConfigError(
      field,
      `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
      value,
    );
  }
  return value as T;
}

/** Returns `value` when it is a function or `undefined`, else throws. */
export function optionalFunction<F>(field: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidConfigError(field, 'must be a function', value);
  return value as F;
}

/** Throws unless `value` is `undefined` or a non-null object (an options bag). */
export function optionsObject(field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new InvalidConfigError(field, 'must be an object', value);
  }
}
