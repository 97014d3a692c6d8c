/**
 * {@link PostgresEventStore}: the event store on PostgreSQL (server or PGlite).
 *
 * @module
 */
import {
  type AppendResult,
  assertAppendArguments,
  type DomainEvent,
  defaultRegistry,
  EventRegistry,
  type EventStore,
  type EventStream,
  EventVersionError,
  type ExpectedVersionValue,
  type GetEventsOptions,
  InvalidConfigError,
  OptimisticLockError,
  type ReadAllOptions,
  SerializationError,
  type SerializedEvent,
  type StoredEvent,
} from '@es/core';
import type { PostgresConnection } from './connection.js';
import { PostgresEventStoreError } from './errors.js';
import { CoalescedNotifier } from './internal/coalesced-notifier.js';
import { Database } from './internal/database.js';
import { describeDriverError, driverErrorInfo, sqlStateOf } from './internal/driver-error.js';
import {
  APPEND,
  type EventStoreStatements,
  eventStoreStatements,
  READ,
  STORED,
} from './internal/event-store-statements.js';
import type { QueryOptions, Row } from './internal/executor.js';
import { jsonHasNul, storableJson, toDate, toJsonObject, toNumber } from './internal/values.js';
import { decodePosition, encodeTrustedPosition } from './position-codec.js';

/** Options of {@link PostgresEventStore}. */
export interface PostgresEventStoreOptions {
  /** A postgres.js client, a connection string, a PGlite instance or a drizzle database. */
  readonly connection: PostgresConnection;
  /** The PostgreSQL schema (migrated with `migrate`); default `es`. */
  readonly schema?: string;
  /** Serializes appended events and revives read ones; default `defaultRegistry` of `@es/core`. */
  readonly registry?: EventRegistry;
  /**
   * Wake `PostgresEventBus` listeners with `NOTIFY <schema>_events` after each append that stored
   * events (default true). An append outside a transaction commits first, then the wake-up is sent
   * as its own statement, coalesced (at most one in flight per store: a burst of concurrent appends
   * costs two), so concurrent writers keep group commit. An append inside the caller's transaction
   * sends it in that transaction, delivered when the caller commits. A process that dies between
   * the commit and the wake-up wakes nobody: listeners find the events on their next poll. Turn it
   * off when nothing listens.
   */
  readonly notify?: boolean;
  /**
   * Receives a wake-up `NOTIFY` that failed (it never fails the append; the next append sends
   * another). Default: ignored, since listeners also poll.
   */
  readonly onNotifyError?: (error: unknown) => void;
  /** Events fetched per query while iterating `readAll`; default 1000. */
  readonly readBatchSize?: number;
  /**
   * How long `readAll`, once it reaches the newest readable event, waits for transactions that
   * still hold committed events back (another transaction on the server that began earlier and
   * has not finished), in ms; default 100, 0 returns at once. Short transactions then do not make
   * an append invisible to the reader that follows it; a long one is waited for this long only.
   */
  readonly horizonWaitMs?: number;
}

/** The read horizon of subscribers, from {@link PostgresEventStore.getHorizonStatus}. */
export interface HorizonStatus {
  /** `pg_snapshot_xmin(pg_current_snapshot())`: transactions from here on are not read yet. */
  readonly horizonTransactionId: string;
  /** Committed events held back because an older transaction is still open somewhere. */
  readonly heldBackEvents: number;
  /** Age of the oldest open transaction holding a snapshot or an xid (null when none is seen). */
  readonly oldestTransactionAgeMs: number | null;
  /** `heldBackEvents > 0` and the oldest transaction is older than the threshold given. */
  readonly stalled: boolean;
}

const MAX_APPEND_ATTEMPTS = 10;
const DEFAULT_READ_BATCH_SIZE = 1000;
const DEFAULT_HORIZON_WAIT_MS = 100;
const START = { transactionId: '0', globalPosition: 0 } as const;

interface Cursor {
  readonly transactionId: string;
  readonly globalPosition: number;
}

/**
 * The {@link EventStore} on PostgreSQL: passes the event-store conformance kit of
 * `@es/core/testing` on a PostgreSQL server and on PGlite.
 *
 * - **Appends** are one statement per batch (one round trip): duplicates (already stored event
 *   ids) are skipped, the expected version is checked, versions are stamped, rows inserted and,
 *   by default, `NOTIFY <schema>_events` is sent in the same transaction. The unique constraint on
 *   `(aggregate_id, aggregate_type, version)` turns races into {@link OptimisticLockError} with the
 *   actual version.
 * - **Gap-free reading**: `readAll` returns only events of transactions older than every
 *   transaction still running (`transaction_id < pg_snapshot_xmin(pg_current_snapshot())`), in
 *   `(transaction_id, global_position)` order, and `StoredEvent.position` is that pair encoded as
 *   an order-preserving string (see `encodePosition`). A subscriber that checkpoints `position`
 *   never misses an event that commits late. `fromPosition` may also be a global position (number):
 *   it is resolved to the cursor of the last event at or before it.
 *
 * @example
 * ```ts
 * import postgres from 'postgres';
 * import { migrate, PostgresEventStore } from '@es/store-postgres';
 *
 * const sql = postgres(process.env.DATABASE_URL!);
 * await migrate(sql);
 * const store = new PostgresEventStore({ connection: sql });
 * await store.appendEvents(taskId, 'Task', [TaskCreated.create({ aggregateId: taskId, title: 'x' })], ExpectedVersion.NO_STREAM);
 * for await (const stored of store.readAll()) console.log(stored.position, stored.event.eventType);
 * ```
 */
export class PostgresEventStore implements EventStore {
  private readonly db: Database;
  private readonly sql: EventStoreStatements;
  private readonly registry: EventRegistry;
  /** Revives the `data` of a row read (see {@link rowEventReviver}). */
  private readonly reviveData: (data: unknown) => DomainEvent;
  private readonly appendSql: string;
  /** Sends the wake-up after autocommit appends; undefined with `notify: false`. */
  private readonly notifier: CoalescedNotifier | undefined;
  private readonly readBatchSize: number;
  private readonly horizonWaitMs: number;

  /**
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for a bad connection, schema, registry or batch size
   */
  constructor(options: PostgresEventStoreOptions) {
    this.db = new Database('PostgresEventStore', options);
    this.sql = eventStoreStatements(this.db.schema);
    const registry = options.registry ?? defaultRegistry;
    if (typeof registry?.serialize !== 'function' || typeof registry.deserialize !== 'function') {
      throw new InvalidConfigError(
        'PostgresEventStore.registry',
        'must be an EventRegistry',
        registry,
      );
    }
    this.registry = registry;
    this.reviveData = rowEventReviver(registry);
    if (options.notify !== undefined && typeof options.notify !== 'boolean') {
      throw new InvalidConfigError(
        'PostgresEventStore.notify',
        'must be a boolean',
        options.notify,
      );
    }
    const onNotifyError = options.onNotifyError ?? ignoreNotifyError;
    if (typeof onNotifyError !== 'function') {
      throw new InvalidConfigError(
        'PostgresEventStore.onNotifyError',
        'must be a function',
        onNotifyError,
      );
    }
    this.appendSql = options.notify === false ? this.sql.append : this.sql.appendNotify;
    this.notifier =
      options.notify === false
        ? undefined
        : new CoalescedNotifier(() => this.db.query(this.sql.notify, []), onNotifyError);
    const batch = options.readBatchSize ?? DEFAULT_READ_BATCH_SIZE;
    if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) {
      throw new InvalidConfigError(
        'PostgresEventStore.readBatchSize',
        'must be an integer from 1 to 100000',
        batch,
      );
    }
    this.readBatchSize = batch;
    const wait = options.horizonWaitMs ?? DEFAULT_HORIZON_WAIT_MS;
    if (typeof wait !== 'number' || !Number.isFinite(wait) || wait < 0 || wait > 60_000) {
      throw new InvalidConfigError(
        'PostgresEventStore.horizonWaitMs',
        'must be a number of milliseconds from 0 to 60000',
        wait,
      );
    }
    this.horizonWaitMs = wait;
  }

  /** The PostgreSQL schema this store uses. */
  get schema(): string {
    return this.db.schema;
  }

  /**
   * Appends events to the stream `(aggregateId, aggregateType)` atomically, in one round trip.
   *
   * @throws {OptimisticLockError} ES_OPTIMISTIC_LOCK when `expectedVersion` does not hold (with the
   *   actual version), including when a concurrent writer took the version first
   * @throws {EventVersionError} ES_EVENT_VERSION when, under an exact expected version, the events
   *   do not carry the versions `expectedVersion + 1…`
   * @throws {AggregateMismatchError} ES_AGGREGATE_MISMATCH / {InvalidConfigError} ES_INVALID_CONFIG
   *   for malformed arguments (nothing is sent to the database)
   * @throws {SerializationError} ES_SERIALIZATION / {EventTypeNotFoundError} ES_EVENT_TYPE_NOT_FOUND
   *   when an event cannot be serialized, or holds a NUL character PostgreSQL cannot store
   * @throws {PostgresEventStoreError} ES_POSTGRES_EVENT_STORE when the database fails
   */
  async appendEvents(
    aggregateId: string,
    aggregateType: string,
    events: readonly DomainEvent[],
    expectedVersion: ExpectedVersionValue,
  ): Promise<AppendResult> {
    assertAppendArguments(aggregateId, aggregateType, events, expectedVersion);
    let pending = this.prepareBatch(events);
    let json = this.batchJson(pending);
    for (let attempt = 1; ; attempt++) {
      let row: Row | undefined;
      let failure: unknown;
      try {
        row = (await this.appendOnce(json, aggregateId, aggregateType, expectedVersion))[0];
      } catch (error) {
        failure = error;
      }
      if (row !== undefined) {
        const verdict = row[APPEND.verdict];
        if (verdict === 'ok') {
          const inserted = toNumber(row[APPEND.inserted]);
          return {
            success: true,
            newVersion: toNumber(row[APPEND.head]) + inserted,
            globalPosition: toNumber(
              inserted > 0 ? row[APPEND.lastPosition] : row[APPEND.storeHead],
            ),
          };
        }
        // A conflict may be a retry of a committed append: events already stored are skipped
        // before the expected version is checked.
        if (pending.length > 0 && attempt < MAX_APPEND_ATTEMPTS) {
          const stored = await this.storedIds(pending, aggregateId, aggregateType);
          if (stored.ids.size > 0) {
            pending = pending.filter((p) => !stored.ids.has(p.id));
            if (pending.length === 0) return duplicateResult(stored);
            json = this.batchJson(pending);
            continue;
          }
        }
        if (verdict === 'conflict') {
          throw new OptimisticLockError(aggregateId, expectedVersion, toNumber(row[APPEND.head]));
        }
        throw versionError(pending, aggregateId, expectedVersion);
      }
      const info = driverErrorInfo(failure);
      if (info.sqlState !== '23505' || attempt >= MAX_APPEND_ATTEMPTS) {
        throw this.wrap('appendEvents', failure);
      }
      // Stored event ids (a re-append) or a concurrent writer that took the version first.
      const stored = await this.storedIds(pending, aggregateId, aggregateType);
      if (stored.ids.size > 0) {
        pending = pending.filter((p) => !stored.ids.has(p.id));
        if (pending.length === 0) return duplicateResult(stored);
        json = this.batchJson(pending);
        continue;
      }
      if (info.constraint === 'events_stream_version_key' && expectedVersion >= 0) {
        if (stored.head !== expectedVersion) {
          throw new OptimisticLockError(aggregateId, expectedVersion, stored.head, {
            cause: failure,
          });
        }
      }
      // ANY / STREAM_EXISTS, or the other writer rolled back: evaluate again.
    }
  }

  /**
   * The events of one aggregate in version order; an unknown aggregate gives an empty stream.
   * Without `aggregateType`, the events of every stream with that id, in global order.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for a negative `fromVersion` or an invalid date
   * @throws {SerializationError} ES_SERIALIZATION / {EventTypeNotFoundError} when a stored event
   *   does not deserialize with the registry
   * @throws {PostgresEventStoreError} ES_POSTGRES_EVENT_STORE when the database fails
   */
  async getEvents(
    aggregateId: string,
    aggregateType?: string,
    options: GetEventsOptions = {},
  ): Promise<EventStream> {
    const fromVersion = options.fromVersion ?? 0;
    if (!Number.isInteger(fromVersion) || fromVersion < 0) {
      throw new InvalidConfigError('getEvents.fromVersion', 'must be an integer >= 0', fromVersion);
    }
    const from = isoOrNull('getEvents.fromTimestamp', options.fromTimestamp);
    const to = isoOrNull('getEvents.toTimestamp', options.toTimestamp);
    const rows = await this.run(
      'getEvents',
      aggregateType === undefined ? this.sql.getEventsAnyType : this.sql.getEventsByType,
      aggregateType === undefined
        ? [aggregateId, fromVersion, from, to]
        : [aggregateId, aggregateType, fromVersion, from, to],
    );
    const events = new Array<DomainEvent>(rows.length);
    const revive = this.reviveData;
    for (let i = 0; i < rows.length; i++) events[i] = revive((rows[i] as Row)[0]);
    const last = events[events.length - 1];
    return {
      aggregateId,
      aggregateType,
      events,
      version: last === undefined ? 0 : last.aggregateVersion,
    };
  }

  /**
   * Events after `fromPosition` (exclusive) in gap-free `(transaction id, global position)` order,
   * only from transactions older than every transaction still running. `fromPosition` is `0`
   * (default, the start), a `StoredEvent.position` of this store, or a global position (resolved
   * to the cursor of the last event at or before it). Iterates page by page until a page comes
   * back short.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG (synchronously) for a bad `fromPosition`,
   *   `limit` or `eventTypes`
   * @throws {PostgresEventStoreError} ES_POSTGRES_EVENT_STORE (while iterating) when the database fails
   */
  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    const { fromPosition = 0, limit, eventTypes } = options;
    let start: Cursor | number;
    if (typeof fromPosition === 'string') {
      start = decodePosition(fromPosition, 'readAll.fromPosition');
    } else if (
      typeof fromPosition === 'number' &&
      Number.isSafeInteger(fromPosition) &&
      fromPosition >= 0
    ) {
      start = fromPosition === 0 ? START : fromPosition;
    } else {
      throw new InvalidConfigError(
        'readAll.fromPosition',
        'must be 0, a global position (integer >= 0) or a position cursor of this store',
        fromPosition,
      );
    }
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new InvalidConfigError('readAll.limit', 'must be an integer >= 0', limit);
    }
    let types: string | undefined;
    if (eventTypes !== undefined) {
      if (!Array.isArray(eventTypes) || eventTypes.some((t) => typeof t !== 'string')) {
        throw new InvalidConfigError(
          'readAll.eventTypes',
          'must be an array of strings',
          eventTypes,
        );
      }
      types = JSON.stringify(eventTypes);
    }
    return { [Symbol.asyncIterator]: () => this.iterate(start, limit ?? Infinity, types) };
  }

  /**
   * The highest assigned (committed) global position; 0 when empty.
   *
   * @throws {PostgresEventStoreError} ES_POSTGRES_EVENT_STORE when the database fails
   */
  async getGlobalPosition(): Promise<number> {
    const rows = await this.run('getGlobalPosition', this.sql.globalPosition, []);
    return toNumber((rows[0] as Row)[0]);
  }

  /**
   * The current version of a stream; 0 when it has no events.
   *
   * @throws {PostgresEventStoreError} ES_POSTGRES_EVENT_STORE when the database fails
   */
  async getStreamVersion(aggregateId: string, aggregateType: string): Promise<number> {
    return this.streamVersion(aggregateId, aggregateType);
  }

  /**
   * Where subscribers' gap-free reads stand: the transaction horizon, how many committed events
   * it holds back, and how old the oldest open transaction is. A long-open transaction anywhere
   * on the server (the horizon is cluster-wide) stalls subscribers, never makes them skip; this
   * tells them apart from an idle store.
   *
   * @param stallThresholdMs - `stalled` is true when events are held back by a transaction older
   *   than this; default 10 000
   * @throws {PostgresEventStoreError} ES_POSTGRES_EVENT_STORE when the database fails
   */
  async getHorizonStatus(stallThresholdMs = 10_000): Promise<HorizonStatus> {
    const rows = await this.run('getHorizonStatus', this.sql.horizon, []);
    const row = rows[0] as Row;
    const held = toNumber(row[1]);
    const oldestStart = row[2] === null || row[2] === undefined ? null : toNumber(row[2]);
    const age = oldestStart === null ? null : Math.max(0, toNumber(row[3]) - oldestStart);
    return {
      horizonTransactionId: String(row[0]),
      heldBackEvents: held,
      oldestTransactionAgeMs: age,
      stalled: held > 0 && age !== null && age >= stallThresholdMs,
    };
  }

  /** Ends the client when this store created it (connection string); no-op otherwise. */
  async close(): Promise<void> {
    await this.notifier?.drain();
    return this.db.connection.close();
  }

  private async *iterate(
    from: Cursor | number,
    limit: number,
    types: string | undefined,
  ): AsyncGenerator<StoredEvent> {
    let cursor = typeof from === 'number' ? await this.resolve(from) : from;
    let remaining = limit;
    let waitedMs = 0;
    let deadline: number | undefined;
    while (remaining > 0) {
      const size = Math.min(this.readBatchSize, remaining);
      const params: unknown[] = [cursor.transactionId, cursor.globalPosition, size];
      if (types !== undefined) params.push(types);
      const rows = await this.run(
        'readAll',
        types === undefined ? this.sql.readAll : this.sql.readAllOfTypes,
        params,
      );
      for (let i = 0; i < rows.length; i++) yield this.toStoredEvent(rows[i] as Row);
      // The next page starts after the last row (an iteration ended early never gets here).
      const last = rows[rows.length - 1];
      if (last !== undefined) {
        cursor = {
          transactionId: String(last[READ.transactionId]),
          globalPosition: toNumber(last[READ.globalPosition]),
        };
      }
      remaining -= rows.length;
      if (rows.length === size) continue;
      // At the newest readable event. Committed events may still be held back by a transaction
      // that began before them and is still running: wait a little for it, then read on.
      if (this.horizonWaitMs === 0 || remaining <= 0) return;
      deadline ??= Date.now() + this.horizonWaitMs;
      if (Date.now() >= deadline || !(await this.heldBack(cursor, types))) return;
      const pause = Math.min(2 ** Math.min(waitedMs++, 4), Math.max(1, deadline - Date.now()));
      await new Promise<void>((resolve) => setTimeout(resolve, pause));
    }
  }

  private async heldBack(cursor: Cursor, types: string | undefined): Promise<boolean> {
    const params: unknown[] = [cursor.transactionId, cursor.globalPosition];
    if (types !== undefined) params.push(types);
    const rows = await this.run(
      'readAll',
      types === undefined ? this.sql.heldBack : this.sql.heldBackOfTypes,
      params,
    );
    const value = (rows[0] as Row)[0];
    return value === true || value === 't';
  }

  private async resolve(globalPosition: number): Promise<Cursor> {
    const rows = await this.run('readAll', this.sql.resolveGlobalPosition, [globalPosition]);
    const row = rows[0];
    return row === undefined
      ? START
      : { transactionId: String(row[0]), globalPosition: toNumber(row[1]) };
  }

  private async streamVersion(aggregateId: string, aggregateType: string): Promise<number> {
    const rows = await this.run('getStreamVersion', this.sql.streamVersion, [
      aggregateId,
      aggregateType,
    ]);
    return toNumber((rows[0] as Row)[0]);
  }

  /** Serializes the batch once (dropping ids repeated within it). */
  private prepareBatch(events: readonly DomainEvent[]): PendingEvent[] {
    const pending: PendingEvent[] = [];
    let seen: Set<string> | undefined;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as DomainEvent;
      // An id repeated within the batch is stored once (the first occurrence).
      if (events.length > 1) {
        seen ??= new Set();
        if (seen.has(event.eventId)) continue;
        seen.add(event.eventId);
      }
      const data: SerializedEvent = this.registry.serialize(event);
      pending.push({
        o: 0,
        id: event.eventId,
        t: event.eventType,
        ev: data.eventVersion,
        v: event.aggregateVersion,
        at: data.occurredAt,
        tn: data.tenantId ?? null,
        d: data,
      });
    }
    return pending;
  }

  /** The batch parameter of the append statement: the pending events numbered from 0. */
  private batchJson(pending: PendingEvent[]): string {
    for (let i = 0; i < pending.length; i++) (pending[i] as PendingEvent).o = i;
    const json = JSON.stringify(pending);
    if (jsonHasNul(json)) {
      const bad = pending.find((p) => jsonHasNul(JSON.stringify(p.d)));
      throw new SerializationError(
        `Cannot store ${bad?.t ?? 'an event'}: it holds a NUL character (U+0000), which PostgreSQL text and jsonb cannot store`,
        bad?.t,
        ['a string (or key) contains U+0000'],
      );
    }
    // Lone surrogates cannot be stored in jsonb: U+FFFD, as any UTF-8 encoding of them gives.
    return storableJson(json);
  }

  /** One attempt of the append statement (in a savepoint when inside a caller's transaction). */
  private async appendOnce(
    json: string,
    aggregateId: string,
    aggregateType: string,
    expectedVersion: number,
  ): Promise<Row[]> {
    const params = [json, aggregateId, aggregateType, expectedVersion];
    const executor = this.db.connection.executor ?? (await this.db.executor());
    if (!executor.inTransaction) {
      if (this.notifier === undefined) return executor.query(this.sql.append, params);
      // Autocommit: the append has committed when its answer arrives; wake listeners after it.
      const rows = await executor.query(this.sql.append, params);
      const row = rows[0];
      if (row !== undefined && row[APPEND.verdict] === 'ok' && toNumber(row[APPEND.inserted]) > 0) {
        this.notifier.request();
      }
      return rows;
    }
    // A failed statement aborts the caller's transaction: contain it so a retry can follow.
    return executor.transaction((tx) => tx.query(this.appendSql, params));
  }

  /** Which of the pending ids are stored, and the heads of the stream and the store. */
  private async storedIds(
    pending: readonly PendingEvent[],
    aggregateId: string,
    aggregateType: string,
  ): Promise<StoredIds> {
    const rows = await this.run(
      'appendEvents',
      this.sql.storedIds,
      [JSON.stringify(pending.map((p) => p.id)), aggregateId, aggregateType],
      { prepare: false },
    );
    const row = rows[0] as Row;
    return {
      ids: new Set(JSON.parse(String(row[STORED.ids])) as string[]),
      head: toNumber(row[STORED.head]),
      storeHead: toNumber(row[STORED.storeHead]),
    };
  }

  private toStoredEvent(row: Row): StoredEvent {
    const globalPosition = toNumber(row[READ.globalPosition]);
    const event = this.reviveData(row[READ.data]);
    return {
      event,
      streamId: `${String(row[READ.aggregateId])}:${String(row[READ.aggregateType])}`,
      streamPosition: toNumber(row[READ.version]),
      globalPosition,
      position: encodeTrustedPosition(String(row[READ.transactionId]), globalPosition),
      storedAt: toDate(row[READ.storedAt]),
    };
  }

  private async run(
    operation: string,
    text: string,
    params: readonly unknown[],
    options?: QueryOptions,
  ): Promise<Row[]> {
    try {
      return await this.db.query(text, params, options);
    } catch (error) {
      throw this.wrap(operation, error);
    }
  }

  private wrap(operation: string, error: unknown): PostgresEventStoreError {
    return new PostgresEventStoreError(
      operation,
      sqlStateOf(error),
      `PostgresEventStore.${operation} failed: ${describeDriverError(error)}`,
      { cause: error },
    );
  }
}

/** One event of a batch, as the append statement takes it (see `appendStatement`). */
interface PendingEvent {
  o: number;
  readonly id: string;
  readonly t: string;
  readonly ev: number;
  readonly v: number;
  readonly at: string;
  readonly tn: string | null;
  readonly d: SerializedEvent;
}

interface StoredIds {
  readonly ids: ReadonlySet<string>;
  readonly head: number;
  readonly storeHead: number;
}

/** Every event was already stored: a retry of a committed append. */
function duplicateResult(stored: StoredIds): AppendResult {
  return { success: true, newVersion: stored.head, globalPosition: stored.storeHead };
}

/** The `EventVersionError` for the first event not numbered `expected + 1…`. */
function versionError(
  pending: readonly PendingEvent[],
  aggregateId: string,
  expectedVersion: number,
): EventVersionError {
  const index = Math.max(
    0,
    pending.findIndex((p, i) => p.v !== expectedVersion + 1 + i),
  );
  const bad = pending[index] as PendingEvent;
  return new EventVersionError(expectedVersion + 1 + index, bad.v, bad.id, aggregateId);
}

/**
 * How a store revives the `data` column of the rows it reads: the driver parsed it (or it is JSON
 * text, parsed here), so nothing else holds it and `EventRegistry.deserializeOwned` may freeze it
 * in place instead of copying it. A registry whose `deserialize` is overridden (a subclass that
 * upcasts, say) keeps getting every row through that `deserialize`.
 */
function rowEventReviver(registry: EventRegistry): (data: unknown) => DomainEvent {
  if (
    registry.deserialize === EventRegistry.prototype.deserialize &&
    typeof registry.deserializeOwned === 'function'
  ) {
    return (data) => registry.deserializeOwned(data);
  }
  return (data) => registry.deserialize(toJsonObject(data));
}

function isoOrNull(field: string, value: unknown): string | null {
  if (value === undefined) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidConfigError(field, 'must be a valid Date', value);
  }
  return value.toISOString();
}

/** The default `onNotifyError`: a lost wake-up only delays listeners until their next poll. */
function ignoreNotifyError(): void {}
