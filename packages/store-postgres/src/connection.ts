/**
 * What `connection` may be, and how each kind is used.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import postgres, { type ReservedSql, type Sql, type TransactionSql } from 'postgres';
import {
  type DrizzleDatabaseLike,
  DrizzleExecutor,
  type Executor,
  PostgresJsExecutor,
} from './internal/executor.js';

/**
 * The part of a PGlite instance (`@electric-sql/pglite`) this package uses. Declared here so that
 * PGlite stays an optional peer dependency.
 */
export interface PGliteConnection {
  query(query: string, params?: unknown[], options?: never): Promise<{ rows: unknown[] }>;
  exec(query: string): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: PGlite's Transaction type stays out of our API
  transaction<T>(callback: (tx: any) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  readonly waitReady: Promise<void>;
}

/**
 * A drizzle database or transaction (`drizzle(client)` from `drizzle-orm/postgres-js` or
 * `drizzle-orm/pglite`, or the `tx` of `db.transaction`).
 */
export type DrizzleConnection = DrizzleDatabaseLike;

/**
 * Where the store lives:
 *
 * - a connection string: the component creates its own postgres.js client and ends it in
 *   `close()`;
 * - a postgres.js `Sql` client (or a reserved connection or transaction of one): used as is,
 *   never handed to drizzle (drizzle rewrites the type parsers of a client it wraps) and never
 *   ended by the component;
 * - a PGlite instance: in-process PostgreSQL, used through drizzle's PGlite driver;
 * - a drizzle database (or transaction) built on either.
 */
export type PostgresConnection =
  | string
  // biome-ignore lint/suspicious/noExplicitAny: any postgres.js client, whatever its custom types
  | Sql<any>
  // biome-ignore lint/suspicious/noExplicitAny: a reserved connection of any client
  | ReservedSql<any>
  // biome-ignore lint/suspicious/noExplicitAny: a transaction of any client
  | TransactionSql<any>
  | PGliteConnection
  | DrizzleConnection;

/** Where LISTEN can be done for a connection. */
export type NotificationSource =
  | { readonly kind: 'postgres-js'; readonly sql: Sql<Record<string, unknown>> }
  | { readonly kind: 'pglite'; readonly pglite: PGliteConnection };

/**
 * A connection resolved into what the components need.
 *
 * @internal
 */
export interface ResolvedConnection {
  /** `'string'`, `'postgres-js'`, `'pglite'` or `'drizzle'`: what was given. */
  readonly given: 'string' | 'postgres-js' | 'pglite' | 'drizzle';
  /** The executor, when available synchronously (every kind but PGlite). */
  readonly executor: Executor | undefined;
  /** The executor (PGlite needs an asynchronous import of drizzle's driver first). */
  getExecutor(): Promise<Executor>;
  /** Where to LISTEN, or undefined for a drizzle transaction. */
  readonly notificationSource: NotificationSource | undefined;
  /**
   * A drizzle database to open handler transactions on.
   *
   * @throws {InvalidConfigError} for a bare postgres.js client (see `PostgresUnitOfWorkProvider`)
   */
  getDrizzle(field: string): Promise<DrizzleDatabaseLike>;
  /** Ends the client when this component created it; no-op otherwise. */
  close(): Promise<void>;
}

/**
 * Resolves a {@link PostgresConnection}.
 *
 * @internal
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when `connection` is none of the accepted kinds
 */
export function resolveConnection(connection: unknown, field: string): ResolvedConnection {
  if (typeof connection === 'string') return fromString(connection, field);
  if (isPostgresJs(connection)) return fromPostgresJs(connection);
  if (isPGlite(connection)) return fromPGlite(connection);
  if (isDrizzle(connection)) return fromDrizzle(connection);
  throw new InvalidConfigError(
    field,
    'must be a connection string, a postgres.js client, a PGlite instance or a drizzle database',
    connection,
  );
}

function fromString(url: string, field: string): ResolvedConnection {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new InvalidConfigError(field, 'a connection string must start with postgres://', url);
  }
  // fetch_types: false (DEF-7): postgres.js fetches the array types on every new connection from
  // ReadyForQuery without handling its failure, so a backend lost during start-up leaves an
  // unhandled rejection (fatal under Node's defaults). This package's SQL casts every parameter
  // and reads no array column, so it needs no fetched types.
  const sql = postgres(url, { onnotice: () => {}, fetch_types: false }) as unknown as Sql<
    Record<string, unknown>
  >;
  const executor = new PostgresJsExecutor(sql);
  let drizzleDb: Promise<DrizzleDatabaseLike> | undefined;
  let closed = false;
  return {
    given: 'string',
    executor,
    getExecutor: () => Promise.resolve(executor),
    notificationSource: { kind: 'postgres-js', sql },
    getDrizzle: () => {
      // This client is ours: letting drizzle rewrite its parsers breaks nothing (our SQL does not
      // depend on them).
      drizzleDb ??= import('drizzle-orm/postgres-js').then(
        ({ drizzle }) => drizzle(sql as never) as unknown as DrizzleDatabaseLike,
      );
      return drizzleDb;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await sql.end({ timeout: 5 });
    },
  };
}

function fromPostgresJs(sql: Sql<Record<string, unknown>>): ResolvedConnection {
  const executor = new PostgresJsExecutor(sql);
  return {
    given: 'postgres-js',
    executor,
    getExecutor: () => Promise.resolve(executor),
    // A transaction or reserved connection has no options to open a listening connection with.
    notificationSource: sql.options === undefined ? undefined : { kind: 'postgres-js', sql },
    getDrizzle: (field) =>
      Promise.reject(
        new InvalidConfigError(
          field,
          'must be a drizzle database, a connection string or a PGlite instance to open handler ' +
            'transactions: drizzle rewrites the type parsers of a bare postgres.js client it wraps, ' +
            'so pass drizzle(client) instead',
          'postgres.js client',
        ),
      ),
    close: () => Promise.resolve(),
  };
}

function fromPGlite(pglite: PGliteConnection): ResolvedConnection {
  let drizzleDb: Promise<DrizzleDatabaseLike> | undefined;
  const getDrizzle = (): Promise<DrizzleDatabaseLike> => {
    drizzleDb ??= import('drizzle-orm/pglite').then(
      ({ drizzle }) => drizzle(pglite as never) as unknown as DrizzleDatabaseLike,
    );
    return drizzleDb;
  };
  let executor: Promise<Executor> | undefined;
  const resolved: ResolvedConnection = {
    given: 'pglite',
    executor: undefined,
    getExecutor: () => {
      executor ??= getDrizzle().then((db) => {
        const ex = new DrizzleExecutor(db);
        (resolved as { executor: Executor | undefined }).executor = ex;
        return ex;
      });
      return executor;
    },
    notificationSource: { kind: 'pglite', pglite },
    getDrizzle,
    close: () => Promise.resolve(),
  };
  return resolved;
}

function fromDrizzle(db: DrizzleDatabaseLike): ResolvedConnection {
  const client = (db as { $client?: unknown }).$client;
  // A drizzle database on postgres.js: its client already has drizzle's parsers, and running our
  // statements on it directly (prepared) is what drizzle would do anyway, minus a layer.
  const executor: Executor = isPostgresJs(client)
    ? new PostgresJsExecutor(client)
    : new DrizzleExecutor(db);
  const notificationSource: NotificationSource | undefined =
    isPostgresJs(client) && client.options !== undefined
      ? { kind: 'postgres-js', sql: client }
      : isPGlite(client)
        ? { kind: 'pglite', pglite: client }
        : undefined;
  return {
    given: 'drizzle',
    executor,
    getExecutor: () => Promise.resolve(executor),
    notificationSource,
    getDrizzle: () => Promise.resolve(db),
    close: () => Promise.resolve(),
  };
}

/** True for a postgres.js client: an `Sql`, a reserved connection or a transaction. */
export function isPostgresJs(value: unknown): value is Sql<Record<string, unknown>> {
  if (typeof value !== 'function') return false;
  const v = value as { unsafe?: unknown; begin?: unknown; savepoint?: unknown; release?: unknown };
  return (
    typeof v.unsafe === 'function' &&
    (typeof v.begin === 'function' ||
      typeof v.savepoint === 'function' ||
      typeof v.release === 'function')
  );
}

/** True for a PGlite instance. */
export function isPGlite(value: unknown): value is PGliteConnection {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.query === 'function' &&
    typeof v.exec === 'function' &&
    typeof v.listen === 'function' &&
    typeof v.transaction === 'function' &&
    'waitReady' in v
  );
}

/** True for a drizzle PostgreSQL database or transaction. */
export function isDrizzle(value: unknown): value is DrizzleDatabaseLike {
  if (typeof value !== 'object' || value === null) return false;
  const internals = (value as { _?: { session?: { prepareQuery?: unknown } } })._;
  return (
    typeof internals?.session?.prepareQuery === 'function' &&
    typeof (value as { transaction?: unknown }).transaction === 'function'
  );
}
