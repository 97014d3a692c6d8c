/**
 * The one thing the repositories need from a connection: run a parameterised statement and get
 * its rows as arrays, and open a transaction.
 *
 * Every statement of this package is written so that it does not depend on the client's type
 * parsers and serializers: parameters are strings or numbers cast explicitly in SQL
 * (`$1::text::jsonb`), results are read by column index and normalised (`Number(x)` for `bigint`,
 * epoch milliseconds as `float8` instead of `timestamptz`). So the same SQL runs unchanged on a
 * postgres.js client with default parsers, on one whose parsers drizzle rewrote, on PGlite and
 * on any drizzle database or transaction.
 *
 * @module
 * @internal
 */
import type { Sql, TransactionSql } from 'postgres';
import {
  guardedTransaction,
  isConnectionLoss,
  refused,
  type TransactionGuard,
} from './connection-loss.js';

/** A row as an array of column values, in the statement's column order. */
export type Row = readonly unknown[];

/** Options of {@link Executor.query}. */
export interface QueryOptions {
  /** Use a named prepared statement (default true). */
  readonly prepare?: boolean;
}

/** Runs this package's SQL. */
export interface Executor {
  /**
   * Runs one statement and returns its rows. By default it is prepared (a named statement the
   * driver caches per connection); `prepare: false` plans it anew with the actual parameters, for
   * rare statements whose generic plan could go stale.
   */
  query(text: string, params: readonly unknown[], options?: QueryOptions): Promise<Row[]>;
  /** True when statements run inside a transaction the caller controls (a failure aborts it). */
  readonly inTransaction: boolean;
  /** Runs one statement without parameters and without preparing it (DDL). */
  run(text: string): Promise<void>;
  /** Runs `work` in a transaction (a savepoint when this executor is already in one). */
  transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T>;
}

/**
 * The subset of a drizzle `PgDatabase` / `PgTransaction` this package uses: its session's
 * `prepareQuery` (public in drizzle's typings) and `transaction`.
 */
export interface DrizzleDatabaseLike {
  readonly _: {
    readonly session: {
      prepareQuery(
        query: { sql: string; params: unknown[] },
        fields: undefined,
        name: string | undefined,
        isResponseInArrayMode: boolean,
      ): { execute(placeholderValues?: Record<string, unknown>): Promise<unknown> };
    };
  };
  // biome-ignore lint/suspicious/noExplicitAny: drizzle's transaction types vary by driver and schema
  transaction<T>(work: (tx: any) => Promise<T>): Promise<T>;
}

type AnySql = Sql<Record<string, unknown>> | TransactionSql<Record<string, unknown>>;

/** Runs statements through postgres.js as named prepared statements (`unsafe(…, { prepare })`). */
export class PostgresJsExecutor implements Executor {
  readonly inTransaction: boolean;

  /**
   * @param sql - the client, reserved connection or transaction
   * @param guard - set inside a transaction this executor opened: once it stops (connection lost,
   *   or the transaction is over) statements are refused without reaching the driver (DEF-7)
   */
  constructor(
    private readonly sql: AnySql,
    private readonly guard?: TransactionGuard,
  ) {
    // A postgres.js transaction has savepoint(). (A reserved connection may be inside a BEGIN of
    // its own; that cannot be seen from here, so it counts as outside.)
    this.inTransaction = typeof (sql as { savepoint?: unknown }).savepoint === 'function';
  }

  query(text: string, params: readonly unknown[], options?: QueryOptions): Promise<Row[]> {
    if (this.guard?.stopped === true) return refused(this.guard);
    return this.sql
      .unsafe(text, params as never[], { prepare: options?.prepare ?? true })
      .values() as Promise<Row[]>;
  }

  async run(text: string): Promise<void> {
    if (this.guard?.stopped === true) return refused(this.guard);
    await this.sql.unsafe(text);
  }

  async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    const sql = this.sql as Partial<TransactionSql<Record<string, unknown>>> &
      Partial<Sql<Record<string, unknown>>>;
    // Every transaction and savepoint is guarded (DEF-7): once the connection is lost, the
    // callback is held so that postgres.js does not send ROLLBACK (or ROLLBACK TO) on it.
    if (typeof sql.savepoint === 'function') {
      const savepoint = sql.savepoint.bind(sql);
      const parent = this.guard;
      if (parent !== undefined) {
        // In a transaction of ours: its guard ends when the transaction does.
        if (parent.stopped) return refused(parent);
        return savepoint((tx) =>
          parent.settle(() => work(new PostgresJsExecutor(tx, parent))),
        ) as Promise<T>;
      }
      // In a transaction the caller opened: only our statements run in the callback, so a loss
      // they report is real, and the callback is held for good (see TransactionGuard).
      return guardedTransaction(
        (callback: (tx: TransactionSql<Record<string, unknown>>) => Promise<T>) =>
          savepoint(callback) as Promise<T>,
        (tx, guard) => work(new PostgresJsExecutor(tx, guard)),
        { release: false },
      );
    }
    if (typeof sql.begin === 'function') {
      const begin = sql.begin.bind(sql);
      return guardedTransaction(
        (callback: (tx: TransactionSql<Record<string, unknown>>) => Promise<T>) =>
          begin(callback) as Promise<T>,
        (tx, guard) => work(new PostgresJsExecutor(tx, guard)),
      );
    }
    // A reserved connection: a plain BEGIN … COMMIT on it.
    await this.run('BEGIN');
    try {
      const result = await work(this);
      await this.run('COMMIT');
      return result;
    } catch (error) {
      // Not on a lost connection: the driver would crash the process (DEF-7).
      if (!isConnectionLoss(error)) await this.run('ROLLBACK').catch(() => {});
      throw error;
    }
  }
}

/**
 * Runs statements through a drizzle database or transaction (PGlite, or a drizzle database the
 * caller handed in). A name is given to every statement so that drizzle's postgres.js driver
 * prepares it.
 */
export class DrizzleExecutor implements Executor {
  readonly inTransaction: boolean;

  constructor(readonly db: DrizzleDatabaseLike) {
    // drizzle transactions have rollback(); databases do not.
    this.inTransaction = typeof (db as { rollback?: unknown }).rollback === 'function';
  }

  async query(text: string, params: readonly unknown[], options?: QueryOptions): Promise<Row[]> {
    const name = options?.prepare === false ? undefined : 'es';
    const result = await this.db._.session
      .prepareQuery({ sql: text, params: params as unknown[] }, undefined, name, false)
      .execute();
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) ?? [];
    const out: Row[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      out[i] = Array.isArray(row) ? row : Object.values(row as object);
    }
    return out;
  }

  async run(text: string): Promise<void> {
    await this.db._.session
      .prepareQuery({ sql: text, params: [] }, undefined, undefined, false)
      .execute();
  }

  transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx: DrizzleDatabaseLike) => work(new DrizzleExecutor(tx)));
  }
}
