/**
 * PostgreSQL plumbing of the suite: the server URL (loopback only), throwaway databases and
 * schemas, the projection table every subscriber writes to, and reading a run back as a history.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { DomainEvent } from '@es/core';
import { ConnectionError, KeyError } from '@es/resilience';
import {
  migrate,
  PostgresCheckpointRepository,
  PostgresDLQRepository,
  PostgresEventStore,
  type PostgresTransaction,
  PostgresUnitOfWorkProvider,
} from '@es/store-postgres';
import {
  type Projection,
  type ProjectionContext,
  SubscriptionManager,
  type SubscriptionManagerOptions,
} from '@es/subscriptions';
import { sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import { assertLoopbackUrl } from '../faults/loopback.js';
import type { FateRecord, StoredRecord } from '../history/history.js';
import { behaviourOf } from './events.js';

/** The shared server when `DATABASE_URL` is not set. */
export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The server URL (`DATABASE_URL` or the default); refuses anything but loopback. */
export function serverUrl(): string {
  const url = process.env.DATABASE_URL ?? DEFAULT_SERVER_URL;
  assertLoopbackUrl(url, 'reliability suite (DATABASE_URL)');
  return url;
}

/** A postgres.js client; `applicationName` lets tests find (and terminate) its backends. */
export function connect(
  url: string,
  options: {
    max?: number;
    applicationName?: string;
    connectTimeout?: number;
    fetchTypes?: boolean;
  } = {},
): Sql {
  assertLoopbackUrl(url, 'reliability suite');
  return postgres(url, {
    max: options.max ?? 4,
    onnotice: () => {},
    connect_timeout: options.connectTimeout ?? 10,
    // The stacks follow @es/store-postgres's recommendation (README, "postgres.js and lost
    // connections"): with fetch_types, a backend lost during connection start-up leaves an
    // unhandled rejection in postgres.js 3.4.x. Admin clients keep it (array parameters).
    fetch_types: options.fetchTypes ?? true,
    connection: { application_name: options.applicationName ?? 'es-reliability' },
  });
}

/** A throwaway database on a server. */
export interface ThrowawayDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates `<prefix>_<random>` on the server at `baseUrl`. Fails loudly when the server is not
 * reachable: the integration tier is never skipped.
 */
export async function createDatabase(
  baseUrl: string,
  prefix = 'es_rel',
): Promise<ThrowawayDatabase> {
  assertLoopbackUrl(baseUrl, 'reliability suite');
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await admin`SELECT 1`;
  } catch (error) {
    await admin.end({ timeout: 1 }).catch(() => {});
    const reason =
      error instanceof Error ? `${error.name} ${(error as { code?: string }).code ?? ''}` : '';
    throw new Error(
      `The reliability integration tier needs PostgreSQL and ${redact(baseUrl)} is not reachable (${reason.trim()}). ` +
        'Start it (pg_ctlcluster --skip-systemctl-redirect <version> main start, or scripts/ensure-postgres.sh) ' +
        'or set DATABASE_URL to a reachable loopback server. These tests are never skipped.',
    );
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

/** The projection table every subscriber of the suite writes to, in its transaction. */
export function projectionTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS "${schema}".rel_applied (
  seq bigserial PRIMARY KEY,
  subscriber text NOT NULL,
  event_id text NOT NULL,
  stream_id text NOT NULL,
  version integer NOT NULL,
  position text,
  redrive boolean NOT NULL DEFAULT false,
  os_pid integer
)`;
}

/** A fresh migrated schema `<prefix>_<random>` with the projection table. */
export async function freshSchema(sql: Sql, prefix = 'rel'): Promise<string> {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  await migrate(sql, { schema });
  await sql.unsafe(projectionTableSql(schema));
  return schema;
}

/** Options of {@link appliedProjection}. */
export interface AppliedProjectionOptions {
  readonly name: string;
  readonly schema: string;
  readonly eventTypes?: readonly string[];
  /** Called after the row is written (inside the transaction), for crash points and counters. */
  readonly afterApply?: (
    event: DomainEvent,
    context: ProjectionContext<PostgresTransaction>,
  ) => void | Promise<void>;
  /** The poison is fixed: `poison` events are applied like any other (redrive tests). */
  readonly fixed?: boolean;
  /** Called before anything else (to block, count attempts…). */
  readonly beforeApply?: (
    event: DomainEvent,
    context: ProjectionContext<PostgresTransaction>,
  ) => void | Promise<void>;
}

/**
 * A projection that records every application as a row of `rel_applied`, written through the
 * unit of work's transaction (so it commits with the checkpoint and the DLQ entries, or not at
 * all). `poison` events throw a non-retryable `KeyError`; `flaky` ones a transient
 * `ConnectionError` on their first `failTimes` attempts.
 */
export function appliedProjection(
  options: AppliedProjectionOptions,
): Projection<DomainEvent, PostgresTransaction> {
  const table = dsql.raw(`"${options.schema}".rel_applied`);
  return {
    name: options.name,
    ...(options.eventTypes === undefined ? {} : { eventTypes: options.eventTypes }),
    async handle(event, context) {
      await options.beforeApply?.(event, context);
      const behaviour = behaviourOf(event);
      if (behaviour === 'poison' && options.fixed !== true) {
        throw new KeyError(`poison event ${event.eventId} of ${event.aggregateId}`, {
          key: event.eventId,
        });
      }
      if (behaviour === 'flaky') {
        const failTimes = Number((event as { failTimes?: unknown }).failTimes ?? 1);
        if (context.attempt < failTimes) {
          throw new ConnectionError(`flaky event ${event.eventId}: attempt ${context.attempt}`);
        }
      }
      const tx = context.transaction;
      if (tx === undefined) throw new Error('appliedProjection needs a unitOfWork');
      const position = context.position === null ? null : String(context.position);
      await tx.execute(
        dsql`INSERT INTO ${table} (subscriber, event_id, stream_id, version, position, redrive, os_pid)
             VALUES (${context.subscriptionId}, ${event.eventId}, ${event.aggregateId}, ${event.aggregateVersion}, ${position}, ${context.redrive}, ${process.pid})`,
      );
      await options.afterApply?.(event, context);
    },
  };
}

/** Everything one process needs to run subscriptions on a schema. */
export interface PgStack {
  readonly schema: string;
  /** Store, repositories and the suite's own queries. */
  readonly sql: Sql;
  /** The client behind the unit of work (drizzle wraps it). */
  readonly txSql: Sql;
  readonly store: PostgresEventStore;
  readonly checkpoints: PostgresCheckpointRepository;
  readonly dlq: PostgresDLQRepository;
  readonly unitOfWork: PostgresUnitOfWorkProvider;
  /** A manager on this stack with fast test defaults; `options` override them. */
  manager(
    options?: Partial<SubscriptionManagerOptions<PostgresTransaction>>,
  ): SubscriptionManager<PostgresTransaction>;
  /** Ends both clients; queries still running after `timeoutSeconds` (default 5) are cut off. */
  close(timeoutSeconds?: number): Promise<void>;
}

/** Options of {@link pgStack}. */
export interface PgStackOptions {
  readonly applicationName?: string;
  readonly max?: number;
  readonly txMax?: number;
  /** Send NOTIFY on append (default true). */
  readonly notify?: boolean;
  /** postgres.js `connect_timeout` in seconds (default 10). */
  readonly connectTimeout?: number;
}

/** Builds a {@link PgStack} on `url` and `schema`. */
export function pgStack(url: string, schema: string, options: PgStackOptions = {}): PgStack {
  const name = options.applicationName ?? 'es-reliability';
  const timeout =
    options.connectTimeout === undefined ? {} : { connectTimeout: options.connectTimeout };
  const sql = connect(url, {
    max: options.max ?? 4,
    applicationName: name,
    fetchTypes: false,
    ...timeout,
  });
  const txSql = connect(url, {
    max: options.txMax ?? 2,
    applicationName: `${name}-tx`,
    fetchTypes: false,
    ...timeout,
  });
  const db = drizzle(txSql);
  const store = new PostgresEventStore({
    connection: sql,
    schema,
    ...(options.notify === undefined ? {} : { notify: options.notify }),
  });
  const checkpoints = new PostgresCheckpointRepository({ connection: sql, schema });
  const dlq = new PostgresDLQRepository({ connection: sql, schema });
  const unitOfWork = new PostgresUnitOfWorkProvider({ connection: db, schema });
  return {
    schema,
    sql,
    txSql,
    store,
    checkpoints,
    dlq,
    unitOfWork,
    manager: (overrides = {}) =>
      new SubscriptionManager<PostgresTransaction>({
        eventStore: store,
        checkpointRepo: checkpoints,
        dlqRepo: dlq,
        unitOfWork,
        pollIntervalMs: 20,
        shutdownTimeoutMs: 5_000,
        infrastructureRetry: { maxRetries: 0, initialDelayMs: 10, maxDelayMs: 200, jitter: 0.1 },
        infrastructureBreaker: { failureThreshold: 1_000, recoveryTimeoutMs: 100 },
        handlerBreaker: false,
        ...overrides,
      }),
    close: async (timeout = 5) => {
      await Promise.all([sql.end({ timeout }), txSql.end({ timeout })]);
    },
  };
}

/** The store's events in cursor order `(transaction id, global position)`. */
export async function loadStored(sql: Sql, schema: string): Promise<StoredRecord[]> {
  const rows = await sql.unsafe<{ event_id: string; aggregate_id: string; version: number }[]>(
    `SELECT event_id, aggregate_id, version::int AS version FROM "${schema}".events ORDER BY transaction_id, global_position`,
  );
  return rows.map((r) => ({
    eventId: r.event_id,
    streamId: r.aggregate_id,
    version: Number(r.version),
  }));
}

/**
 * The fates one subscriber committed: its `rel_applied` rows (in commit order) and its DLQ
 * entries (`parked` → parked, every other status → dead-lettered, since resolved and discarded
 * entries were dead-lettered first).
 */
export async function loadFates(
  sql: Sql,
  schema: string,
  subscriber: string,
): Promise<FateRecord[]> {
  const applied = await sql.unsafe<
    { seq: string; event_id: string; stream_id: string; version: number; redrive: boolean }[]
  >(
    `SELECT seq::text AS seq, event_id, stream_id, version::int AS version, redrive FROM "${schema}".rel_applied WHERE subscriber = $1 ORDER BY seq`,
    [subscriber],
  );
  const dead = await sql.unsafe<
    { event_id: string; status: string; stream_id: string | null; stream_position: number | null }[]
  >(
    `SELECT event_id, status, stream_id, stream_position::int AS stream_position FROM "${schema}".dead_letter_queue WHERE projection_name = $1 ORDER BY id`,
    [subscriber],
  );
  const fates: FateRecord[] = applied.map((r) => ({
    subscriber,
    eventId: r.event_id,
    fate: 'applied',
    seq: Number(r.seq),
    streamId: r.stream_id,
    version: Number(r.version),
    redrive: r.redrive,
  }));
  for (const r of dead) {
    fates.push({
      subscriber,
      eventId: r.event_id,
      fate: r.status === 'parked' ? 'parked' : 'dead-lettered',
      ...(r.stream_id === null ? {} : { streamId: r.stream_id }),
      ...(r.stream_position === null ? {} : { version: Number(r.stream_position) }),
    });
  }
  return fates;
}

/** Terminates the backends whose `application_name` starts with `prefix`; returns how many. */
export async function terminateBackends(admin: Sql, prefix: string): Promise<number> {
  const rows = await admin.unsafe<{ terminated: boolean }[]>(
    `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
     WHERE application_name LIKE $1 || '%' AND pid <> pg_backend_pid() AND datname = current_database()`,
    [prefix],
  );
  return rows.filter((r) => r.terminated).length;
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'DATABASE_URL';
  }
}
