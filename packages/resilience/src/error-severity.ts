/**
 * {@link ErrorSeverity} and its ordering helpers.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';

/**
 * How bad an error is, on the ordered scale `low < medium < high < critical`. Compare with
 * {@link compareSeverity} or {@link severityAtLeast}, never with `<` on the strings (that is
 * alphabetical, the eventsource-py bug where `critical` never reached a `high` threshold).
 */
export const ErrorSeverity = {
  LOW: 'low',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
} as const;

/** One of the {@link ErrorSeverity} values. */
export type ErrorSeverity = (typeof ErrorSeverity)[keyof typeof ErrorSeverity];

/** Every {@link ErrorSeverity} value, from lowest to highest. */
export const ERROR_SEVERITIES: readonly ErrorSeverity[] = Object.freeze([
  ErrorSeverity.LOW,
  ErrorSeverity.MEDIUM,
  ErrorSeverity.HIGH,
  ErrorSeverity.CRITICAL,
]);

const RANK: Readonly<Record<ErrorSeverity, number>> = Object.freeze({
  low: 0,
  medium: 1,
  high: 2,
  critical: 3,
});

/**
 * The position of `severity` on the scale: low 0, medium 1, high 2, critical 3.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when `severity` is not an {@link ErrorSeverity}
 */
export function severityRank(severity: ErrorSeverity): number {
  const rank = Object.hasOwn(RANK, severity) ? RANK[severity] : undefined;
  if (rank === undefined) {
    throw new InvalidConfigError(
      'ErrorSeverity',
      `must be one of ${ERROR_SEVERITIES.map((s) => `'${s}'`).join(', ')}`,
      severity,
    );
  }
  return rank;
}

/**
 * Orders two severities: negative when `a < b`, 0 when equal, positive when `a > b` (usable as
 * an `Array.prototype.sort` comparator).
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when either value is not an {@link ErrorSeverity}
 *
 * @example
 * ```ts
 * compareSeverity('critical', 'high') > 0; // true
 * ```
 */
export function compareSeverity(a: ErrorSeverity, b: ErrorSeverity): number {
  return severityRank(a) - severityRank(b);
}

/**
 * True when `severity` is at or above `threshold` on the ordered scale.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when either value is not an {@link ErrorSeverity}
 *
 * @example
 * ```ts
 * severityAtLeast('critical', ErrorSeverity.HIGH); // true
 * severityAtLeast('medium', ErrorSeverity.HIGH); // false
 * ```
 */
export function severityAtLeast(severity: ErrorSeverity, threshold: ErrorSeverity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}
