// The quick start of README.md, kept here so that it keeps running: between the markers the code
// is the README's, except for the vitest import and the captured `console.log`.

// --- README quick start ---
import {
  AggregateRepository,
  AggregateRoot,
  CommandRejectedError,
  type DomainEvent,
  defineEvent,
  InMemoryEventStore,
  OptimisticLockError,
} from '@es/core';
import { expect, it, vi } from 'vitest';
import { z } from 'zod';

const TaskCreated = defineEvent('TaskCreated', {
  aggregateType: 'Task',
  schema: z.object({ title: z.string().min(1) }),
});
const TaskCompleted = defineEvent('TaskCompleted', {
  aggregateType: 'Task',
  schema: z.object({ completedBy: z.string() }),
});

class Task extends AggregateRoot<{ title: string; status: 'open' | 'completed' }> {
  static override readonly aggregateType = 'Task';

  create(title: string) {
    if (this.state) throw new CommandRejectedError('Task already exists');
    this.raiseEvent(TaskCreated, { title });
  }

  complete(completedBy: string) {
    if (!this.state) throw new CommandRejectedError('Task does not exist');
    if (this.state.status === 'completed') throw new CommandRejectedError('Task already completed');
    this.raiseEvent(TaskCompleted, { completedBy });
  }

  protected apply(event: DomainEvent) {
    if (TaskCreated.is(event)) {
      this.state = { title: event.title, status: 'open' };
    } else if (TaskCompleted.is(event) && this.state) {
      this.state = { ...this.state, status: 'completed' };
    }
  }
}
// --- end of definitions ---

it('runs the README quick start', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  // --- README quick start (continued) ---
  const eventStore = new InMemoryEventStore();
  const tasks = new AggregateRepository({
    eventStore,
    aggregateFactory: Task,
    aggregateType: 'Task',
  });

  const task = tasks.createNew('task-1');
  task.create('Write the README');
  await tasks.save(task);

  // Two users load version 1 and both complete the task: the second save conflicts.
  const a = await tasks.load('task-1');
  const b = await tasks.load('task-1');
  a.complete('ann');
  await tasks.save(a);
  b.complete('bob');
  try {
    await tasks.save(b);
  } catch (error) {
    if (!(error instanceof OptimisticLockError)) throw error;
    console.log(`conflict: expected v${error.expectedVersion}, actual v${error.actualVersion}`);
  }

  for await (const stored of eventStore.readAll()) {
    console.log(stored.globalPosition, stored.event.eventType, stored.event.aggregateVersion);
  }
  // --- end ---
  expect(log.mock.calls).toEqual([
    ['conflict: expected v1, actual v2'],
    [1, 'TaskCreated', 1],
    [2, 'TaskCompleted', 2],
  ]);
  log.mockRestore();
});
