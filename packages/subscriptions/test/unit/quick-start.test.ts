// The README's SubscriptionManager quick start, as a test (imports adjusted to the sources).
import { defineEvent, InMemoryEventBus, InMemoryEventStore, payload } from '@es/core';
import { InMemoryDLQRepository } from '@es/dlq';
import { KeyError } from '@es/resilience';
import { expect, it } from 'vitest';
import { InMemoryCheckpointRepository } from '../../src/in-memory-checkpoint-repository.js';
import { SubscriptionManager } from '../../src/manager/index.js';

it('runs the README quick start', async () => {
  const TaskCreated = defineEvent('TaskCreated', {
    aggregateType: 'Task',
    payload: payload<{ title: string }>(),
  });

  const eventBus = new InMemoryEventBus();
  const eventStore = new InMemoryEventStore({ eventBus });
  const dlqRepo = new InMemoryDLQRepository();
  const manager = new SubscriptionManager({
    eventStore,
    eventBus,
    checkpointRepo: new InMemoryCheckpointRepository(),
    dlqRepo,
    errorHandling: { retry: { maxRetries: 3, initialDelayMs: 100 } },
  });

  const titles = new Map<string, string>();
  const taskList = manager.subscribe({
    name: 'task-list',
    eventTypes: ['TaskCreated'],
    async handle(event) {
      if (!TaskCreated.is(event)) return;
      if (event.title === '') throw new KeyError(`task ${event.aggregateId} has no title`);
      titles.set(event.aggregateId, event.title);
    },
  });

  await manager.start();
  await eventStore.appendEvents(
    't-1',
    'Task',
    [TaskCreated.create({ aggregateId: 't-1', title: 'Write docs' })],
    0,
  );
  await eventStore.appendEvents(
    't-2',
    'Task',
    [TaskCreated.create({ aggregateId: 't-2', title: '' })],
    0,
  );
  await taskList.whenIdle();

  expect(titles).toEqual(new Map([['t-1', 'Write docs']]));
  expect(await dlqRepo.getFailedEvents()).toHaveLength(1);
  expect((await taskList.health()).status).toBe('degraded');
  await manager.stop();
});
