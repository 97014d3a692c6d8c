/**
 * Tutorial 9, "Error Handling and Resilience": the seven sections of the original, each made
 * true (see the app README for what differs from eventsource-py and why).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { AggregateRepository } from '@es/core';
import {
  CircuitBreaker,
  CircuitBreakerConfig,
  CircuitBreakerOpenError,
  ConnectionError,
} from '@es/resilience';
import type { Backend } from './backends.js';
import { completeTaskWithRetry, completeTaskWithRetryUtility, createBarrier } from './commands.js';
import { TaskAggregate, TaskCompleted, TaskCreated } from './domain.js';
import { ResilientProjection } from './resilient-projection.js';

/** Options of {@link runTutorial9}. */
export interface Tutorial9Options {
  readonly print?: (line: string) => void;
  /** The random source of the flaky service in section 5 (default `Math.random`). */
  readonly random?: () => number;
  /** Pause between conflict retries in section 2 (default 100 ms, as in the tutorial). */
  readonly retryDelayMs?: number;
}

/** What the run observed, for tests and for the caller. */
export interface Tutorial9Result {
  readonly dlqCount: number;
  readonly dlqEntries: number;
  readonly conflictsResolved: number;
  readonly breakerState: string;
}

const RULE = '='.repeat(60);
const LINE = '-'.repeat(60);

/** Runs the seven sections of Tutorial 9 against a backend. */
export async function runTutorial9(
  backend: Backend,
  options: Tutorial9Options = {},
): Promise<Tutorial9Result> {
  const print = options.print ?? console.log;
  const random = options.random ?? Math.random;
  const retryDelayMs = options.retryDelayMs ?? 100;
  const repo = new AggregateRepository({
    eventStore: backend.eventStore,
    aggregateFactory: TaskAggregate,
    aggregateType: 'Task',
  });
  const { dlqRepo } = backend;

  print(RULE);
  print('Tutorial 9: Error Handling and Resilience');
  print(RULE);

  // 1. Command validation errors
  print('\n1. Command Validation Errors');
  print(LINE);
  let task = repo.createNew(randomUUID());
  try {
    task.create('');
  } catch (error) {
    print(`✓ Validation error: ${(error as Error).message}`);
  }
  try {
    task.create('Valid task');
    task.create('Another task');
  } catch (error) {
    print(`✓ Business rule error: ${(error as Error).message}`);
  }

  // 2. Optimistic concurrency with retry — a real race: two writers load the same version.
  print('\n2. Optimistic Concurrency with Retry');
  print(LINE);
  let taskId = randomUUID();
  task = repo.createNew(taskId);
  task.create('Test task');
  await repo.save(task);
  const bothLoaded = createBarrier(2);
  let conflicts = 0;
  const [first, second] = await Promise.all(
    [randomUUID(), randomUUID()].map((userId, writer) =>
      completeTaskWithRetry(repo, taskId, userId, {
        retryDelayMs,
        afterLoad: (attempt) => (attempt === 0 ? bothLoaded() : undefined),
        print: (line) => {
          conflicts += 1;
          print(`  writer ${writer + 1}: ${line}`);
        },
      }),
    ),
  );
  print(`✓ Writer 1: ${JSON.stringify(first)}`);
  print(`✓ Writer 2: ${JSON.stringify(second)}`);
  print(`✓ Conflicts resolved by retry: ${conflicts}`);
  const again = await completeTaskWithRetry(repo, taskId, randomUUID(), { retryDelayMs });
  print(`✓ Idempotent: ${JSON.stringify(again)}`);

  // 3. Using the retry utility
  print('\n3. Using Retry Utility');
  print(LINE);
  taskId = randomUUID();
  task = repo.createNew(taskId);
  task.create('Retry test');
  await repo.save(task);
  await completeTaskWithRetryUtility(repo, taskId, randomUUID());
  print('✓ Completed with retryAsync');

  // 4. Projection with error handling
  print('\n4. Resilient Projection with DLQ');
  print(LINE);
  const projection = new ResilientProjection(dlqRepo, print);
  const event1 = TaskCreated.create({
    aggregateId: randomUUID(),
    title: 'First task',
    aggregateVersion: 1,
  });
  await projection.handle(event1);
  print('✓ Event 1 processed');
  const orphan = TaskCompleted.create({
    aggregateId: randomUUID(),
    completedBy: randomUUID(),
    aggregateVersion: 2,
  });
  await projection.handle(orphan);
  print('✓ Event 2 failed and sent to DLQ');
  const failed = await dlqRepo.getFailedEvents({ projectionName: 'TaskProjection' });
  print(`✓ DLQ has ${failed.length} failed events`);

  // 5. Circuit breaker — never crashes: an open circuit fails fast and is caught.
  print('\n5. Circuit Breaker Pattern');
  print(LINE);
  const breaker = new CircuitBreaker(
    new CircuitBreakerConfig({ failureThreshold: 3, recoveryTimeoutMs: 1000 }),
  );
  const flakyOperation = async (): Promise<string> => {
    if (random() < 0.7) throw new ConnectionError('Service unavailable');
    return 'Success';
  };
  for (let i = 0; i < 5; i++) {
    try {
      const result = await breaker.execute(flakyOperation, 'flaky_service');
      print(`  Attempt ${i + 1}: ${result}`);
    } catch (error) {
      if (error instanceof CircuitBreakerOpenError) {
        print(
          `  Attempt ${i + 1}: Circuit open, failing fast (retry after ${error.retryAfterMs} ms, at ${error.recoveryTime.toISOString()})`,
        );
      } else if (error instanceof ConnectionError) {
        print(`  Attempt ${i + 1}: Failed (state=${breaker.state})`);
      } else {
        throw error;
      }
    }
  }
  print(`✓ Circuit state: ${breaker.state}`);
  print(`  Failures: ${breaker.failureCount}`);

  // 6. Error statistics
  print('\n6. Error Statistics');
  print(LINE);
  const stats = projection.errorHandler.stats;
  print(`Total errors: ${stats.totalErrors}`);
  print(`Transient errors: ${stats.transientErrors}`);
  print(`Permanent errors: ${stats.permanentErrors}`);
  print(`DLQ count: ${stats.dlqCount}`);
  print(`Error rate: ${stats.errorRatePerMinute} errors/min`);
  for (const [type, count] of Object.entries(stats.errorsByType)) print(`  ${type}: ${count}`);
  for (const [category, count] of Object.entries(stats.errorsByCategory)) {
    print(`  ${category}: ${count}`);
  }

  // 7. Health status
  print('\n7. Health Status');
  print(LINE);
  const health = projection.errorHandler.getHealthStatus();
  print(`Healthy: ${health.healthy}`);
  print(`Warnings: ${JSON.stringify(health.warnings)}`);
  print(`Errors: ${JSON.stringify(health.errors)}`);

  print(`\n${RULE}`);
  print('✓ Tutorial 9 complete!');
  print(RULE);

  return {
    dlqCount: stats.dlqCount,
    dlqEntries: failed.length,
    conflictsResolved: conflicts,
    breakerState: breaker.state,
  };
}
