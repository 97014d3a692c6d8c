import { describe, expect, it } from 'vitest';
import { AggregateMismatchError } from './aggregate-mismatch-error.js';
import { AggregateRoot } from './aggregate-root.js';
import { CommandRejectedError } from './command-rejected-error.js';
import type { DomainEvent } from './domain-event.js';
import { EventVersionError, InvalidConfigError, SerializationError } from './errors.js';
import { defineEvent, payload } from './event-definition.js';

const TaskCreated = defineEvent('TaskCreated', {
  aggregateType: 'Task',
  payload: payload<{ title: string }>(),
  registry: null,
});
const TaskCompleted = defineEvent('TaskCompleted', {
  aggregateType: 'Task',
  payload: payload<{ completedBy: string }>(),
  registry: null,
});
const TaskExploded = defineEvent('TaskExploded', { aggregateType: 'Task', registry: null });

interface TaskState {
  readonly title: string;
  readonly status: 'open' | 'completed';
  readonly completedBy?: string;
  readonly version: number;
}

class Task extends AggregateRoot<TaskState> {
  static override readonly aggregateType = 'Task';
  applied = 0;

  create(title: string): void {
    if (this.state)
      throw new CommandRejectedError('Task already exists', { aggregateId: this.aggregateId });
    if (!title) throw new Error('title is required');
    this.raiseEvent(TaskCreated, { title });
  }

  complete(completedBy: string): void {
    if (!this.state) throw new Error('Task does not exist');
    if (this.state.status === 'completed') throw new Error('Task already completed');
    this.applyEvent(
      TaskCompleted.create({
        aggregateId: this.aggregateId,
        aggregateVersion: this.getNextVersion(),
        completedBy,
      }),
    );
  }

  protected apply(event: DomainEvent): void {
    this.applied++;
    if (TaskCreated.is(event)) {
      this.state = { title: event.title, status: 'open', version: this.version };
    } else if (TaskCompleted.is(event) && this.state) {
      this.state = {
        ...this.state,
        status: 'completed',
        completedBy: event.completedBy,
        version: this.version,
      };
    } else if (TaskExploded.is(event)) {
      this.state = { title: 'half-updated', status: 'open', version: -1 };
      throw new Error('apply failed');
    }
  }
}

class Untyped extends AggregateRoot<number> {
  protected apply(): void {}
}

describe('AggregateRoot', () => {
  it('starts at version 0 without state or uncommitted events', () => {
    const task = new Task('t-1');
    expect(task.aggregateId).toBe('t-1');
    expect(task.version).toBe(0);
    expect(task.state).toBeUndefined();
    expect(task.uncommittedEvents).toEqual([]);
    expect(task.hasUncommittedEvents).toBe(false);
    expect(task.getNextVersion()).toBe(1);
    expect(task.aggregateType).toBe('Task');
    expect(Task.aggregateType).toBe('Task');
    expect(new Untyped('u').aggregateType).toBe('Unknown');
  });

  it('rejects an empty id', () => {
    expect(() => new Task('')).toThrow(InvalidConfigError);
  });

  it('applies new events, moving the version before apply and recording them', () => {
    const task = new Task('t-1');
    task.create('Write docs');
    task.complete('ann');
    expect(task.version).toBe(2);
    expect(task.state).toEqual({
      title: 'Write docs',
      status: 'completed',
      completedBy: 'ann',
      version: 2,
    });
    expect(task.uncommittedEvents.map((e) => [e.eventType, e.aggregateVersion])).toEqual([
      ['TaskCreated', 1],
      ['TaskCompleted', 2],
    ]);
    expect(task.hasUncommittedEvents).toBe(true);
  });

  it('returns a copy of the uncommitted events', () => {
    const task = new Task('t-1');
    task.create('x');
    (task.uncommittedEvents as DomainEvent[]).length = 0;
    expect(task.uncommittedEvents).toHaveLength(1);
  });

  it('rejects a new event whose version is not version + 1', () => {
    const task = new Task('t-1');
    const event = TaskCreated.create({ aggregateId: 't-1', aggregateVersion: 2, title: 'x' });
    let error: unknown;
    try {
      task.applyEvent(event);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EventVersionError);
    expect(error).toMatchObject({
      code: 'ES_EVENT_VERSION',
      expectedVersion: 1,
      actualVersion: 2,
      eventId: event.eventId,
      aggregateId: 't-1',
    });
    expect(task.version).toBe(0);
    expect(task.applied).toBe(0);
  });

  it('rejects an event of another aggregate', () => {
    const task = new Task('t-1');
    expect(() => task.applyEvent(TaskCreated.create({ aggregateId: 't-2', title: 'x' }))).toThrow(
      AggregateMismatchError,
    );
    expect(task.version).toBe(0);
  });

  it('leaves nothing half-updated when apply throws', () => {
    const task = new Task('t-1');
    task.create('x');
    const before = task.state;
    const boom = TaskExploded.create({ aggregateId: 't-1', aggregateVersion: 2 });
    expect(() => task.applyEvent(boom)).toThrow('apply failed');
    expect(task.version).toBe(1);
    expect(task.state).toBe(before);
    expect(task.uncommittedEvents).toHaveLength(1);
    // The aggregate still works afterwards.
    task.complete('bob');
    expect(task.version).toBe(2);
  });

  it('validates commands before applying anything', () => {
    const task = new Task('t-1');
    expect(() => task.complete('x')).toThrow('Task does not exist');
    expect(() => task.create('')).toThrow('title is required');
    task.create('x');
    expect(() => task.create('y')).toThrow(CommandRejectedError);
    task.complete('a');
    expect(() => task.complete('b')).toThrow('Task already completed');
    expect(task.uncommittedEvents).toHaveLength(2);
  });

  it('replays history without recording it, requiring increasing versions', () => {
    const history = [
      TaskCreated.create({ aggregateId: 't-1', aggregateVersion: 1, title: 'x' }),
      TaskCompleted.create({ aggregateId: 't-1', aggregateVersion: 2, completedBy: 'ann' }),
    ];
    const task = new Task('t-1');
    task.loadFromHistory(history);
    expect(task.version).toBe(2);
    expect(task.state?.status).toBe('completed');
    expect(task.hasUncommittedEvents).toBe(false);

    const fromSnapshot = new Task('t-1');
    fromSnapshot.loadFromHistory([history[1]!]);
    expect(fromSnapshot.version).toBe(2);

    const disordered = new Task('t-1');
    expect(() => disordered.loadFromHistory([history[1]!, history[0]!])).toThrow(EventVersionError);
    expect(() => new Task('t-1').loadFromHistory([history[0]!, history[0]!])).toThrow(
      EventVersionError,
    );
  });

  it('marks committed events, all or the first n', () => {
    const task = new Task('t-1');
    task.create('x');
    task.complete('a');
    task.markEventsAsCommitted(1);
    expect(task.uncommittedEvents.map((e) => e.eventType)).toEqual(['TaskCompleted']);
    task.markEventsAsCommitted(0);
    expect(task.uncommittedEvents).toHaveLength(1);
    task.markEventsAsCommitted();
    expect(task.hasUncommittedEvents).toBe(false);
    expect(task.version).toBe(2);
  });

  it('clears and returns the uncommitted events', () => {
    const task = new Task('t-1');
    task.create('x');
    const cleared = task.clearUncommittedEvents();
    expect(cleared.map((e) => e.eventType)).toEqual(['TaskCreated']);
    expect(task.hasUncommittedEvents).toBe(false);
  });

  it('raiseEvent fills the id and next version and returns the event', () => {
    class Raiser extends Task {
      raise(): DomainEvent {
        return this.raiseEvent(TaskCreated, { title: 'raised', metadata: { by: 'test' } });
      }
      raiseBad(): DomainEvent {
        return this.raiseEvent(TaskCompleted, { completedBy: 'x', eventId: '' });
      }
    }
    const raiser = new Raiser('r');
    const event = raiser.raise();
    expect(event).toMatchObject({
      aggregateId: 'r',
      aggregateVersion: 1,
      title: 'raised',
      metadata: { by: 'test' },
    });
    expect(raiser.uncommittedEvents).toEqual([event]);
    expect(() => raiser.raiseBad()).toThrow(SerializationError);
    expect(raiser.version).toBe(1);
  });

  it('keeps the state setter protected', () => {
    const task = new Task('t-1');
    // @ts-expect-error the state can only be replaced from inside the aggregate
    task.state = { title: 'hack', status: 'open', version: 0 };
  });
});
