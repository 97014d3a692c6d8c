/**
 * Turns whatever a handler threw into the `errorMessage` / `errorStacktrace` pair of a DLQ entry.
 *
 * @module
 */
import { MAX_ERROR_MESSAGE_LENGTH, MAX_ERROR_STACKTRACE_LENGTH } from './dlq-repository.js';
import { safeInstanceOf, safeString } from './internal/safe-string.js';
import { truncateText } from './truncate-text.js';

/** The text form of a failure, as stored in a DLQ entry. */
export interface FailureDescription {
  /** The error's message (its name when the message is empty), or the thrown value as text. */
  readonly errorMessage: string;
  /**
   * `Name: message` and the stack frames, followed by every `cause` (`Caused by: …`) and the
   * members of an `AggregateError`; null when a non-error value was thrown.
   */
  readonly errorStacktrace: string | null;
}

/** How many `cause` links and `AggregateError` members are written out at most. */
const MAX_CAUSE_DEPTH = 8;
const MAX_AGGREGATED_ERRORS = 10;
const FRAMES = '\n    at ';

/**
 * Describes a failure for a DLQ entry. Never throws, whatever was thrown: an `Error` (or an
 * error-like object with a string `message`) keeps its message and its stack, with `Name: message`
 * at the top and the `cause` chain and `AggregateError` members appended; a string is the message
 * itself; anything else becomes `String(value)` (objects whose `toString` throws included). Both
 * texts are cut to {@link MAX_ERROR_MESSAGE_LENGTH} and {@link MAX_ERROR_STACKTRACE_LENGTH} with a
 * visible marker.
 *
 * @example
 * ```ts
 * describeFailure(new TypeError('bad', { cause: new Error('root') }));
 * // { errorMessage: 'bad', errorStacktrace: 'TypeError: bad\n    at …\nCaused by: Error: root\n    at …' }
 * ```
 */
export function describeFailure(error: unknown): FailureDescription {
  try {
    return describe(error);
  } catch {
    // Only reachable with exotic values (for example a proxy whose every trap throws).
    return {
      errorMessage: truncateText(safeString(error), MAX_ERROR_MESSAGE_LENGTH),
      errorStacktrace: null,
    };
  }
}

function describe(error: unknown): FailureDescription {
  if (typeof error === 'string') {
    return { errorMessage: truncateText(error, MAX_ERROR_MESSAGE_LENGTH), errorStacktrace: null };
  }
  const errorLike = asErrorLike(error);
  if (errorLike === null) {
    return {
      errorMessage: truncateText(safeString(error), MAX_ERROR_MESSAGE_LENGTH),
      errorStacktrace: null,
    };
  }
  const message = errorLike.message === '' ? errorLike.name : errorLike.message;
  const parts: string[] = [];
  appendError(parts, error as object, errorLike, new Set<unknown>(), 0);
  return {
    errorMessage: truncateText(message, MAX_ERROR_MESSAGE_LENGTH),
    errorStacktrace: truncateText(parts.join(''), MAX_ERROR_STACKTRACE_LENGTH),
  };
}

interface ErrorLike {
  readonly name: string;
  readonly message: string;
  readonly stack: string | null;
}

function appendError(
  parts: string[],
  error: object,
  errorLike: ErrorLike,
  seen: Set<unknown>,
  depth: number,
): void {
  seen.add(error);
  parts.push(errorText(errorLike));
  const members = readProperty(error, 'errors');
  if (safeInstanceOf(error, AggregateError) && Array.isArray(members)) {
    const shown = Math.min(members.length, MAX_AGGREGATED_ERRORS);
    for (let i = 0; i < shown; i++) {
      parts.push(`\nAggregated error ${i + 1} of ${members.length}: `);
      parts.push(causeText(members[i], seen));
    }
    if (members.length > shown) parts.push(`\n… ${members.length - shown} more aggregated errors`);
  }
  if (!hasOwnOrInherited(error, 'cause')) return;
  const cause = readProperty(error, 'cause');
  if (depth + 1 >= MAX_CAUSE_DEPTH) {
    parts.push('\nCaused by: … (cause chain cut)');
    return;
  }
  if (seen.has(cause)) {
    parts.push('\nCaused by: [circular cause]');
    return;
  }
  const causeLike = asErrorLike(cause);
  parts.push('\nCaused by: ');
  if (causeLike === null) {
    parts.push(typeof cause === 'string' ? cause : safeString(cause));
    return;
  }
  appendError(parts, cause as object, causeLike, seen, depth + 1);
}

function causeText(value: unknown, seen: Set<unknown>): string {
  if (seen.has(value)) return '[circular cause]';
  const errorLike = asErrorLike(value);
  if (errorLike === null) return typeof value === 'string' ? value : safeString(value);
  return errorText(errorLike);
}

/** `Name: message` followed by the stack frames (the stack's own header is replaced). */
function errorText(error: ErrorLike): string {
  const header = error.message === '' ? error.name : `${error.name}: ${error.message}`;
  const stack = error.stack;
  if (stack === null || stack === '') return header;
  if (stack === header || stack.startsWith(`${header}\n`)) return stack;
  const frames = stack.indexOf(FRAMES);
  if (frames >= 0) return header + stack.slice(frames);
  // A custom stack without V8 frames: keep it whole below the header.
  return `${header}\n${stack}`;
}

function asErrorLike(value: unknown): ErrorLike | null {
  if (typeof value !== 'object' || value === null) return null;
  const message = readProperty(value, 'message');
  if (typeof message !== 'string' && !safeInstanceOf(value, Error)) return null;
  const name = readProperty(value, 'name');
  const stack = readProperty(value, 'stack');
  return {
    name: typeof name === 'string' && name !== '' ? name : 'Error',
    message: typeof message === 'string' ? message : safeString(message),
    stack: typeof stack === 'string' ? stack : null,
  };
}

function readProperty(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function hasOwnOrInherited(value: object, key: string): boolean {
  try {
    return key in value;
  } catch {
    return false;
  }
}
