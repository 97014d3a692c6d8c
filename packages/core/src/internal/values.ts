/**
 * Value helpers shared by event creation, revival and serialization: plain-object checks,
 * deep copy-and-freeze, and a JSON projection identical to `JSON.parse(JSON.stringify(value))`.
 *
 * @internal
 * @module
 */

/** A JSON value as produced by `JSON.parse`. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

const objectPrototype = Object.prototype;

/** True for `{}`-style objects (prototype `Object.prototype` or `null`), false for arrays, dates, maps… */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === objectPrototype || proto === null;
}

/** Assigns `target[key] = value` without ever touching the prototype (`__proto__` keys stay data). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/** Thrown by {@link deepFreezeCopy} and {@link toJsonValue} for cyclic structures. */
export class CyclicValueError extends Error {}

/** Thrown by {@link toJsonValue} for values JSON cannot carry (`bigint`). */
export class UnserializableValueError extends Error {}

/**
 * A deep, frozen copy of plain objects and arrays; `Date`s are copied; primitives are returned as
 * they are; other objects (class instances, maps, typed arrays) are kept by reference because they
 * cannot be copied generically.
 *
 * @throws {CyclicValueError} for a cyclic structure.
 */
export function deepFreezeCopy(value: unknown, ancestors: unknown[] = []): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) {
    if (ancestors.includes(value)) throw new CyclicValueError('cyclic array');
    ancestors.push(value);
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = deepFreezeCopy(value[i], ancestors);
    ancestors.pop();
    return Object.freeze(copy);
  }
  if (!isPlainObject(value)) return value;
  if (ancestors.includes(value)) throw new CyclicValueError('cyclic object');
  ancestors.push(value);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(copy, key, deepFreezeCopy(value[key], ancestors));
  ancestors.pop();
  return Object.freeze(copy);
}

interface WithToJson {
  toJSON(key: string): unknown;
}

function hasToJson(value: object | bigint): value is (object | bigint) & WithToJson {
  return typeof (value as Partial<WithToJson>).toJSON === 'function';
}

/**
 * The JSON projection of `value`, equal to `JSON.parse(JSON.stringify(value))` (for the property
 * `key` of its holder): `toJSON` is honoured (dates become ISO strings), non-finite numbers become
 * `null`, `undefined`/functions/symbols are dropped from objects and become `null` in arrays.
 * Returns `undefined` when JSON would omit the value.
 *
 * @throws {UnserializableValueError} for a `bigint`.
 * @throws {CyclicValueError} for a cyclic structure.
 */
export function toJsonValue(value: unknown, key = '', ancestors: unknown[] = []): unknown {
  const type = typeof value;
  if ((type === 'object' && value !== null) || type === 'bigint' || type === 'function') {
    if (hasToJson(value as object)) value = (value as WithToJson).toJSON(key);
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'bigint':
      throw new UnserializableValueError(`a bigint at ${key || 'the root'} cannot be serialized`);
    case 'object':
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (value instanceof Number) return toJsonValue(Number(value));
  if (value instanceof String) return String(value);
  if (value instanceof Boolean) return value.valueOf();
  if (ancestors.includes(value))
    throw new CyclicValueError(`cyclic structure at ${key || 'the root'}`);
  ancestors.push(value);
  let out: unknown;
  if (Array.isArray(value)) {
    const arr = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = toJsonValue(value[i], String(i), ancestors);
      arr[i] = item === undefined ? null : item;
    }
    out = arr;
  } else {
    const obj: Record<string, unknown> = {};
    const source = value as Record<string, unknown>;
    for (const k of Object.keys(source)) {
      const item = toJsonValue(source[k], k, ancestors);
      if (item !== undefined) setOwn(obj, k, item);
    }
    out = obj;
  }
  ancestors.pop();
  return out;
}

/** A short description of a value's kind for error messages (`'null'`, `'array'`, `'string'`…). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'Date';
  return typeof value;
}
