/**
 * {@link ErrorClassifier}: decides whether an error is transient, how severe it is and whether
 * it is worth retrying; and the shared {@link defaultClassifier}.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { ErrorCategory } from './error-category.js';
import { ErrorClassification, type ErrorClassificationOptions } from './error-classification.js';
import { ErrorSeverity } from './error-severity.js';
import { classifyBuiltin } from './internal/builtin-classifications.js';

/** A class whose instances may be thrown (any constructor, abstract or not). */
export type ErrorClass = abstract new (...args: never[]) => unknown;

interface PatternRule {
  /** Lowercased substring, or `undefined` for a regular expression rule. */
  readonly text: string | undefined;
  /** Case-insensitive, non-global copy of the registered expression. */
  readonly regex: RegExp | undefined;
  readonly classification: ErrorClassification;
}

/** Deepest level of `cause` / `AggregateError.errors` nesting the classifier looks into. */
const MAX_NESTING_DEPTH = 10;
/** Most nested errors the classifier examines for one `classify` call. */
const MAX_NESTED_ERRORS = 100;
/** Most distinct "Unclassified error: <type>" results kept for reuse. */
const MAX_UNKNOWN_CACHE = 256;

const unknownCache = new Map<string, ErrorClassification>();

/**
 * Classifies errors into an {@link ErrorClassification} (category, severity, retryable,
 * description).
 *
 * Precedence for one error:
 * 1. an exact-class rule from {@link ErrorClassifier.registerClassification} (the error's own
 *    class only; subclasses do not match);
 * 2. pattern rules from {@link ErrorClassifier.registerPatternRule}, in registration order,
 *    case-insensitive, tested against the message and then the name; the first match wins;
 * 3. code rules from {@link ErrorClassifier.registerCodeRule} (exact `error.code`);
 * 4. the built-in table: `error.code` (Node errno, postgres.js, SQLSTATE exact then class),
 *    DOMException `TimeoutError`, out-of-memory messages, then the built-in classes along the
 *    prototype chain, nearest first;
 * 5. otherwise `unknown / medium / not retryable`.
 *
 * When the error itself matches nothing, its `cause` chain and `AggregateError.errors` are
 * searched breadth-first (nearest first, then in order; at most 10 levels deep and 100 errors,
 * cycle-safe) and the first nested error that matches a rule decides. So a `DrizzleQueryError`
 * wrapping a postgres.js error with SQLSTATE `40001` is transient.
 *
 * Classifying never throws and, for errors matched by the built-in table, allocates nothing.
 *
 * @example
 * ```ts
 * const classifier = new ErrorClassifier();
 * classifier.classify(new ConnectionError('Network timeout')).retryable; // true
 * classifier.registerPatternRule('deadlock', {
 *   category: ErrorCategory.TRANSIENT,
 *   severity: ErrorSeverity.HIGH,
 *   retryable: true,
 *   description: 'Database deadlock detected',
 * });
 * ```
 */
export class ErrorClassifier {
  readonly #exact = new Map<object, ErrorClassification>();
  readonly #patterns: PatternRule[] = [];
  readonly #codes = new Map<string, ErrorClassification>();

  /**
   * Classifies `error` (any thrown value). See the class documentation for the precedence.
   */
  classify(error: unknown): ErrorClassification {
    const own = this.#classifyOne(error);
    if (own !== undefined) return own;
    return this.#classifyNested(error) ?? unknownClassification(error);
  }

  /** `classify(error).retryable`. */
  isRetryable(error: unknown): boolean {
    return this.classify(error).retryable;
  }

  /** True when `classify(error).category` is `'transient'`. */
  isTransient(error: unknown): boolean {
    return this.classify(error).category === ErrorCategory.TRANSIENT;
  }

  /**
   * Classifies every error whose class is exactly `errorClass` (subclasses are not matched; they
   * fall through to the pattern rules and the built-in table). Registering a class again
   * replaces its rule.
   *
   * @returns a function that removes this rule (if it was not replaced since)
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `errorClass` is not a class or the
   *   classification is invalid
   *
   * @example
   * ```ts
   * class TemporaryDatabaseError extends Error {}
   * classifier.registerClassification(TemporaryDatabaseError, {
   *   category: 'transient', severity: 'high', retryable: true,
   *   description: 'Temporary database issue',
   * });
   * ```
   */
  registerClassification(
    errorClass: ErrorClass,
    classification: ErrorClassification | ErrorClassificationOptions,
  ): () => void {
    const proto = (errorClass as { prototype?: unknown } | undefined)?.prototype;
    if (typeof errorClass !== 'function' || typeof proto !== 'object' || proto === null) {
      throw new InvalidConfigError(
        'ErrorClassifier.registerClassification.errorClass',
        'must be a class (a constructor with a prototype)',
        errorClass,
      );
    }
    const rule = ErrorClassification.from(classification);
    this.#exact.set(proto, rule);
    return () => {
      if (this.#exact.get(proto) === rule) this.#exact.delete(proto);
    };
  }

  /**
   * Adds a rule matching errors whose message (or name) contains `pattern` (a string,
   * case-insensitive substring) or matches it (a `RegExp`, always tested case-insensitively;
   * `g`/`y` flags are dropped). Rules are tried in registration order; the first match wins.
   * Pattern rules beat the built-in table, so use them sparingly: server messages may be
   * localised.
   *
   * @returns a function that removes this rule
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `pattern` is an empty string or neither a
   *   string nor a RegExp, or the classification is invalid
   */
  registerPatternRule(
    pattern: string | RegExp,
    classification: ErrorClassification | ErrorClassificationOptions,
  ): () => void {
    let rule: PatternRule;
    const value = ErrorClassification.from(classification);
    if (typeof pattern === 'string' && pattern.length > 0) {
      rule = { text: pattern.toLowerCase(), regex: undefined, classification: value };
    } else if (pattern instanceof RegExp) {
      const flags = pattern.flags.replace(/[gy]/g, '');
      const regex = new RegExp(pattern.source, flags.includes('i') ? flags : `${flags}i`);
      rule = { text: undefined, regex, classification: value };
    } else {
      throw new InvalidConfigError(
        'ErrorClassifier.registerPatternRule.pattern',
        'must be a non-empty string or a RegExp',
        pattern,
      );
    }
    this.#patterns.push(rule);
    return () => {
      const index = this.#patterns.indexOf(rule);
      if (index >= 0) this.#patterns.splice(index, 1);
    };
  }

  /**
   * Classifies every error whose `code` property equals `code` (for example a SQLSTATE such as
   * `'57014'`, a Node errno such as `'ENOTFOUND'`, or a driver code). Code rules are consulted
   * after the pattern rules and before the built-in table, so they override it.
   *
   * @returns a function that removes this rule (if it was not replaced since)
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `code` is not a non-empty string or the
   *   classification is invalid
   */
  registerCodeRule(
    code: string,
    classification: ErrorClassification | ErrorClassificationOptions,
  ): () => void {
    if (typeof code !== 'string' || code.length === 0) {
      throw new InvalidConfigError(
        'ErrorClassifier.registerCodeRule.code',
        'must be a non-empty string',
        code,
      );
    }
    const rule = ErrorClassification.from(classification);
    this.#codes.set(code, rule);
    return () => {
      if (this.#codes.get(code) === rule) this.#codes.delete(code);
    };
  }

  /** Classifies one value without looking at nested errors; `undefined` when nothing matched. */
  #classifyOne(value: unknown): ErrorClassification | undefined {
    if (typeof value === 'string') return this.#matchPatterns(value, '');
    if (typeof value !== 'object' || value === null) return undefined;
    try {
      if (this.#exact.size > 0) {
        const proto = Object.getPrototypeOf(value) as object | null;
        const exact = proto === null ? undefined : this.#exact.get(proto);
        if (exact !== undefined) return exact;
      }
      const record = value as { message?: unknown; name?: unknown; code?: unknown };
      const message = typeof record.message === 'string' ? record.message : '';
      if (this.#patterns.length > 0) {
        const byPattern = this.#matchPatterns(
          message,
          typeof record.name === 'string' ? record.name : '',
        );
        if (byPattern !== undefined) return byPattern;
      }
      const code = record.code;
      if (this.#codes.size > 0 && typeof code === 'string') {
        const byCode = this.#codes.get(code);
        if (byCode !== undefined) return byCode;
      }
      return classifyBuiltin(value, code, message);
    } catch {
      // A hostile value (throwing getters, revoked proxy) is simply not recognised.
      return undefined;
    }
  }

  #matchPatterns(message: string, name: string): ErrorClassification | undefined {
    let lowerMessage: string | undefined;
    let lowerName: string | undefined;
    for (const rule of this.#patterns) {
      if (rule.text !== undefined) {
        lowerMessage ??= message.toLowerCase();
        if (lowerMessage.includes(rule.text)) return rule.classification;
        lowerName ??= name.toLowerCase();
        if (lowerName.includes(rule.text)) return rule.classification;
      } else if (rule.regex !== undefined && (rule.regex.test(message) || rule.regex.test(name))) {
        return rule.classification;
      }
    }
    return undefined;
  }

  /** Breadth-first search through `cause` and `errors`, nearest first. */
  #classifyNested(root: unknown): ErrorClassification | undefined {
    let level = nestedOf(root);
    if (level === undefined) return undefined;
    const seen = new Set<unknown>([root]);
    let examined = 0;
    for (let depth = 1; depth <= MAX_NESTING_DEPTH && level.length > 0; depth++) {
      const next: unknown[] = [];
      for (const node of level) {
        if (seen.has(node)) continue;
        seen.add(node);
        if (++examined > MAX_NESTED_ERRORS) return undefined;
        const found = this.#classifyOne(node);
        if (found !== undefined) return found;
        const children = nestedOf(node);
        if (children !== undefined) next.push(...children);
      }
      level = next;
    }
    return undefined;
  }
}

/** The nested errors of `value` (`cause`, then `errors` of an AggregateError), if any. */
function nestedOf(value: unknown): unknown[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    const record = value as { cause?: unknown; errors?: unknown };
    const cause = record.cause;
    const errors = record.errors;
    const hasCause = cause !== undefined && cause !== null;
    const hasErrors = Array.isArray(errors) && errors.length > 0;
    if (!hasCause && !hasErrors) return undefined;
    const out: unknown[] = hasCause ? [cause] : [];
    if (hasErrors) {
      for (let i = 0; i < errors.length && i < MAX_NESTED_ERRORS; i++) out.push(errors[i]);
    }
    return out;
  } catch {
    return undefined;
  }
}

/** `unknown / medium / not retryable`, described with the error's type name (cached). */
function unknownClassification(error: unknown): ErrorClassification {
  const typeName = typeNameOf(error);
  let cached = unknownCache.get(typeName);
  if (cached === undefined) {
    cached = new ErrorClassification({
      category: ErrorCategory.UNKNOWN,
      severity: ErrorSeverity.MEDIUM,
      retryable: false,
      description: `Unclassified error: ${typeName}`,
    });
    if (unknownCache.size >= MAX_UNKNOWN_CACHE) unknownCache.clear();
    unknownCache.set(typeName, cached);
  }
  return cached;
}

function typeNameOf(error: unknown): string {
  if (error === null) return 'null';
  if (typeof error !== 'object' && typeof error !== 'function') return typeof error;
  try {
    // An explicit `name` (house style: a literal per class) survives minification; the generic
    // 'Error' inherited by an unnamed subclass is less telling than the constructor's name.
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name.length > 0 && name.length <= 100 && name !== 'Error') {
      return name;
    }
    const ctor = (Object.getPrototypeOf(error) as { constructor?: { name?: unknown } } | null)
      ?.constructor?.name;
    if (typeof ctor === 'string' && ctor.length > 0 && ctor.length <= 100) return ctor;
    return typeof name === 'string' && name.length > 0 ? 'Error' : 'Object';
  } catch {
    return 'Object';
  }
}

/**
 * The process-wide classifier used wherever no classifier is passed (`retryAsync`,
 * `RetryableOperation`, and the `@es/subscriptions` error handler). Rules registered on it
 * affect every user of it; create your own `ErrorClassifier` for isolated rules.
 */
export const defaultClassifier: ErrorClassifier = new ErrorClassifier();

/** Returns {@link defaultClassifier} (the eventsource-py `get_default_classifier()`). */
export function getDefaultClassifier(): ErrorClassifier {
  return defaultClassifier;
}

/** `defaultClassifier.classify(error)`. */
export function classifyError(error: unknown): ErrorClassification {
  return defaultClassifier.classify(error);
}
