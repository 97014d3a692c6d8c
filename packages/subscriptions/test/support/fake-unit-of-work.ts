/**
 * An in-memory UnitOfWorkProvider with staged writes: everything done through a unit of work
 * (read-model writes, checkpoint saves, DLQ writes and resolves) is applied to the base repositories only when
 * the transaction commits; a savepoint that rejects drops its own writes. Failures can be injected
 * at named points.
 */
import type { Position } from '@es/core';
import type { AddFailedEventInput, DLQRepository } from '@es/dlq';
import { InMemoryDLQRepository, isUnresolvedDLQStatus } from '@es/dlq';
import { ConnectionError } from '@es/resilience';
import type { CheckpointRepository, SavePositionInput } from '../../src/checkpoint-repository.js';
import { comparePositions } from '../../src/compare-positions.js';
import { InMemoryCheckpointRepository } from '../../src/in-memory-checkpoint-repository.js';
import type { UnitOfWork, UnitOfWorkProvider } from '../../src/unit-of-work.js';

type Op =
  | { readonly kind: 'write'; readonly key: string; readonly value: number }
  | { readonly kind: 'checkpoint'; readonly id: string; readonly input: SavePositionInput }
  | { readonly kind: 'dlq'; readonly input: AddFailedEventInput }
  | { readonly kind: 'resolve'; readonly id: string; readonly by: string };

/** The transaction handle handed to projections. */
export interface FakeTransaction {
  /** Writes a read-model row (staged until commit). */
  write(key: string, value: number): void;
}

/** Where a failure can be injected. */
export type FailurePoint = 'commit' | 'checkpoint' | 'dlq' | 'savepoint';

export class FakeUnitOfWorkProvider implements UnitOfWorkProvider<FakeTransaction> {
  readonly checkpoints = new InMemoryCheckpointRepository();
  readonly dlq = new InMemoryDLQRepository();
  /** Committed read-model rows. */
  readonly rows = new Map<string, number>();
  /** How many committed writes each key got (exactly-once: 1). */
  readonly writeCounts = new Map<string, number>();
  commits = 0;
  rollbacks = 0;
  /** Remaining injected failures per point. */
  readonly failures: Record<FailurePoint, number> = {
    commit: 0,
    checkpoint: 0,
    dlq: 0,
    savepoint: 0,
  };
  /** When set, a commit fails (once per true answer) if this returns true for the staged ops. */
  failCommitWhen: ((ops: readonly Op[]) => boolean) | undefined;
  /** Called after each commit (for invariant checks). */
  onCommit: (() => Promise<void> | void) | undefined;
  /**
   * Row locks of checkpoint saves, like PostgreSQL's: a transaction that saved a checkpoint holds
   * it until it ends, and another transaction's save of the same id waits, then checks against
   * what was committed. So two instances on one provider race as they would on a database.
   */
  private readonly rowLocks = new Map<string, Promise<void>>();
  /** The lock sets of ended transactions: a save still waiting when its transaction ended fails. */
  private readonly ended = new WeakSet<Map<string, () => void>>();

  async runInTransaction<T>(work: (uow: UnitOfWork<FakeTransaction>) => Promise<T>): Promise<T> {
    const ops: Op[] = [];
    const held = new Map<string, () => void>();
    const unit = this.unit(ops, held);
    let result: T;
    try {
      try {
        result = await work(unit);
        if (this.take('commit') || (this.failCommitWhen?.(ops) ?? false)) {
          throw new ConnectionError('commit failed');
        }
      } catch (error) {
        this.rollbacks++;
        throw error;
      }
      await this.apply(ops);
    } finally {
      this.ended.add(held);
      for (const [id, release] of held) {
        this.rowLocks.delete(id);
        release();
      }
    }
    this.commits++;
    await this.onCommit?.();
    return result;
  }

  private async apply(ops: readonly Op[]): Promise<void> {
    for (const op of ops) {
      if (op.kind === 'write') {
        this.rows.set(op.key, op.value);
        this.writeCounts.set(op.key, (this.writeCounts.get(op.key) ?? 0) + 1);
      } else if (op.kind === 'checkpoint') {
        if (!(await this.checkpoints.savePosition(op.id, op.input))) {
          throw new Error('staged checkpoint went backwards at commit');
        }
      } else if (op.kind === 'resolve') {
        await this.dlq.markResolved(op.id, op.by);
      } else {
        await this.dlq.addFailedEvent(op.input);
      }
    }
  }

  /** Takes the row lock of checkpoint `id` for the transaction holding `held` (waits for others). */
  private async lockRow(id: string, held: Map<string, () => void>): Promise<void> {
    if (held.has(id)) return;
    for (let other = this.rowLocks.get(id); other !== undefined; other = this.rowLocks.get(id)) {
      await other;
    }
    // An abandoned transaction's save that got the lock after the transaction ended (PostgreSQL
    // ends the statement with its transaction): it must not hold the row forever.
    if (this.ended.has(held)) throw new ConnectionError('transaction already ended');
    let release!: () => void;
    this.rowLocks.set(
      id,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    held.set(id, release);
  }

  private take(point: FailurePoint): boolean {
    if (this.failures[point] <= 0) return false;
    this.failures[point]--;
    return true;
  }

  private unit(ops: Op[], held: Map<string, () => void>): UnitOfWork<FakeTransaction> {
    const base = this.checkpoints;
    const stagedPosition = (id: string): Position | undefined => {
      for (let i = ops.length - 1; i >= 0; i--) {
        const op = ops[i] as Op;
        if (op.kind === 'checkpoint' && op.id === id) return op.input.position;
      }
      return undefined;
    };
    const checkpointRepo: CheckpointRepository = {
      getPosition: async (id) => stagedPosition(id) ?? base.getPosition(id),
      savePosition: async (id, input) => {
        if (this.take('checkpoint')) throw new ConnectionError('checkpoint write failed');
        await this.lockRow(id, held);
        const staged = stagedPosition(id);
        const current = staged ?? (await base.getPosition(id));
        if (current !== null && comparePositions(input.position, current) < 0) return false;
        if (input.expected !== undefined && input.expected !== current) return false;
        ops.push({ kind: 'checkpoint', id, input });
        return true;
      },
      resetCheckpoint: (id) => base.resetCheckpoint(id),
      getCheckpoint: (id) => base.getCheckpoint(id),
      getAllCheckpoints: () => base.getAllCheckpoints(),
    };
    const dlq = this.dlq;
    let staged = 0;
    const dlqRepo: DLQRepository = {
      addFailedEvent: async (input) => {
        if (this.take('dlq')) throw new ConnectionError('dlq write failed');
        ops.push({ kind: 'dlq', input });
        return `staged-${++staged}`;
      },
      getFailedEvents: (o) => dlq.getFailedEvents(o),
      getFailedEventById: (id) => dlq.getFailedEventById(id),
      markRetrying: (id) => dlq.markRetrying(id),
      markResolved: async (id, by) => {
        // Staged like every other write: it lands with the commit or not at all.
        const entry = await dlq.getFailedEventById(id);
        if (entry === null || !isUnresolvedDLQStatus(entry.status)) return false;
        if (ops.some((op) => op.kind === 'resolve' && op.id === id)) return false;
        ops.push({ kind: 'resolve', id, by });
        return true;
      },
      markDiscarded: (id, by) => dlq.markDiscarded(id, by),
      getFailureStats: () => dlq.getFailureStats(),
      getProjectionFailureCounts: () => dlq.getProjectionFailureCounts(),
      deleteResolvedEvents: (days) => dlq.deleteResolvedEvents(days),
      listEntries: (o) => dlq.listEntries(o),
      getBlockedStreams: (p) => dlq.getBlockedStreams(p),
      getProjectionDepth: (p) => dlq.getProjectionDepth(p),
    };
    return {
      transaction: { write: (key, value) => ops.push({ kind: 'write', key, value }) },
      checkpointRepo,
      dlqRepo,
      savepoint: async <T>(work: () => Promise<T>): Promise<T> => {
        if (this.take('savepoint')) throw new ConnectionError('savepoint failed');
        const mark = ops.length;
        try {
          return await work();
        } catch (error) {
          ops.length = mark;
          throw error;
        }
      },
    };
  }
}
