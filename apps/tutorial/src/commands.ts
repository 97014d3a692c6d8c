/**
 * Command handlers of the tutorial: completing a task with a hand-written retry loop and with
 * `retryAsync`, both idempotent.
 *
 * @module
 */
import { type AggregateRepository, OptimisticLockError } from '@es/core';
import { RetryConfig, retryAsync } from '@es/resilience';
import type { TaskAggregate } from './domain.js';

/** What {@link completeTaskWithRetry} reports. */
export type CompleteTaskResult =
  | { readonly success: true; readonly alreadyCompleted: true }
  | { readonly success: true; readonly attempt: number; readonly version: number }
  | {
      readonly success: false;
      readonly error: string;
      readonly expectedVersion: number;
      readonly actualVersion: number;
    };

/** Hooks for the demo: where to print, and a point to pause between load and save. */
export interface CompleteTaskOptions {
  readonly maxRetries?: number;
  readonly print?: (line: string) => void;
  /** Called after each load, before the save: the race demo parks both writers here. */
  readonly afterLoad?: (attempt: number) => Promise<void> | void;
  /** Pause between attempts; default 100 ms as in the tutorial. */
  readonly retryDelayMs?: number;
}

/** Completes a task, reloading and retrying on an optimistic-concurrency conflict. */
export async function completeTaskWithRetry(
  repo: AggregateRepository<TaskAggregate>,
  taskId: string,
  userId: string,
  options: CompleteTaskOptions = {},
): Promise<CompleteTaskResult> {
  const { maxRetries = 3, print = console.log, afterLoad, retryDelayMs = 100 } = options;
  for (let attempt = 0; ; attempt++) {
    try {
      const task = await repo.load(taskId);
      await afterLoad?.(attempt);
      if (task.state?.status === 'completed') return { success: true, alreadyCompleted: true };
      task.complete(userId);
      await repo.save(task);
      return { success: true, attempt: attempt + 1, version: task.version };
    } catch (error) {
      if (!(error instanceof OptimisticLockError)) throw error;
      if (attempt === maxRetries - 1) {
        return {
          success: false,
          error: 'Conflict after max retries',
          expectedVersion: error.expectedVersion,
          actualVersion: error.actualVersion,
        };
      }
      print(
        `Conflict on attempt ${attempt + 1} (expected v${error.expectedVersion}, actual v${error.actualVersion}), retrying...`,
      );
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    }
  }
}

/** Completes a task with `retryAsync`, retrying only optimistic-concurrency conflicts. */
export async function completeTaskWithRetryUtility(
  repo: AggregateRepository<TaskAggregate>,
  taskId: string,
  userId: string,
): Promise<void> {
  const config = new RetryConfig({
    maxRetries: 5,
    initialDelayMs: 100,
    maxDelayMs: 2000,
    exponentialBase: 2,
    jitter: 0.1,
  });
  await retryAsync(
    async () => {
      const task = await repo.load(taskId);
      if (task.state?.status !== 'completed') {
        task.complete(userId);
        await repo.save(task);
      }
    },
    { config, retryableErrors: [OptimisticLockError], operationName: 'complete_task' },
  );
}

/**
 * A barrier for the race demo: each party waits until `parties` have arrived, so two writers
 * really hold the same version before either saves.
 */
export function createBarrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const opened = new Promise<void>((resolve) => {
    release = resolve;
  });
  return () => {
    arrived += 1;
    if (arrived >= parties) release();
    return opened;
  };
}
