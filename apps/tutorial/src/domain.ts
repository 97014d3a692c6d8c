/**
 * The tutorial's domain: tasks that are created and completed.
 *
 * @module
 */
import { AggregateRoot, defineEvent, type EventOf, payload } from '@es/core';

/** A task was created with a title. */
export const TaskCreated = defineEvent('TaskCreated', {
  aggregateType: 'Task',
  payload: payload<{ title: string }>(),
});

/** A task was completed by a user. */
export const TaskCompleted = defineEvent('TaskCompleted', {
  aggregateType: 'Task',
  payload: payload<{ completedBy: string }>(),
});

/** The events of a task. */
export type TaskEvent = EventOf<typeof TaskCreated> | EventOf<typeof TaskCompleted>;

/** The state a task aggregate folds its events into. */
export interface TaskState {
  readonly taskId: string;
  readonly title: string;
  readonly status: 'pending' | 'completed';
}

/** The task aggregate: commands validate first and throw before any event is applied. */
export class TaskAggregate extends AggregateRoot<TaskState, TaskEvent> {
  static override readonly aggregateType = 'Task';

  /** Creates the task. */
  create(title: string): void {
    if (this.version > 0) throw new Error('Task already exists');
    if (!title?.trim()) throw new Error('Title cannot be empty');
    this.raiseEvent(TaskCreated, { title });
  }

  /** Completes the task. */
  complete(completedBy: string): void {
    if (!this.state) throw new Error('Task does not exist');
    if (this.state.status === 'completed') throw new Error('Task already completed');
    if (!completedBy) throw new Error('completedBy is required');
    this.raiseEvent(TaskCompleted, { completedBy });
  }

  protected apply(event: TaskEvent): void {
    if (TaskCreated.is(event)) {
      this.state = { taskId: this.aggregateId, title: event.title, status: 'pending' };
    } else if (TaskCompleted.is(event) && this.state) {
      this.state = { ...this.state, status: 'completed' };
    }
  }
}
