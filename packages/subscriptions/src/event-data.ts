/**
 * The JSON-safe form of an event, as stored in a DLQ entry's `eventData`.
 *
 * @module
 */
import type { DomainEvent } from '@es/core';

/** Turns an event into the JSON-safe object stored as a DLQ entry's `eventData`. */
export type EventSerializer = (event: DomainEvent) => Record<string, unknown>;

/**
 * The default {@link EventSerializer}: a JSON-safe structured copy of the event, equal to
 * `JSON.parse(JSON.stringify(event))` for plain events (so the event registry of `@es/core` can
 * deserialize it), and total for the rest: `Date`s become ISO strings (an invalid date becomes
 * null), `bigint`s decimal strings, `Map`s objects, `Set`s arrays, `toJSON()` is honoured,
 * functions, symbols and `undefined` are left out of objects (null in arrays), non-finite numbers
 * become null, -0 becomes 0 and a circular reference becomes the string `'[Circular]'`. Never throws.
 *
 * @example
 * ```ts
 * toEventData(TaskCreated.create({ aggregateId: 't-1', title: 'x', aggregateVersion: 1 }));
 * // { eventId: '…', eventType: 'TaskCreated', occurredAt: '2025-…Z', title: 'x', … }
 * ```
 */
export function toEventData(event: DomainEvent): Record<string, unknown> {
  const copy = toJsonSafe(event, new WeakSet<object>());
  if (typeof copy === 'object' && copy !== null && !Array.isArray(copy)) {
    return copy as Record<string, unknown>;
  }
  return { value: copy };
}

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function toJsonSafe(value: unknown, seen: WeakSet<object>): JsonValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // `value === 0` folds -0 into 0, as JSON does.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Date) {
    return Number.isNaN(object.getTime()) ? null : object.toISOString();
  }
  if (seen.has(object)) return '[Circular]';
  seen.add(object);
  try {
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      return toJsonSafe(
        callSafely(() => toJSON.call(object)),
        seen,
      );
    }
    if (Array.isArray(object)) return object.map((item) => toJsonSafe(item, seen) ?? null);
    if (object instanceof Set) return [...object].map((item) => toJsonSafe(item, seen) ?? null);
    const out: { [key: string]: JsonValue } = {};
    const entries = (callSafely(() =>
      object instanceof Map ? [...object.entries()] : Object.entries(object),
    ) ?? []) as [unknown, unknown][];
    for (const [key, item] of entries) {
      const safe = toJsonSafe(item, seen);
      if (safe !== undefined) {
        Object.defineProperty(out, String(key), {
          value: safe,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

function callSafely(fn: () => unknown): unknown {
  try {
    return fn();
  } catch {
    return null;
  }
}
