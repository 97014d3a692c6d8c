/**
 * The event types the integration tests append, in a registry of their own.
 */
import { defineEvent, EventRegistry } from '@es/core';

export const testRegistry = new EventRegistry();

export const TaskCreated = defineEvent<'TaskCreated', { readonly title: string }>('TaskCreated', {
  aggregateType: 'Task',
  registry: testRegistry,
});

export const TaskCompleted = defineEvent<'TaskCompleted', { readonly note: string }>(
  'TaskCompleted',
  { aggregateType: 'Task', registry: testRegistry },
);

/** A `TaskCreated` for `aggregateId` at `aggregateVersion` (default 1). */
export function created(aggregateId: string, title = 'task', aggregateVersion = 1) {
  return TaskCreated.create({ aggregateId, title, aggregateVersion });
}
