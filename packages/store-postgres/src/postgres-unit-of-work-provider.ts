/**
 * {@link PostgresUnitOfWorkProvider}: transactions for exactly-once projections.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { type DLQLimits, resolveDLQLimits } from '@es/dlq';
import type { UnitOfWork, UnitOfWorkProvider } from '@es/subscriptions';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import {
  type PostgresConnection,
  type ResolvedConnection,
  resolveConnection,
} from './connection.js';
import {
  guardDrizzleClient,
  guardedDrizzle,
  guardedTransaction,
} from './internal/connection-loss.js';
import type { DrizzleDatabaseLike } from './internal/executor.js';
import { PostgresCheckpointRepository } from './postgres-checkpoint-repository.js';
import { PostgresDLQRepository } from './postgres-dlq-repository.js';
import { validateSchemaName } from './schema-name.js';

/** A drizzle PostgreSQL transaction, as handed to projection handlers. */
export type PostgresTransaction = PgTransaction<
  PgQueryResultHKT,
  Record<string, unknown>,
  ExtractTablesWithRelations<Record<string, unknown>>
>;

/**
 * The transaction type handlers get for a connection: the `tx` of the drizzle database you pass
 * (with its schema types), or {@link PostgresTransaction} for a connection string or PGlite.
 */
export type TransactionOf<C> = C extends DrizzleDatabaseLike
  ? // biome-ignore lint/suspicious/noExplicitAny: inferring from drizzle's generic method
    C extends { transaction(work: (tx: infer T) => Promise<any>, ...rest: any[]): Promise<any> }
    ? T
    : PostgresTransaction
  : PostgresTransaction;

/** Options of {@link PostgresUnitOfWorkProvider}. */
export interface PostgresUnitOfWorkProviderOptions<
  C extends PostgresConnection = PostgresConnection,
> {
  /**
   * A drizzle database (recommended: your read models are written through its transactions), a
   * connection string (a client is created and ended in `close()`) or a PGlite instance. A bare
   * postgres.js client is refused: drizzle would rewrite its type parsers (pass `drizzle(client)`).
   */
  readonly connection: C;
  /** The PostgreSQL schema of the checkpoint and DLQ tables; default `es`. */
  readonly schema?: string;
  /** Milliseconds since the epoch for checkpoint and DLQ timestamps. Default `Date.now`. */
  readonly clock?: () => number;
  /**
   * Overflow limits of the DLQ repository bound to each unit of work (see `PostgresDLQRepository`
   * and `DLQLimits` of `@es/dlq`); default unlimited. Use the same limits as the manager's
   * `dlqRepo`.
   */
  readonly dlqLimits?: DLQLimits;
}

/**
 * The {@link UnitOfWorkProvider} on PostgreSQL: each unit of work is one drizzle transaction, with
 * a checkpoint repository and a DLQ repository bound to it, and savepoints as nested drizzle
 * transactions. A projection that writes its read model through `context.transaction` gets its
 * writes, the checkpoint and any DLQ entry committed together or not at all (exactly-once
 * effects); a crash at any point leaves all or none.
 *
 * @example
 * ```ts
 * import { drizzle } from 'drizzle-orm/postgres-js';
 *
 * const db = drizzle(postgres(process.env.DATABASE_URL!));
 * const unitOfWork = new PostgresUnitOfWorkProvider({ connection: db });
 * await unitOfWork.runInTransaction(async (uow) => {
 *   await uow.transaction.insert(taskList).values({ id, title });
 *   await uow.checkpointRepo.savePosition('task-list', { position });
 * });
 * ```
 */
export class PostgresUnitOfWorkProvider<C extends PostgresConnection = PostgresConnection>
  implements UnitOfWorkProvider<TransactionOf<C>>
{
  private readonly connection: ResolvedConnection;
  private readonly schemaName: string;
  private readonly clock: (() => number) | undefined;
  private readonly dlqLimits: DLQLimits;

  /**
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for a bare postgres.js client, an unknown
   *   connection kind, a bad schema, clock or DLQ limit
   *   (`PostgresUnitOfWorkProvider.dlqLimits.maxEntriesPerProjection`, …)
   */
  constructor(options: PostgresUnitOfWorkProviderOptions<C>) {
    const field = 'PostgresUnitOfWorkProvider.connection';
    if (typeof options !== 'object' || options === null) {
      throw new InvalidConfigError(
        'PostgresUnitOfWorkProvider',
        'needs an options object with a connection',
        options,
      );
    }
    this.schemaName = validateSchemaName(options.schema, 'PostgresUnitOfWorkProvider.schema');
    this.connection = resolveConnection(options.connection, field);
    if (this.connection.given === 'postgres-js') {
      throw new InvalidConfigError(
        field,
        'must be a drizzle database, a connection string or a PGlite instance: drizzle rewrites ' +
          'the type parsers of a bare postgres.js client it wraps, so pass drizzle(client)',
        'postgres.js client',
      );
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidConfigError(
        'PostgresUnitOfWorkProvider.clock',
        'must be a function returning milliseconds',
        options.clock,
      );
    }
    this.clock = options.clock;
    if (
      options.dlqLimits !== undefined &&
      (typeof options.dlqLimits !== 'object' || options.dlqLimits === null)
    ) {
      throw new InvalidConfigError(
        'PostgresUnitOfWorkProvider.dlqLimits',
        'must be an object',
        options.dlqLimits,
      );
    }
    const limits = resolveDLQLimits(
      'PostgresUnitOfWorkProvider.dlqLimits',
      options.dlqLimits ?? {},
    );
    this.dlqLimits = {
      ...(limits.maxEntriesPerProjection === null
        ? {}
        : { maxEntriesPerProjection: limits.maxEntriesPerProjection }),
      ...(limits.maxEntriesPerStream === null
        ? {}
        : { maxEntriesPerStream: limits.maxEntriesPerStream }),
    };
  }

  /** The PostgreSQL schema of the checkpoint and DLQ tables. */
  get schema(): string {
    return this.schemaName;
  }

  /**
   * Runs `work` in one transaction: commits when it resolves, rolls back when it rejects (the
   * rejection is passed on).
   *
   * @throws whatever `work` throws; driver errors of BEGIN/COMMIT as the driver reports them
   */
  async runInTransaction<T>(work: (uow: UnitOfWork<TransactionOf<C>>) => Promise<T>): Promise<T> {
    const db = await this.connection.getDrizzle('PostgresUnitOfWorkProvider.connection');
    const schema = this.schemaName;
    const clock = this.clock;
    const dlqLimits = this.dlqLimits;
    // Guarded (DEF-7): once the connection is lost, neither the driver (rollback, commit,
    // rollback to savepoint) nor the repositories nor the savepoints send anything more on it;
    // the transaction still rejects with the connection failure.
    return guardedTransaction(
      (callback: (tx: DrizzleDatabaseLike) => Promise<T>) => db.transaction(callback),
      (tx, guard) => {
        // The handlers' own statements through `uow.transaction` are guarded too.
        guardDrizzleClient(tx, guard);
        const transaction = guardedDrizzle(tx, guard);
        const repoOptions =
          clock === undefined
            ? { connection: transaction, schema }
            : { connection: transaction, schema, clock };
        const uow: UnitOfWork<TransactionOf<C>> = {
          transaction: tx as TransactionOf<C>,
          checkpointRepo: new PostgresCheckpointRepository(repoOptions),
          dlqRepo: new PostgresDLQRepository({ ...repoOptions, ...dlqLimits }),
          savepoint: <R>(inner: () => Promise<R>) => transaction.transaction(() => inner()),
        };
        return work(uow);
      },
    );
  }

  /** Ends the client when this provider created it (connection string); no-op otherwise. */
  close(): Promise<void> {
    return this.connection.close();
  }
}
