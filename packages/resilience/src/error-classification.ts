/**
 * {@link ErrorClassification}: the verdict of the error classifier.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { ERROR_CATEGORIES, ErrorCategory } from './error-category.js';
import { ERROR_SEVERITIES, ErrorSeverity } from './error-severity.js';
import { oneOf, optionsObject } from './internal/validate.js';

/** The options an {@link ErrorClassification} is built from; every field is optional. */
export interface ErrorClassificationOptions {
  /** Default `'unknown'`. */
  readonly category?: ErrorCategory;
  /** Default `'medium'`. */
  readonly severity?: ErrorSeverity;
  /** Whether retrying may succeed. Default `false`. */
  readonly retryable?: boolean;
  /** Human-readable explanation. Default `''`. */
  readonly description?: string;
}

/**
 * An immutable (frozen), validated classification of an error: its category, severity, whether
 * it is worth retrying, and a description. Anywhere an `ErrorClassification` is accepted, a plain
 * object of the same (partial) shape is accepted too.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when a field breaks its rule, naming it
 *   (for example `'ErrorClassification.category'`)
 *
 * @example
 * ```ts
 * new ErrorClassification({
 *   category: ErrorCategory.TRANSIENT,
 *   severity: ErrorSeverity.HIGH,
 *   retryable: true,
 *   description: 'Temporary database issue',
 * });
 * ```
 */
export class ErrorClassification {
  /** What kind of failure it is. */
  readonly category: ErrorCategory;
  /** How bad it is. */
  readonly severity: ErrorSeverity;
  /** Whether retrying may succeed. */
  readonly retryable: boolean;
  /** Human-readable explanation. */
  readonly description: string;

  constructor(options: ErrorClassificationOptions = {}) {
    optionsObject('ErrorClassification', options);
    this.category = oneOf(
      'ErrorClassification.category',
      options.category ?? ErrorCategory.UNKNOWN,
      ERROR_CATEGORIES,
    );
    this.severity = oneOf(
      'ErrorClassification.severity',
      options.severity ?? ErrorSeverity.MEDIUM,
      ERROR_SEVERITIES,
    );
    const retryable = options.retryable ?? false;
    if (typeof retryable !== 'boolean') {
      throw new InvalidConfigError('ErrorClassification.retryable', 'must be a boolean', retryable);
    }
    this.retryable = retryable;
    const description = options.description ?? '';
    if (typeof description !== 'string') {
      throw new InvalidConfigError(
        'ErrorClassification.description',
        'must be a string',
        description,
      );
    }
    this.description = description;
    Object.freeze(this);
  }

  /**
   * Returns `value` itself when it already is an `ErrorClassification`, otherwise builds (and
   * validates) one from the plain object.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when a field breaks its rule
   */
  static from(value: ErrorClassification | ErrorClassificationOptions): ErrorClassification {
    return value instanceof ErrorClassification ? value : new ErrorClassification(value);
  }

  /** True when both classifications have the same four fields (value equality). */
  equals(other: ErrorClassificationOptions): boolean {
    return (
      this.category === other.category &&
      this.severity === other.severity &&
      this.retryable === other.retryable &&
      this.description === other.description
    );
  }

  /** A plain-object copy. */
  toJSON(): Required<ErrorClassificationOptions> {
    return {
      category: this.category,
      severity: this.severity,
      retryable: this.retryable,
      description: this.description,
    };
  }
}
