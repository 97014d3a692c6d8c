/**
 * Builds frozen domain events from `create()` fields or from serialized data, validating the
 * envelope and the payload. Shared by event definitions, the registry and the `with…` helpers so
 * every path applies the same rules and throws the same {@link SerializationError}.
 *
 * @internal
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../domain-event.js';
import { ENVELOPE_FIELDS } from '../domain-event.js';
import { SerializationError } from '../errors.js';
import type { StandardSchemaV1 } from '../standard-schema.js';
import { CyclicValueError, deepFreezeCopy, isPlainObject, kindOf, setOwn } from './values.js';

/** What the builder needs to know about an event definition. */
export interface EventShape {
  readonly eventType: string;
  readonly aggregateType: string;
  readonly eventVersion: number;
  readonly schema: StandardSchemaV1<unknown, object> | undefined;
}

/** The envelope field names as a set, for payload-collision checks. */
export const ENVELOPE_KEYS: ReadonlySet<string> = new Set<string>(ENVELOPE_FIELDS);

const EMPTY_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  return kindOf(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

function fail(eventType: string | undefined, issues: string[]): never {
  const what = eventType === undefined ? 'event' : `${eventType} event`;
  throw new SerializationError(`Invalid ${what}: ${issues.join('; ')}`, eventType, issues);
}

function formatIssue(issue: StandardSchemaV1.Issue): string {
  const path = issue.path;
  if (path === undefined || path.length === 0) return `payload: ${issue.message}`;
  let text = '';
  for (const segment of path) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    text += text === '' ? String(key) : `.${String(key)}`;
  }
  return `${text}: ${issue.message}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const noop = (): void => {};

/**
 * Runs the definition's schema (if any) over `payload` and returns the payload to store.
 * Adds issues instead of throwing.
 */
function checkPayload(
  shape: EventShape,
  payload: Record<string, unknown>,
  issues: string[],
): Record<string, unknown> | undefined {
  const schema = shape.schema;
  if (schema === undefined) return payload;
  let result: StandardSchemaV1.Result<object> | Promise<StandardSchemaV1.Result<object>>;
  try {
    result = schema['~standard'].validate(payload);
  } catch (error) {
    issues.push(
      `payload: the schema threw: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
  if (isThenable(result)) {
    // Never leave a rejected promise unobserved.
    result.then(noop, noop);
    issues.push(
      'payload: the schema validates asynchronously; only synchronous schemas are supported',
    );
    return undefined;
  }
  if (result.issues !== undefined) {
    for (const issue of result.issues) issues.push(formatIssue(issue));
    if (result.issues.length === 0) issues.push('payload: rejected by the schema');
    return undefined;
  }
  const value: unknown = result.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push(`payload: the schema must output an object (got ${kindOf(value)})`);
    return undefined;
  }
  const output = value as Record<string, unknown>;
  for (const key of Object.keys(output)) {
    if (ENVELOPE_KEYS.has(key)) issues.push(`${key}: a payload field may not use an envelope name`);
  }
  return output;
}

/** The two decimal digits of `s` at `i` as a number, or -1 when they are not two digits. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334] as const;

/**
 * Epoch milliseconds of a timestamp string, exactly as `Date.parse` reads it. The form
 * `Date#toISOString` writes for years 0000–9999 (`YYYY-MM-DDTHH:mm:ss.sssZ`, what every
 * serialized event holds) is computed directly — `Date.parse` costs a few hundred nanoseconds,
 * a noticeable share of reviving an event — with `Date.parse`'s arithmetic (a day past the end of
 * its month rolls over, as it does there); any other string goes to `Date.parse`.
 */
export function parseIsoTimestamp(s: string): number {
  if (
    s.length !== 24 ||
    s.charCodeAt(4) !== 45 || // -
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 || // T
    s.charCodeAt(13) !== 58 || // :
    s.charCodeAt(16) !== 58 ||
    s.charCodeAt(19) !== 46 || // .
    s.charCodeAt(23) !== 90 // Z
  ) {
    return Date.parse(s);
  }
  const century = twoDigits(s, 0);
  const yy = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  const ms10 = twoDigits(s, 20);
  const ms1 = s.charCodeAt(22) - 48;
  if (
    century < 0 ||
    yy < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    ms10 < 0 ||
    ms1 < 0 ||
    ms1 > 9
  ) {
    return Date.parse(s);
  }
  const year = century * 100 + yy;
  // Days from 1970-01-01 to the first of the year (proleptic Gregorian), then into the year.
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days =
    365 * (year - 1970) +
    Math.floor((year - 1969) / 4) -
    Math.floor((year - 1901) / 100) +
    Math.floor((year - 1601) / 400) +
    (DAYS_BEFORE_MONTH[month - 1] as number) +
    (leap && month > 2 ? 1 : 0) +
    day -
    1;
  return days * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms10 * 10 + ms1;
}

/** Nesting beyond which {@link freezeOwned} checks for cycles (JSON data is rarely this deep). */
const FREEZE_DEPTH_CHECKED = 64;
/** Thrown (never escapes) when {@link freezeNested} goes deeper than {@link FREEZE_DEPTH_CHECKED}. */
const TOO_DEEP: unique symbol = Symbol('too deep');

/**
 * {@link deepFreezeInPlace} without its bookkeeping on the common path: walks without tracking
 * ancestors (no allocation but `Object.keys`) and only when the nesting gets deeper than
 * {@link FREEZE_DEPTH_CHECKED} — a cycle always does — starts over with ancestor tracking, which
 * tells deep data from a cycle. Freezing twice is harmless.
 *
 * @throws {CyclicValueError} for a cyclic structure.
 */
function freezeOwned(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  try {
    return freezeNested(value, 0);
  } catch (error) {
    if (error === TOO_DEEP) return deepFreezeInPlace(value);
    throw error;
  }
}

function freezeNested(value: object, depth: number): unknown {
  if (depth > FREEZE_DEPTH_CHECKED) throw TOO_DEEP;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) freezeNested(item, depth + 1);
    }
    return Object.freeze(value);
  }
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const item: unknown = value[keys[i] as string];
    if (typeof item === 'object' && item !== null) freezeNested(item, depth + 1);
  }
  return Object.freeze(value);
}

/**
 * Deep-freezes owned JSON-like data in place and returns it: plain objects and arrays are frozen
 * (and walked), everything else is returned as it is — like {@link deepFreezeCopy} without the
 * copy, for data nobody else holds. Already frozen containers are walked too, so a frozen object
 * never hides a mutable one.
 *
 * @throws {CyclicValueError} for a cyclic structure.
 */
function deepFreezeInPlace(value: unknown, ancestors?: unknown[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const stack = ancestors ?? [];
    if (stack.includes(value)) throw new CyclicValueError('cyclic array');
    stack.push(value);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) deepFreezeInPlace(item, stack);
    }
    stack.pop();
    return Object.freeze(value);
  }
  if (!isPlainObject(value)) return value;
  const stack = ancestors ?? [];
  if (stack.includes(value)) throw new CyclicValueError('cyclic object');
  stack.push(value);
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const item: unknown = value[keys[i] as string];
    if (typeof item === 'object' && item !== null) deepFreezeInPlace(item, stack);
  }
  stack.pop();
  return Object.freeze(value);
}

/** Copies the payload fields onto the event being built, deep-frozen. */
function attachPayload(
  event: Record<string, unknown>,
  payload: Record<string, unknown>,
  eventType: string,
): void {
  try {
    for (const key of Object.keys(payload)) setOwn(event, key, deepFreezeCopy(payload[key]));
  } catch (error) {
    if (error instanceof CyclicValueError) {
      fail(eventType, ['payload: contains a cyclic structure']);
    }
    throw error;
  }
}

/**
 * Puts the payload fields of serialized data onto the event being built, without an intermediate
 * payload object: deep-frozen copies, or — for owned data — the values themselves, frozen in
 * place. `keys` are the keys of `data`; bit `i` of `payloadMask` says whether `keys[i]` is a
 * payload field (beyond 32 keys, whether it is not an envelope name).
 */
function attachDataPayload(
  event: Record<string, unknown>,
  data: Readonly<Record<string, unknown>>,
  keys: readonly string[],
  payloadMask: number,
  eventType: string,
  owned: boolean,
): void {
  try {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (i < 32 ? (payloadMask & (1 << i)) === 0 : ENVELOPE_KEYS.has(key)) continue;
      const value = data[key];
      setOwn(event, key, owned ? freezeOwned(value) : deepFreezeCopy(value));
    }
  } catch (error) {
    if (error instanceof CyclicValueError) {
      fail(eventType, ['payload: contains a cyclic structure']);
    }
    throw error;
  }
}

function metadataOf(
  value: unknown,
  issues: string[],
  owned = false,
): Readonly<Record<string, unknown>> {
  if (value === undefined || value === null) return EMPTY_METADATA;
  if (!isPlainObject(value)) {
    issues.push(`metadata: must be a plain object (got ${describe(value)})`);
    return EMPTY_METADATA;
  }
  try {
    return (owned ? freezeOwned(value) : deepFreezeCopy(value)) as Readonly<
      Record<string, unknown>
    >;
  } catch (error) {
    if (error instanceof CyclicValueError) {
      issues.push('metadata: contains a cyclic structure');
      return EMPTY_METADATA;
    }
    throw error;
  }
}

function optionalId(
  name: string,
  value: unknown,
  issues: string[],
  nullIsAbsent: boolean,
): string | undefined {
  if (value === undefined || (nullIsAbsent && value === null)) return undefined;
  if (isNonEmptyString(value)) return value;
  issues.push(`${name}: must be a non-empty string (got ${describe(value)})`);
  return undefined;
}

function finish(
  shape: EventShape,
  envelope: Record<string, unknown>,
  optional: {
    tenantId: string | undefined;
    actorId: string | undefined;
    causationId: string | undefined;
    correlationId: string;
    metadata: Readonly<Record<string, unknown>>;
  },
  payload: Record<string, unknown>,
): DomainEvent {
  if (optional.tenantId !== undefined) envelope.tenantId = optional.tenantId;
  if (optional.actorId !== undefined) envelope.actorId = optional.actorId;
  envelope.correlationId = optional.correlationId;
  if (optional.causationId !== undefined) envelope.causationId = optional.causationId;
  envelope.metadata = optional.metadata;
  attachPayload(envelope, payload, shape.eventType);
  return Object.freeze(envelope) as DomainEvent;
}

/**
 * The `eventId` of the serialized data whose ownership the registry hands to the next
 * {@link reviveEvent} call (see {@link reviveHandedOver}); `undefined` when none is handed over.
 * Only the id string is kept here, never the data: a pointer to fresh data written into this
 * long-lived module state on every read keeps V8's incremental marking alive on whole event
 * graphs (they get promoted to the old generation instead of dying young).
 */
let handedOverId: unknown;

/**
 * Calls `definition.revive(data)` telling {@link reviveEvent} — when that is a definition's own
 * revive, which calls it with `data` — that `data` is owned: nobody else holds it (it came from
 * `JSON.parse` or a driver's parser), so its nested objects and arrays may be frozen in place and
 * become part of the event instead of being copied. A definition with another `revive` is called
 * as usual.
 *
 * The hand-over is module state rather than a parameter because the registry knows definitions
 * only by their public `revive(data)`. It is consumed by the first `reviveEvent` during the call
 * (which takes it only for data with the same `eventId` string) and cleared when `revive` returns
 * or throws, so it never reaches another call (all of this is synchronous).
 */
export function reviveHandedOver<T>(
  definition: { revive(data: Readonly<Record<string, unknown>>): T },
  data: Readonly<Record<string, unknown>>,
): T {
  const id = data.eventId;
  // Without a string id the data is invalid anyway: revive it the ordinary way.
  if (typeof id !== 'string') return definition.revive(data);
  handedOverId = id;
  try {
    return definition.revive(data);
  } finally {
    handedOverId = undefined;
  }
}

/**
 * Builds a new event from `create()` fields: envelope inputs plus payload fields side by side.
 *
 * @throws {SerializationError} ES_SERIALIZATION listing every issue.
 */
export function createEvent(shape: EventShape, fields: unknown): DomainEvent {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    fail(shape.eventType, [`fields: must be an object (got ${describe(fields)})`]);
  }
  const source = fields as Record<string, unknown>;
  const issues: string[] = [];
  const payload: Record<string, unknown> = {};
  let aggregateId: unknown;
  let aggregateVersion: unknown;
  let eventId: unknown;
  let occurredAt: unknown;
  let correlationId: unknown;
  let causationId: unknown;
  let tenantId: unknown;
  let actorId: unknown;
  let metadata: unknown;
  for (const key of Object.keys(source)) {
    const value = source[key];
    switch (key) {
      case 'aggregateId':
        aggregateId = value;
        break;
      case 'aggregateVersion':
        aggregateVersion = value;
        break;
      case 'eventId':
        eventId = value;
        break;
      case 'occurredAt':
        occurredAt = value;
        break;
      case 'correlationId':
        correlationId = value;
        break;
      case 'causationId':
        causationId = value;
        break;
      case 'tenantId':
        tenantId = value;
        break;
      case 'actorId':
        actorId = value;
        break;
      case 'metadata':
        metadata = value;
        break;
      case 'eventType':
      case 'aggregateType':
      case 'eventVersion':
        if (value !== undefined) issues.push(`${key}: is set by the event definition`);
        break;
      default:
        setOwn(payload, key, value);
    }
  }

  if (!isNonEmptyString(aggregateId)) {
    issues.push(`aggregateId: must be a non-empty string (got ${describe(aggregateId)})`);
  }
  if (aggregateVersion === undefined) aggregateVersion = 1;
  else if (!isVersion(aggregateVersion)) {
    issues.push(`aggregateVersion: must be an integer >= 1 (got ${describe(aggregateVersion)})`);
  }
  if (eventId === undefined) eventId = randomUUID();
  else if (!isNonEmptyString(eventId)) {
    issues.push(`eventId: must be a non-empty string (got ${describe(eventId)})`);
  }
  let when: Date;
  if (occurredAt === undefined) when = new Date();
  else if (occurredAt instanceof Date && !Number.isNaN(occurredAt.getTime())) {
    when = new Date(occurredAt.getTime());
  } else {
    issues.push(`occurredAt: must be a valid Date (got ${describe(occurredAt)})`);
    when = new Date(0);
  }
  if (correlationId === undefined) correlationId = randomUUID();
  else if (!isNonEmptyString(correlationId)) {
    issues.push(`correlationId: must be a non-empty string (got ${describe(correlationId)})`);
  }
  const causation = optionalId('causationId', causationId, issues, false);
  const tenant = optionalId('tenantId', tenantId, issues, false);
  const actor = optionalId('actorId', actorId, issues, false);
  const meta = metadataOf(metadata, issues);
  const checked = checkPayload(shape, payload, issues);
  if (issues.length > 0 || checked === undefined) fail(shape.eventType, issues);

  return finish(
    shape,
    {
      eventId,
      eventType: shape.eventType,
      eventVersion: shape.eventVersion,
      occurredAt: when,
      aggregateId,
      aggregateType: shape.aggregateType,
      aggregateVersion,
    },
    {
      tenantId: tenant,
      actorId: actor,
      causationId: causation,
      correlationId: correlationId as string,
      metadata: meta,
    },
    checked,
  );
}

/**
 * Rebuilds an event of `shape` from serialized data: the object `serialize` produced, or
 * `JSON.parse(JSON.stringify(event))`, or a live event. Dates are revived; the payload is
 * validated by the schema.
 *
 * Required: `eventId`, `occurredAt` (ISO string or Date), `aggregateId`, `aggregateVersion`,
 * `correlationId`. Defaulted when absent: `eventVersion` (1), `aggregateType` (the definition's),
 * `metadata` (`{}`). `null` optional ids count as absent.
 *
 * @throws {SerializationError} ES_SERIALIZATION listing every issue.
 */
export function reviveEvent(
  shape: EventShape,
  data: Readonly<Record<string, unknown>>,
): DomainEvent {
  let owned = false;
  if (handedOverId !== undefined) {
    owned = data.eventId === handedOverId;
    handedOverId = undefined;
  }
  const issues: string[] = [];
  const schema = shape.schema;
  // The schema needs the payload as an object of its own; without one, the payload fields go from
  // `data` straight onto the event.
  const payload: Record<string, unknown> | undefined = schema === undefined ? undefined : {};
  // Which keys (by index, the first 32) are payload fields, for attachDataPayload.
  let payloadMask = 0;
  let eventType: unknown;
  let eventVersion: unknown;
  let aggregateType: unknown;
  let aggregateId: unknown;
  let aggregateVersion: unknown;
  let eventId: unknown;
  let occurredAt: unknown;
  let correlationId: unknown;
  let causationId: unknown;
  let tenantId: unknown;
  let actorId: unknown;
  let metadata: unknown;
  const keys = Object.keys(data);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    switch (key) {
      case 'eventType':
        eventType = data[key];
        break;
      case 'eventVersion':
        eventVersion = data[key];
        break;
      case 'aggregateType':
        aggregateType = data[key];
        break;
      case 'aggregateId':
        aggregateId = data[key];
        break;
      case 'aggregateVersion':
        aggregateVersion = data[key];
        break;
      case 'eventId':
        eventId = data[key];
        break;
      case 'occurredAt':
        occurredAt = data[key];
        break;
      case 'correlationId':
        correlationId = data[key];
        break;
      case 'causationId':
        causationId = data[key];
        break;
      case 'tenantId':
        tenantId = data[key];
        break;
      case 'actorId':
        actorId = data[key];
        break;
      case 'metadata':
        metadata = data[key];
        break;
      default:
        // Read once, where they go: into the schema's payload, or later onto the event.
        if (payload !== undefined) setOwn(payload, key, data[key]);
        else if (i < 32) payloadMask |= 1 << i;
    }
  }

  if (eventType !== undefined && eventType !== shape.eventType) {
    issues.push(
      `eventType: must be ${JSON.stringify(shape.eventType)} (got ${describe(eventType)})`,
    );
  }
  if (!isNonEmptyString(eventId)) {
    issues.push(`eventId: must be a non-empty string (got ${describe(eventId)})`);
  }
  if (eventVersion === undefined || eventVersion === null) eventVersion = 1;
  else if (!isVersion(eventVersion)) {
    issues.push(`eventVersion: must be an integer >= 1 (got ${describe(eventVersion)})`);
  }
  let when: Date | undefined;
  if (typeof occurredAt === 'string') {
    when = new Date(parseIsoTimestamp(occurredAt));
    if (Number.isNaN(when.getTime())) {
      issues.push(`occurredAt: must be an ISO date string (got ${describe(occurredAt)})`);
    }
  } else if (occurredAt instanceof Date && !Number.isNaN(occurredAt.getTime())) {
    when = new Date(occurredAt.getTime());
  } else {
    issues.push(
      `occurredAt: must be an ISO date string or a valid Date (got ${describe(occurredAt)})`,
    );
  }
  if (!isNonEmptyString(aggregateId)) {
    issues.push(`aggregateId: must be a non-empty string (got ${describe(aggregateId)})`);
  }
  if (aggregateType === undefined || aggregateType === null) aggregateType = shape.aggregateType;
  else if (!isNonEmptyString(aggregateType)) {
    issues.push(`aggregateType: must be a non-empty string (got ${describe(aggregateType)})`);
  }
  if (!isVersion(aggregateVersion)) {
    issues.push(`aggregateVersion: must be an integer >= 1 (got ${describe(aggregateVersion)})`);
  }
  if (!isNonEmptyString(correlationId)) {
    issues.push(`correlationId: must be a non-empty string (got ${describe(correlationId)})`);
  }
  const causation = optionalId('causationId', causationId, issues, true);
  const tenant = optionalId('tenantId', tenantId, issues, true);
  const actor = optionalId('actorId', actorId, issues, true);
  const meta = metadataOf(metadata, issues, owned);
  const checked = payload === undefined ? undefined : checkPayload(shape, payload, issues);
  if (issues.length > 0 || (payload !== undefined && checked === undefined)) {
    fail(shape.eventType, issues);
  }

  const event: Record<string, unknown> = {
    eventId,
    eventType: shape.eventType,
    eventVersion,
    occurredAt: when,
    aggregateId,
    aggregateType,
    aggregateVersion,
  };
  if (tenant !== undefined) event.tenantId = tenant;
  if (actor !== undefined) event.actorId = actor;
  event.correlationId = correlationId;
  if (causation !== undefined) event.causationId = causation;
  event.metadata = meta;
  // A schema's output is copied even from owned data: it may hold values the schema shares
  // between calls (defaults), which must not be frozen in place.
  if (checked !== undefined) attachPayload(event, checked, shape.eventType);
  else attachDataPayload(event, data, keys, payloadMask, shape.eventType, owned);
  return Object.freeze(event) as DomainEvent;
}

/**
 * A frozen copy of `event` with `changes` applied (used by the `with…` helpers). Keeps the key
 * order of the original; new keys go after the envelope's existing ones.
 */
export function copyEvent<E extends DomainEvent>(event: E, changes: Record<string, unknown>): E {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(event)) setOwn(copy, key, (event as Record<string, unknown>)[key]);
  for (const key of Object.keys(changes)) setOwn(copy, key, changes[key]);
  return Object.freeze(copy) as E;
}

/** Validates an aggregate version for the `with…` helpers. */
export function checkVersion(eventType: string | undefined, version: unknown): number {
  if (!isVersion(version)) {
    fail(eventType, [`aggregateVersion: must be an integer >= 1 (got ${describe(version)})`]);
  }
  return version;
}

/** Validates metadata for the `with…` helpers; returns the merged, frozen metadata. */
export function mergeMetadata(
  eventType: string | undefined,
  current: Readonly<Record<string, unknown>> | undefined,
  extra: unknown,
): Readonly<Record<string, unknown>> {
  if (!isPlainObject(extra)) {
    fail(eventType, [`metadata: must be a plain object (got ${describe(extra)})`]);
  }
  const issues: string[] = [];
  const merged = metadataOf({ ...(current ?? {}), ...extra }, issues);
  if (issues.length > 0) fail(eventType, issues);
  return merged;
}

/** Validates an identifier for the `with…` helpers. */
export function checkId(eventType: string | undefined, name: string, value: unknown): string {
  if (!isNonEmptyString(value)) {
    fail(eventType, [`${name}: must be a non-empty string (got ${describe(value)})`]);
  }
  return value;
}
