/**
 * Event definitions: `defineEvent` gives a typed factory, a narrowing type guard and registration
 * by name for deserialization.
 *
 * @module
 */
import type { DomainEvent, EventEnvelope } from './domain-event.js';
import { InvalidConfigError } from './errors.js';
import { defaultRegistry, EventRegistry } from './event-registry.js';
import type { EventShape } from './internal/event-builder.js';
import { createEvent, reviveEvent } from './internal/event-builder.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** The envelope fields a caller may give to {@link EventDefinition.create}. */
export interface EnvelopeInput {
  /** The aggregate the event belongs to (non-empty). */
  readonly aggregateId: string;
  /** The aggregate's version after this event; default 1. */
  readonly aggregateVersion?: number | undefined;
  /** Default: `crypto.randomUUID()`. */
  readonly eventId?: string | undefined;
  /** Default: now. */
  readonly occurredAt?: Date | undefined;
  /** Default: a new UUID (use {@link withCausation} to continue a correlation). */
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
  readonly tenantId?: string | undefined;
  readonly actorId?: string | undefined;
  /** Free-form metadata; copied and frozen. */
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
}

/** The argument of {@link EventDefinition.create}: envelope inputs and payload fields side by side. */
export type EventFields<TInput extends object> = EnvelopeInput & TInput;

/** The names of the envelope fields. */
export type EnvelopeKey = keyof EventEnvelope;

declare const payloadBrand: unique symbol;

/**
 * A type-only marker declaring an event's payload type without a schema; see {@link payload}.
 */
export interface PayloadType<TPayload extends object> {
  /** @internal phantom field carrying the payload type. */
  readonly [payloadBrand]?: TPayload;
}

const PAYLOAD_MARKER: PayloadType<object> = Object.freeze({});

/**
 * Declares the payload type of an event without a runtime schema.
 *
 * @example
 * ```ts
 * const TaskCreated = defineEvent('TaskCreated', {
 *   aggregateType: 'Task',
 *   payload: payload<{ title: string }>(),
 * });
 * ```
 */
export function payload<TPayload extends object>(): PayloadType<TPayload> {
  return PAYLOAD_MARKER as PayloadType<TPayload>;
}

/** Options of {@link defineEvent}. */
export interface DefineEventOptions<TPayload extends object, TInput extends object = TPayload> {
  /** The aggregate type the events belong to, for example `'Task'`. */
  readonly aggregateType: string;
  /**
   * A Standard Schema (zod, valibot, arktype…) for the payload. It runs on `create()` and on
   * deserialization and must validate synchronously; its output becomes the payload. It must
   * accept its own output once serialized to JSON (for example use `z.coerce.date()` for dates).
   */
  readonly schema?: StandardSchemaV1<TInput, TPayload> | undefined;
  /** Declares the payload type without a schema: `payload: payload<{ title: string }>()`. */
  readonly payload?: PayloadType<TPayload> | undefined;
  /**
   * The registry to register the type in. Default: {@link defaultRegistry}; `null` registers
   * nowhere.
   */
  readonly registry?: EventRegistry | null | undefined;
  /** The schema version stamped on created events (`eventVersion`); default 1. */
  readonly eventVersion?: number | undefined;
}

/**
 * A compile-time check that payload fields do not reuse envelope names; resolves to `unknown`
 * (no constraint) when they do not.
 */
export type NoEnvelopeCollision<TPayload extends object> = [
  Extract<keyof TPayload, EnvelopeKey>,
] extends [never]
  ? unknown
  : {
      readonly 'payload fields collide with envelope fields': Extract<keyof TPayload, EnvelopeKey>;
    };

/**
 * A defined event type: the factory, the guard and the metadata the registry needs.
 *
 * @typeParam TType - the event type name
 * @typeParam TPayload - the payload fields of the event (the schema's output)
 * @typeParam TInput - the payload fields `create` accepts (the schema's input)
 */
export interface EventDefinition<
  TType extends string = string,
  TPayload extends object = object,
  TInput extends object = TPayload,
> {
  /** The event type name. */
  readonly eventType: TType;
  /** The aggregate type of the events. */
  readonly aggregateType: string;
  /** The schema version stamped on created events. */
  readonly eventVersion: number;
  /** The payload schema, if one was given. */
  readonly schema: StandardSchemaV1<TInput, TPayload> | undefined;
  /**
   * Creates a frozen event. Envelope defaults: `eventId` and `correlationId` new UUIDs,
   * `occurredAt` now, `aggregateVersion` 1, `metadata` `{}`.
   *
   * @throws {SerializationError} ES_SERIALIZATION when an envelope field or the payload is
   * invalid (every issue is listed in `issues`).
   */
  create(fields: EventFields<TInput>): TypedEvent<TType, TPayload>;
  /** True (and narrows) when `value` is an event of this type. */
  is(value: unknown): value is TypedEvent<TType, TPayload>;
  /**
   * Rebuilds an event of this type from serialized data (see `EventRegistry.deserialize`).
   *
   * @throws {SerializationError} ES_SERIALIZATION on a bad envelope or an invalid payload.
   */
  revive(data: Readonly<Record<string, unknown>>): TypedEvent<TType, TPayload>;
}

/**
 * The events a definition produces: `DomainEvent<TType, TPayload>`, also assignable to the untyped
 * `DomainEvent` so they can be appended and stored without casts.
 */
export type TypedEvent<TType extends string, TPayload extends object> = DomainEvent<
  TType,
  TPayload
> &
  Readonly<Record<string, unknown>>;

/** The event type produced by a definition: `EventOf<typeof TaskCreated>`. */
export type EventOf<D> =
  D extends EventDefinition<infer TType, infer TPayload, infer _TInput>
    ? TypedEvent<TType, TPayload>
    : never;

/** The payload type of a definition: `PayloadOf<typeof TaskCreated>`. */
export type PayloadOf<D> =
  D extends EventDefinition<string, infer TPayload, infer _TInput> ? TPayload : never;

/** Any event definition. */
export type AnyEventDefinition = EventDefinition<string, object, object>;

function isSchema(value: unknown): value is StandardSchemaV1<unknown, object> {
  if (typeof value !== 'object' && typeof value !== 'function') return false;
  if (value === null) return false;
  const props = (value as { '~standard'?: unknown })['~standard'];
  return (
    typeof props === 'object' &&
    props !== null &&
    (props as { version?: unknown }).version === 1 &&
    typeof (props as { validate?: unknown }).validate === 'function'
  );
}

/**
 * Defines an event type and registers it (in {@link defaultRegistry} unless `registry` says
 * otherwise).
 *
 * The payload type comes from the schema's output type, from `payload: payload<T>()`, or from the
 * second type argument (`defineEvent<'TaskCreated', { title: string }>(…)`).
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when `eventType`, `aggregateType`, `eventVersion`,
 * `schema` or `registry` is invalid.
 * @throws {DuplicateEventTypeError} ES_DUPLICATE_EVENT_TYPE when the registry already holds another
 * definition under `eventType`.
 *
 * @example
 * ```ts
 * const TaskCreated = defineEvent('TaskCreated', {
 *   aggregateType: 'Task',
 *   schema: z.object({ title: z.string().min(1) }),
 * });
 * const event = TaskCreated.create({ aggregateId: 'task-1', title: 'Write docs' });
 * if (TaskCreated.is(event)) console.log(event.title);
 * ```
 */
export function defineEvent<
  const TType extends string,
  TPayload extends object = {},
  TInput extends object = TPayload,
>(
  eventType: TType,
  options: DefineEventOptions<TPayload, TInput> & NoEnvelopeCollision<TPayload>,
): EventDefinition<TType, TPayload, TInput> {
  if (typeof eventType !== 'string' || eventType.length === 0) {
    throw new InvalidConfigError('defineEvent.eventType', 'must be a non-empty string', eventType);
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidConfigError('defineEvent.options', 'must be an object', options);
  }
  const { aggregateType, schema, registry, eventVersion = 1 } = options;
  if (typeof aggregateType !== 'string' || aggregateType.length === 0) {
    throw new InvalidConfigError(
      'defineEvent.aggregateType',
      'must be a non-empty string',
      aggregateType,
    );
  }
  if (!Number.isInteger(eventVersion) || eventVersion < 1) {
    throw new InvalidConfigError(
      'defineEvent.eventVersion',
      'must be an integer >= 1',
      eventVersion,
    );
  }
  if (schema !== undefined && !isSchema(schema)) {
    throw new InvalidConfigError(
      'defineEvent.schema',
      'must be a Standard Schema v1 (an object with ~standard.validate)',
      schema,
    );
  }
  if (registry !== undefined && registry !== null && !(registry instanceof EventRegistry)) {
    throw new InvalidConfigError(
      'defineEvent.registry',
      'must be an EventRegistry or null',
      registry,
    );
  }

  const shape: EventShape = {
    eventType,
    aggregateType,
    eventVersion,
    schema: schema as StandardSchemaV1<unknown, object> | undefined,
  };
  const definition: EventDefinition<TType, TPayload, TInput> = Object.freeze({
    eventType,
    aggregateType,
    eventVersion,
    schema,
    create: (fields: EventFields<TInput>) =>
      createEvent(shape, fields) as TypedEvent<TType, TPayload>,
    is: (value: unknown): value is TypedEvent<TType, TPayload> =>
      typeof value === 'object' &&
      value !== null &&
      (value as { eventType?: unknown }).eventType === eventType,
    revive: (data: Readonly<Record<string, unknown>>) =>
      reviveEvent(shape, data) as TypedEvent<TType, TPayload>,
  });
  const target = registry === undefined ? defaultRegistry : registry;
  target?.register(definition as unknown as AnyEventDefinition);
  return definition;
}
