/**
 * The JSON-safe, deep-frozen copy of an event payload that a DLQ entry stores.
 *
 * @module
 */
import { safeInstanceOf, safeString } from './internal/safe-string.js';

/** Nesting deeper than this is replaced by a marker (real events are a few levels deep). */
export const MAX_EVENT_DATA_DEPTH = 256;

/** Arrays longer than this (a sparse `new Array(1e9)`, say) are replaced by a marker. */
const MAX_ARRAY_LENGTH = 10_000_000;

/**
 * Every marker that replaces a value JSON cannot hold starts with this text, for example
 * `'[unserializable: bigint 12345678901234567890]'` or `'[unserializable: circular reference]'`.
 */
export const UNSERIALIZABLE_MARKER_PREFIX = '[unserializable: ';

type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** Result of converting one value: `undefined` means "left out", as `JSON.stringify` does. */
type Converted = JsonValue | undefined;

/**
 * Returns a deep-frozen, JSON-safe deep copy of an event payload. Never throws, whatever it is
 * given — the DLQ is the last line of defence, so nothing is rejected:
 *
 * - Where `JSON.stringify` succeeds, the copy equals `JSON.parse(JSON.stringify(value))`
 *   (`toJSON` is honoured, so `Date`s become ISO strings; `undefined`, functions and symbols are
 *   left out of objects and become `null` in arrays; non-finite numbers become `null`).
 * - What `JSON.stringify` would throw on is replaced, in place, by a string starting with
 *   {@link UNSERIALIZABLE_MARKER_PREFIX}: a `bigint` (`[unserializable: bigint 10]`), a circular
 *   reference, a throwing getter or `toJSON`, a revoked proxy, nesting deeper than
 *   {@link MAX_EVENT_DATA_DEPTH}.
 * - A value that is not a plain object (an array, a string, `null`…) is wrapped as `{ value }`.
 *
 * Strings are kept exactly, including `\u0000` and lone surrogates (a PostgreSQL backend, which
 * cannot store those, replaces them with U+FFFD).
 *
 * @example
 * ```ts
 * toJsonSafeEventData({ at: new Date(0), big: 10n, nested: { ok: true } });
 * // { at: '1970-01-01T00:00:00.000Z', big: '[unserializable: bigint 10]', nested: { ok: true } }
 * ```
 */
export function toJsonSafeEventData(value: unknown): Readonly<Record<string, unknown>> {
  let converted: Converted;
  try {
    converted = convert(value, '', new Set<object>(), 0);
  } catch (error) {
    // Only reachable when the runtime itself gives up (for example an array too large to copy).
    converted = marker(`${safeString(error)}`);
  }
  if (typeof converted === 'object' && converted !== null && !Array.isArray(converted)) {
    return converted as JsonObject;
  }
  return Object.freeze({ value: converted === undefined ? null : converted });
}

function marker(reason: string): string {
  return `${UNSERIALIZABLE_MARKER_PREFIX}${reason}]`;
}

function errorReason(what: string, error: unknown): string {
  const message = safeInstanceOf(error, Error) ? (error as Error).message : safeString(error);
  return marker(`${what} threw: ${message}`);
}

function convert(value: unknown, key: string, ancestors: Set<object>, depth: number): Converted {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON has no -0, NaN or Infinity: -0 reads back as 0, the others as null.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'bigint':
      return convertBigInt(value, key, ancestors, depth);
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (ancestors.has(object)) return marker('circular reference');
  if (depth >= MAX_EVENT_DATA_DEPTH)
    return marker(`nested deeper than ${MAX_EVENT_DATA_DEPTH} levels`);

  // JSON.stringify calls toJSON(key) first, then unwraps boxed primitives.
  let toJSON: unknown;
  try {
    toJSON = (object as { toJSON?: unknown }).toJSON;
  } catch (error) {
    return errorReason('toJSON getter', error);
  }
  if (typeof toJSON === 'function') {
    let replaced: unknown;
    try {
      replaced = toJSON.call(object, key);
    } catch (error) {
      return errorReason('toJSON', error);
    }
    if (replaced !== object) {
      ancestors.add(object);
      try {
        return convert(replaced, key, ancestors, depth + 1);
      } finally {
        ancestors.delete(object);
      }
    }
  }
  const unboxed = unbox(object);
  if (unboxed !== object) return convert(unboxed, key, ancestors, depth);

  let isArray: boolean;
  try {
    isArray = Array.isArray(object);
  } catch (error) {
    return errorReason('inspecting the value', error);
  }
  ancestors.add(object);
  try {
    return isArray
      ? convertArray(object as readonly unknown[], ancestors, depth)
      : convertObject(object, ancestors, depth);
  } finally {
    ancestors.delete(object);
  }
}

function convertBigInt(
  value: bigint,
  key: string,
  ancestors: Set<object>,
  depth: number,
): Converted {
  // JSON.stringify honours a BigInt.prototype.toJSON when one is installed.
  const toJSON = (BigInt.prototype as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function' && depth < MAX_EVENT_DATA_DEPTH) {
    try {
      const replaced: unknown = toJSON.call(value, key);
      if (typeof replaced !== 'bigint') return convert(replaced, key, ancestors, depth + 1);
    } catch (error) {
      return errorReason('toJSON', error);
    }
  }
  return marker(`bigint ${value.toString()}`);
}

/** Unwraps boxed primitives (by internal slot, as `JSON.stringify` does); other objects as is. */
function unbox(object: object): unknown {
  let unwrap: ((this: unknown) => unknown) | undefined;
  try {
    unwrap = BOXED_VALUE_OF.get(Object.prototype.toString.call(object));
  } catch {
    return object;
  }
  if (unwrap === undefined) return object;
  try {
    return unwrap.call(object);
  } catch {
    return object; // a spoofed Symbol.toStringTag, not a box
  }
}

const BOXED_VALUE_OF = new Map<string, (this: unknown) => unknown>([
  ['[object Number]', Number.prototype.valueOf as (this: unknown) => unknown],
  ['[object String]', String.prototype.valueOf as (this: unknown) => unknown],
  ['[object Boolean]', Boolean.prototype.valueOf as (this: unknown) => unknown],
  ['[object BigInt]', BigInt.prototype.valueOf as (this: unknown) => unknown],
]);

function convertArray(array: readonly unknown[], ancestors: Set<object>, depth: number): Converted {
  let length: number;
  try {
    length = array.length;
  } catch (error) {
    return errorReason('reading the array length', error);
  }
  if (length > MAX_ARRAY_LENGTH) return marker(`array of ${length} items`);
  const out: JsonValue[] = [];
  for (let i = 0; i < length; i++) {
    let item: unknown;
    try {
      item = array[i];
    } catch (error) {
      out.push(errorReason(`reading index ${i}`, error));
      continue;
    }
    const converted = convert(item, String(i), ancestors, depth + 1);
    out.push(converted === undefined ? null : converted);
  }
  return Object.freeze(out);
}

function convertObject(object: object, ancestors: Set<object>, depth: number): Converted {
  let keys: string[];
  try {
    keys = Object.keys(object);
  } catch (error) {
    return errorReason('listing the keys', error);
  }
  const out: Record<string, JsonValue> = {};
  for (const key of keys) {
    let item: unknown;
    try {
      item = (object as Record<string, unknown>)[key];
    } catch (error) {
      setProperty(out, key, errorReason(`reading "${key}"`, error));
      continue;
    }
    const converted = convert(item, key, ancestors, depth + 1);
    if (converted !== undefined) setProperty(out, key, converted);
  }
  return Object.freeze(out);
}

/** Defines `key` as an own data property, so a `"__proto__"` key stays data (as `JSON.parse` does). */
function setProperty(out: Record<string, JsonValue>, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    out[key] = value;
  }
}
