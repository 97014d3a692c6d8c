/**
 * The event registry: event types by name, and serialization of events to and from JSON.
 *
 * @module
 */
import type { DomainEvent } from './domain-event.js';
import {
  DuplicateEventTypeError,
  EventTypeNotFoundError,
  InvalidConfigError,
  SerializationError,
} from './errors.js';
import type { AnyEventDefinition, EventDefinition } from './event-definition.js';
import { reviveHandedOver } from './internal/event-builder.js';
import type { JsonValue } from './internal/values.js';
import {
  CyclicValueError,
  kindOf,
  toJsonValue,
  UnserializableValueError,
} from './internal/values.js';

export type { JsonValue } from './internal/values.js';

/**
 * The JSON-safe form of an event, as returned by {@link EventRegistry.serialize}: the envelope
 * (with `occurredAt` as an ISO string) and the payload fields side by side. It equals
 * `JSON.parse(JSON.stringify(event))`.
 */
export interface SerializedEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly eventVersion: number;
  /** ISO 8601. */
  readonly occurredAt: string;
  readonly aggregateId: string;
  readonly aggregateType: string;
  readonly aggregateVersion: number;
  readonly tenantId?: string;
  readonly actorId?: string;
  readonly correlationId: string;
  readonly causationId?: string;
  readonly metadata: { readonly [key: string]: JsonValue };
  /** Payload fields. */
  readonly [field: string]: JsonValue | undefined;
}

/**
 * Holds event definitions by type name and turns events into JSON-safe objects and back.
 *
 * Registering the same definition twice is a no-op; another definition under a taken name is an
 * error. Stores use {@link EventRegistry.deserialize} for every event they read, so it validates
 * everything and never returns a half-built event.
 *
 * @example
 * ```ts
 * const registry = new EventRegistry();
 * const TaskCreated = defineEvent('TaskCreated', { aggregateType: 'Task', registry });
 * const json = JSON.stringify(registry.serialize(TaskCreated.create({ aggregateId: 't-1' })));
 * const event = registry.deserialize(json); // occurredAt is a Date again
 * ```
 */
export class EventRegistry {
  readonly #types = new Map<string, AnyEventDefinition>();

  /**
   * Registers a definition under its `eventType` and returns it.
   *
   * @throws {DuplicateEventTypeError} ES_DUPLICATE_EVENT_TYPE when another definition holds the name.
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `definition` is not an event definition.
   */
  register<D extends EventDefinition<string, object, object>>(definition: D): D {
    if (
      typeof definition !== 'object' ||
      definition === null ||
      typeof definition.eventType !== 'string' ||
      definition.eventType.length === 0 ||
      typeof definition.revive !== 'function'
    ) {
      throw new InvalidConfigError(
        'EventRegistry.register.definition',
        'must be an event definition (from defineEvent)',
        definition,
      );
    }
    const existing = this.#types.get(definition.eventType);
    if (existing === undefined) {
      this.#types.set(definition.eventType, definition);
    } else if (existing !== definition) {
      throw new DuplicateEventTypeError(definition.eventType);
    }
    return definition;
  }

  /**
   * The definition registered under `eventType`.
   *
   * @throws {EventTypeNotFoundError} ES_EVENT_TYPE_NOT_FOUND when none is.
   */
  get(eventType: string): AnyEventDefinition {
    const definition = this.#types.get(eventType);
    if (definition === undefined) throw new EventTypeNotFoundError(eventType, this.listTypes());
    return definition;
  }

  /** The definition registered under `eventType`, or `null`. */
  getOrNull(eventType: string): AnyEventDefinition | null {
    return this.#types.get(eventType) ?? null;
  }

  /** True when `eventType` is registered. */
  has(eventType: string): boolean {
    return this.#types.has(eventType);
  }

  /** The registered type names, sorted. */
  listTypes(): string[] {
    return [...this.#types.keys()].sort();
  }

  /** Removes a type; returns whether it was registered. */
  unregister(eventType: string): boolean {
    return this.#types.delete(eventType);
  }

  /** Removes every type. */
  clear(): void {
    this.#types.clear();
  }

  /** The number of registered types. */
  get size(): number {
    return this.#types.size;
  }

  /**
   * The JSON-safe form of `event`: equal to `JSON.parse(JSON.stringify(event))` (dates become ISO
   * strings, `undefined` fields are dropped, non-finite numbers become `null`).
   *
   * @throws {EventTypeNotFoundError} ES_EVENT_TYPE_NOT_FOUND when the type is not registered.
   * @throws {SerializationError} ES_SERIALIZATION when `event` is not an event, its `occurredAt` is
   * not a valid date, or it holds a `bigint` or a cycle.
   */
  serialize(event: DomainEvent): SerializedEvent {
    if (typeof event !== 'object' || event === null) {
      throw new SerializationError(`Cannot serialize ${kindOf(event)}: not an event`, undefined, [
        `event: must be an object (got ${kindOf(event)})`,
      ]);
    }
    const eventType: unknown = event.eventType;
    if (typeof eventType !== 'string' || eventType.length === 0) {
      throw new SerializationError('Cannot serialize an event without eventType', undefined, [
        'eventType: must be a non-empty string',
      ]);
    }
    if (!this.#types.has(eventType)) throw new EventTypeNotFoundError(eventType, this.listTypes());
    const occurredAt: unknown = event.occurredAt;
    if (!(occurredAt instanceof Date) || Number.isNaN(occurredAt.getTime())) {
      throw new SerializationError(`Cannot serialize ${eventType}: invalid occurredAt`, eventType, [
        `occurredAt: must be a valid Date (got ${kindOf(occurredAt)})`,
      ]);
    }
    try {
      return toJsonValue(event) as SerializedEvent;
    } catch (error) {
      if (error instanceof UnserializableValueError || error instanceof CyclicValueError) {
        throw new SerializationError(
          `Cannot serialize ${eventType}: ${error.message}`,
          eventType,
          [error.message],
          { cause: error },
        );
      }
      throw error;
    }
  }

  /**
   * Rebuilds an event from its serialized form: the object {@link EventRegistry.serialize}
   * returned, its JSON text, or `JSON.parse(JSON.stringify(event))`. Dates are revived and the
   * payload is validated by the definition's schema.
   *
   * @throws {SerializationError} ES_SERIALIZATION on malformed JSON, a value that is not an object,
   * a missing `eventType`, a bad envelope (missing or invalid `eventId`, `aggregateId`,
   * `aggregateVersion` < 1 or not an integer, invalid date…) or a payload the schema rejects;
   * `eventType` and `issues` say what was wrong.
   * @throws {EventTypeNotFoundError} ES_EVENT_TYPE_NOT_FOUND when the type is not registered.
   */
  deserialize(value: unknown): DomainEvent {
    if (typeof value === 'string') return this.#revive(parseEventJson(value), true);
    return this.#revive(value, false);
  }

  /**
   * {@link EventRegistry.deserialize} for a value the caller hands over: one nobody else holds or
   * will touch again, typically fresh from `JSON.parse` or a database driver's JSON parser (event
   * stores use it for the rows they read). It validates exactly like `deserialize` and throws the
   * same errors, but instead of building a deep-frozen copy of the payload and metadata it freezes
   * the given objects and arrays in place and makes them part of the event: one new object (the
   * event) instead of a copy of everything. A payload with a schema is still copied from the
   * schema's output. Never pass a live object other code may still mutate or expect mutable (use
   * `deserialize` for those); a JSON string is parsed and handled as owned either way.
   *
   * @throws {SerializationError} ES_SERIALIZATION on malformed JSON, a value that is not an object,
   * a missing `eventType`, a bad envelope or a payload the schema rejects (as `deserialize`).
   * @throws {EventTypeNotFoundError} ES_EVENT_TYPE_NOT_FOUND when the type is not registered.
   *
   * @example
   * ```ts
   * const event = registry.deserializeOwned(JSON.parse(row.data));
   * ```
   */
  deserializeOwned(value: unknown): DomainEvent {
    return this.#revive(typeof value === 'string' ? parseEventJson(value) : value, true);
  }

  #revive(data: unknown, owned: boolean): DomainEvent {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new SerializationError(
        `A serialized event must be an object (got ${kindOf(data)})`,
        undefined,
        [`event: must be an object (got ${kindOf(data)})`],
      );
    }
    const record = data as Record<string, unknown>;
    const eventType = record.eventType;
    if (typeof eventType !== 'string' || eventType.length === 0) {
      throw new SerializationError('A serialized event must have an eventType', undefined, [
        `eventType: must be a non-empty string (got ${kindOf(eventType)})`,
      ]);
    }
    const definition = this.#types.get(eventType);
    if (definition === undefined) throw new EventTypeNotFoundError(eventType, this.listTypes());
    if (owned) return reviveHandedOver(definition, record) as DomainEvent;
    return definition.revive(record) as DomainEvent;
  }
}

/** `JSON.parse` of serialized event text. @throws {SerializationError} on malformed JSON. */
function parseEventJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SerializationError(
      `Malformed event JSON: ${reason}`,
      undefined,
      [`json: ${reason}`],
      {
        cause: error,
      },
    );
  }
}

/** The registry `defineEvent` registers in by default. */
export const defaultRegistry: EventRegistry = new EventRegistry();

/**
 * Registers `definition` in `registry` (default: {@link defaultRegistry}) and returns it.
 *
 * @throws {DuplicateEventTypeError} ES_DUPLICATE_EVENT_TYPE when another definition holds the name.
 */
export function registerEvent<D extends EventDefinition<string, object, object>>(
  definition: D,
  registry: EventRegistry = defaultRegistry,
): D {
  return registry.register(definition);
}

/**
 * {@link EventRegistry.serialize} on the {@link defaultRegistry}.
 *
 * @throws {EventTypeNotFoundError} ES_EVENT_TYPE_NOT_FOUND when the type is not registered.
 * @throws {SerializationError} ES_SERIALIZATION when the event cannot be serialized.
 */
export function serializeEvent(event: DomainEvent): SerializedEvent {
  return defaultRegistry.serialize(event);
}

/**
 * {@link EventRegistry.deserialize} on the {@link defaultRegistry}.
 *
 * @throws {EventTypeNotFoundError} ES_EVENT_TYPE_NOT_FOUND when the type is not registered.
 * @throws {SerializationError} ES_SERIALIZATION on bad data.
 */
export function deserializeEvent(value: unknown): DomainEvent {
  return defaultRegistry.deserialize(value);
}
