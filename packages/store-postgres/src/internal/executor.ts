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

/** A row as an array of column values, in the statement's column order. */
export type Row = readonly unknown[];

/** Runs this package's SQL. */
export interface Executor {
  /** Runs one statement (prepared and cached by the driver where it can) and returns its rows. */
  query(text: string, params: readonly unknown[]): Promise<Row[]>;
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
  constructor(private readonly sql: AnySql) {}

  query(text: string, params: readonly unknown[]): Promise<Row[]> {
    return this.sql.unsafe(text, params as never[], { prepare: true }).values() as Promise<Row[]>;
  }

  async run(text: string): Promise<void> {
    await this.sql.unsafe(text);
  }

  async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    const sql = this.sql as Partial<TransactionSql<Record<string, unknown>>> &
      Partial<Sql<Record<string, unknown>>>;
    if (typeof sql.savepoint === 'function') {
      return sql.savepoint((tx) => work(new PostgresJsExecutor(tx))) as Promise<T>;
    }
    if (typeof sql.begin === 'function') {
      return sql.begin((tx) => work(new PostgresJsExecutor(tx))) as Promise<T>;
    }
    // A reserved connection: a plain BEGIN … COMMIT on it.
    await this.run('BEGIN');
    try {
      const result = await work(this);
      await this.run('COMMIT');
      return result;
    } catch (error) {
      await this.run('ROLLBACK').catch(() => {});
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
  constructor(readonly db: DrizzleDatabaseLike) {}

  async query(text: string, params: readonly unknown[]): Promise<Row[]> {
    const result = await this.db._.session
      .prepareQuery({ sql: text, params: params as unknown[] }, undefined, 'es', false)
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
