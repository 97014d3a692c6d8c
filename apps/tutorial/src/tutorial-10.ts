/**
 * Tutorial 10, "Checkpoints and resumable processing", told with the failure path made real:
 *
 * - A: a projection processes, the process "restarts", and the new run resumes from the
 *   checkpoint without reprocessing anything;
 * - B: a poison event is dead-lettered, the later events of its stream are parked behind it while
 *   other streams flow, the fix is deployed, and a redrive drains the DLQ in stream order.
 *
 * @module
 */
import type { DomainEvent } from '@es/core';
import { KeyError } from '@es/resilience';
import { SubscriptionManager, type SubscriptionManagerOptions } from '@es/subscriptions';
import type { Backend } from './backends.js';
import { TaskCompleted, TaskCreated } from './domain.js';

/** Options of {@link runTutorial10}. */
export interface Tutorial10Options {
  readonly print?: (line: string) => void;
}

/** What the run observed, for tests and for the caller. */
export interface Tutorial10Result {
  readonly firstRunProcessed: number;
  readonly secondRunProcessed: number;
  readonly reprocessed: number;
  readonly deadLettered: number;
  readonly parked: number;
  readonly redriveSucceeded: number;
  readonly dlqAfterRedrive: number;
  readonly poisonStreamOrder: readonly string[];
}

const RULE = '='.repeat(60);
const LINE = '-'.repeat(60);

/** A read model that outlives a process restart (in a real system: a table). */
class TaskBoard {
  readonly tasks = new Map<string, { title: string; status: string }>();
  /** Event ids applied so far: proves nothing is applied twice. */
  readonly applied = new Set<string>();
  duplicates = 0;

  apply(event: DomainEvent): void {
    if (this.applied.has(event.eventId)) this.duplicates += 1;
    this.applied.add(event.eventId);
    if (TaskCreated.is(event)) {
      this.tasks.set(event.aggregateId, { title: event.title, status: 'pending' });
    } else if (TaskCompleted.is(event)) {
      const task = this.tasks.get(event.aggregateId);
      if (!task) throw new KeyError(`Task ${event.aggregateId} not found in projection`);
      task.status = 'completed';
    }
  }
}

function managerOptions(backend: Backend): SubscriptionManagerOptions {
  return {
    eventStore: backend.eventStore,
    checkpointRepo: backend.checkpointRepo,
    dlqRepo: backend.dlqRepo,
    ...(backend.eventBus ? { eventBus: backend.eventBus } : {}),
    ...(backend.unitOfWork ? { unitOfWork: backend.unitOfWork } : {}),
    // Zero-ish delays keep the demo quick; production would keep the defaults.
    errorHandling: { retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 50 } },
  };
}

async function appendTask(
  backend: Backend,
  taskId: string,
  title: string,
  complete: boolean,
): Promise<void> {
  const events: DomainEvent[] = [TaskCreated.create({ aggregateId: taskId, title })];
  if (complete) {
    events.push(
      TaskCompleted.create({ aggregateId: taskId, completedBy: 'user-1', aggregateVersion: 2 }),
    );
  }
  await backend.eventStore.appendEvents(taskId, 'Task', events, 0);
}

/** Runs both stories of Tutorial 10 against a backend (use a fresh one: it reads from the start). */
export async function runTutorial10(
  backend: Backend,
  options: Tutorial10Options = {},
): Promise<Tutorial10Result> {
  const print = options.print ?? console.log;
  const run = `${Date.now().toString(36)}`;

  print(RULE);
  print('Tutorial 10: Checkpoints and Resumable Processing');
  print(RULE);

  // A. Process, restart, resume from the checkpoint.
  print('\nA. Resume from a Checkpoint after a Restart');
  print(LINE);
  const board = new TaskBoard();
  for (let i = 1; i <= 5; i++)
    await appendTask(backend, `task-${run}-${i}`, `Task ${i}`, i % 2 === 0);
  let calls = 0;
  const taskBoard = {
    name: 'TaskBoard',
    eventTypes: ['TaskCreated', 'TaskCompleted'],
    async handle(event: DomainEvent) {
      calls += 1;
      board.apply(event);
    },
  };
  let manager = new SubscriptionManager(managerOptions(backend));
  manager.subscribe(taskBoard);
  await manager.start();
  await manager.whenIdle();
  await manager.stop();
  const firstRunProcessed = calls;
  const checkpoint = await backend.checkpointRepo.getPosition('TaskBoard');
  print(`✓ First run processed ${firstRunProcessed} events; checkpoint saved at ${checkpoint}`);

  print('  ... process stops; 2 tasks are created while it is down ...');
  for (let i = 6; i <= 7; i++) await appendTask(backend, `task-${run}-${i}`, `Task ${i}`, false);

  calls = 0;
  manager = new SubscriptionManager(managerOptions(backend));
  manager.subscribe(taskBoard);
  await manager.start();
  await manager.whenIdle();
  await manager.stop();
  const secondRunProcessed = calls;
  print(
    `✓ After the restart: resumed from ${checkpoint}, processed ${secondRunProcessed} new events, reprocessed ${board.duplicates}`,
  );
  print(`✓ Task board: ${board.tasks.size} tasks, ${board.applied.size} events applied once each`);

  // B. Poison event → DLQ, its stream parked behind it, fix deployed, redrive.
  print('\nB. Poison Event, Per-Stream Parking and Redrive');
  print(LINE);
  let fixDeployed = false;
  const applied: string[] = [];
  const poisonStream = `task-${run}-poison`;
  const healthyStream = `task-${run}-healthy`;
  const notifications = {
    name: 'TaskNotifications',
    eventTypes: ['TaskCreated', 'TaskCompleted'],
    async handle(event: DomainEvent) {
      // The bug: a title with an emoji breaks the (imaginary) notification template.
      if (TaskCreated.is(event) && !fixDeployed && /\p{Extended_Pictographic}/u.test(event.title)) {
        throw new TypeError(`template cannot render title ${JSON.stringify(event.title)}`);
      }
      if (event.aggregateId === poisonStream)
        applied.push(`${event.eventType}@v${event.aggregateVersion}`);
    },
  };
  manager = new SubscriptionManager(managerOptions(backend));
  const subscription = manager.subscribe(notifications, { startFrom: 'end' });
  manager.onError((info) => {
    print(`  ! ${info.errorType}: ${info.errorMessage} → ${info.action}`);
  });
  await manager.start();
  await appendTask(backend, poisonStream, 'Ship 🚀 release', true);
  await appendTask(backend, healthyStream, 'Write release notes', true);
  await subscription.whenIdle();

  const failed = await backend.dlqRepo.getFailedEvents({ projectionName: 'TaskNotifications' });
  const parked = await backend.dlqRepo.getFailedEvents({
    projectionName: 'TaskNotifications',
    status: 'parked',
  });
  const counts = subscription.counts;
  print(`✓ Dead-lettered: ${failed.map((e) => `${e.eventType} (${e.errorMessage})`).join(', ')}`);
  print(`✓ Parked behind it: ${parked.map((e) => e.eventType).join(', ')}`);
  print(`✓ Other streams kept flowing: ${counts.processed} events processed`);
  let health = await subscription.health();
  print(`  Health: ${health.status}, DLQ depth ${health.dlq.depth}, state ${health.state}`);

  print('  ... the fix is deployed ...');
  fixDeployed = true;
  const preview = await subscription.redrive({ dryRun: true });
  print(
    `✓ Dry run would redrive, in stream order: ${preview.entries.map((e) => `#${e.id} v${e.streamPosition}`).join(' → ')}`,
  );
  const report = await subscription.redrive({ resolvedBy: 'tutorial' });
  print(`✓ Redrive: ${report.succeeded} succeeded, ${report.failed} failed`);
  print(`✓ Applied to the poison stream, in order: ${applied.join(' → ')}`);
  const stats = await backend.dlqRepo.getFailureStats();
  const left = stats.totalFailed + stats.totalParked + stats.totalRetrying;
  print(`✓ DLQ after redrive: ${left} unresolved`);
  health = await subscription.health();
  print(`  Health: ${health.status}, DLQ depth ${health.dlq.depth}, state ${health.state}`);
  await manager.stop();

  print(`\n${RULE}`);
  print('✓ Tutorial 10 complete!');
  print(RULE);

  return {
    firstRunProcessed,
    secondRunProcessed,
    reprocessed: board.duplicates,
    deadLettered: failed.length,
    parked: parked.length,
    redriveSucceeded: report.succeeded,
    dlqAfterRedrive: left,
    poisonStreamOrder: applied,
  };
}
