/**
 * The transaction port that gives projections exactly-once effects on stores that support it.
 *
 * @module
 */
import type { DLQRepository } from '@es/dlq';
import type { CheckpointRepository } from './checkpoint-repository.js';

/**
 * One open transaction. Everything done through it (the handler's writes through
 * {@link UnitOfWork.transaction}, checkpoint saves through {@link UnitOfWork.checkpointRepo}, DLQ
 * writes through {@link UnitOfWork.dlqRepo}) commits together or not at all.
 */
export interface UnitOfWork<TTransaction = unknown> {
  /** The backend's transaction handle (for PostgreSQL: a drizzle transaction), handed to handlers. */
  readonly transaction: TTransaction;
  /** Checkpoint repository bound to this transaction. */
  readonly checkpointRepo: CheckpointRepository;
  /** DLQ repository bound to this transaction. */
  readonly dlqRepo: DLQRepository;
  /**
   * Runs `work` inside a savepoint: when it rejects, only its own writes are rolled back and the
   * rejection is passed on; the transaction stays usable.
   */
  savepoint<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Opens transactions for a {@link UnitOfWork}. Implemented by `@es/store-postgres`
 * (`PostgresUnitOfWorkProvider`); the in-memory backends need none.
 */
export interface UnitOfWorkProvider<TTransaction = unknown> {
  /** Runs `work` in one transaction: commits when it resolves, rolls back when it rejects. */
  runInTransaction<T>(work: (uow: UnitOfWork<TTransaction>) => Promise<T>): Promise<T>;
}
