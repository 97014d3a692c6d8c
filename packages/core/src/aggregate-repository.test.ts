import { describe, expect, it } from 'vitest';
import { AggregateRepository } from './aggregate-repository.js';
import { AggregateRoot } from './aggregate-root.js';
import type { DomainEvent } from './domain-event.js';
import { AggregateNotFoundError, InvalidConfigError, OptimisticLockError } from './errors.js';
import { defineEvent, payload } from './event-definition.js';
import type { EventStore } from './event-store.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

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

interface TaskState {
  readonly title: string;
  readonly status: 'open' | 'completed';
}

class Task extends AggregateRoot<TaskState> {
  static override readonly aggregateType = 'Task';
  create(title: string): void {
    if (this.state) throw new Error('Task already exists');
    this.raiseEvent(TaskCreated, { title });
  }
  complete(completedBy: string): void {
    if (!this.state) throw new Error('Task does not exist');
    if (this.state.status === 'completed') throw new Error('Task already completed');
    this.raiseEvent(TaskCompleted, { completedBy });
  }
  protected apply(event: DomainEvent): void {
    if (TaskCreated.is(event)) this.state = { title: event.title, status: 'open' };
    else if (TaskCompleted.is(event) && this.state)
      this.state = { ...this.state, status: 'completed' };
  }
}

function setup(
  factory: ConstructorParameters<typeof AggregateRepository<Task>>[0]['aggregateFactory'] = Task,
) {
  const eventStore = new InMemoryEventStore();
  const repo = new AggregateRepository<Task>({
    eventStore,
    aggregateFactory: factory,
    aggregateType: 'Task',
  });
  return { eventStore, repo };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('AggregateRepository', () => {
  it('creates, saves and loads an aggregate', async () => {
    const { repo, eventStore } = setup();
    const task = repo.createNew('t-1');
    expect(task).toBeInstanceOf(Task);
    expect(task.version).toBe(0);
    expect(await repo.exists('t-1')).toBe(false);
    task.create('Write docs');
    await repo.save(task);
    expect(task.hasUncommittedEvents).toBe(false);
    expect(task.version).toBe(1);
    expect(await eventStore.getGlobalPosition()).toBe(1);

    const loaded = await repo.load('t-1');
    expect(loaded.version).toBe(1);
    expect(loaded.state).toEqual({ title: 'Write docs', status: 'open' });
    expect(loaded.hasUncommittedEvents).toBe(false);
    loaded.complete('ann');
    await repo.save(loaded);
    expect(await repo.getVersion('t-1')).toBe(2);
    expect(await repo.exists('t-1')).toBe(true);
    expect((await repo.load('t-1')).state?.status).toBe('completed');
  });

  it('throws AggregateNotFoundError for an aggregate without events', async () => {
    const { repo } = setup();
    const error = await rejection(repo.load('ghost'));
    expect(error).toBeInstanceOf(AggregateNotFoundError);
    expect(error).toMatchObject({
      code: 'ES_AGGREGATE_NOT_FOUND',
      aggregateId: 'ghost',
      aggregateType: 'Task',
    });
    expect(await repo.getVersion('ghost')).toBe(0);
  });

  it('loadOrCreate returns a new aggregate or the stored one', async () => {
    const { repo } = setup();
    const fresh = await repo.loadOrCreate('t-1');
    expect(fresh.version).toBe(0);
    fresh.create('x');
    await repo.save(fresh);
    expect((await repo.loadOrCreate('t-1')).version).toBe(1);
  });

  it('does nothing when saving without uncommitted events', async () => {
    const { repo, eventStore } = setup();
    await repo.save(repo.createNew('t-1'));
    expect(await eventStore.getGlobalPosition()).toBe(0);
  });

  it('propagates OptimisticLockError unchanged and keeps the uncommitted events', async () => {
    const { repo } = setup();
    const task = repo.createNew('t-1');
    task.create('x');
    await repo.save(task);
    const a = await repo.load('t-1');
    const b = await repo.load('t-1');
    a.complete('ann');
    await repo.save(a);
    b.complete('bob');
    const error = await rejection(repo.save(b));
    expect(error).toBeInstanceOf(OptimisticLockError);
    expect(error).toMatchObject({ aggregateId: 't-1', expectedVersion: 1, actualVersion: 2 });
    expect(b.hasUncommittedEvents).toBe(true);
    expect(b.state?.status).toBe('completed');
    // Reload and retry, as the tutorial does.
    const fresh = await repo.load('t-1');
    expect(fresh.state?.status).toBe('completed');
    expect(() => fresh.complete('bob')).toThrow('Task already completed');
  });

  it('saves with expected version = version - uncommitted count', async () => {
    const calls: number[] = [];
    const inner = new InMemoryEventStore();
    const eventStore: EventStore = {
      appendEvents: (id, type, events, expected) => {
        calls.push(expected);
        return inner.appendEvents(id, type, events, expected);
      },
      getEvents: (...args) => inner.getEvents(...args),
      readAll: (options) => inner.readAll(options),
      getGlobalPosition: () => inner.getGlobalPosition(),
    };
    const repo = new AggregateRepository({
      eventStore,
      aggregateFactory: Task,
      aggregateType: 'Task',
    });
    const task = repo.createNew('t-1');
    task.create('x');
    task.complete('y');
    await repo.save(task);
    const again = await repo.load('t-1');
    expect(again.version).toBe(2);
    expect(calls).toEqual([0]);
  });

  it('keeps events applied while a save is in flight', async () => {
    const { repo } = setup();
    const task = repo.createNew('t-1');
    task.create('x');
    const saving = repo.save(task);
    task.complete('ann');
    await saving;
    expect(task.uncommittedEvents.map((e) => e.eventType)).toEqual(['TaskCompleted']);
    await repo.save(task);
    expect(await repo.getVersion('t-1')).toBe(2);
  });

  describe('aggregate factories', () => {
    it('accepts an arrow function of the id', async () => {
      const { repo } = setup((id) => new Task(id));
      expect(repo.createNew('a')).toBeInstanceOf(Task);
    });

    it('accepts a plain function of the id', async () => {
      const { repo } = setup(function make(id: string) {
        return new Task(id);
      });
      expect(repo.createNew('a')).toBeInstanceOf(Task);
    });

    it('accepts a class without `new` being given', async () => {
      const { repo } = setup(Task);
      expect(repo.createNew('a').aggregateId).toBe('a');
    });

    it('accepts an ES5-style constructor whose prototype is an aggregate', () => {
      function Legacy(this: Task, id: string): Task {
        return Reflect.construct(Task, [id], new.target ?? Legacy);
      }
      Legacy.prototype = Object.create(Task.prototype);
      const { repo } = setup(Legacy as unknown as typeof Task);
      const made = repo.createNew('legacy');
      expect(made).toBeInstanceOf(Task);
      expect(made.aggregateId).toBe('legacy');
    });

    it('rejects a factory that returns something else or another id', () => {
      expect(() => setup(() => ({}) as Task).repo.createNew('a')).toThrow(InvalidConfigError);
      expect(() => setup(() => new Task('other')).repo.createNew('a')).toThrow(InvalidConfigError);
    });
  });

  it.each([
    [{}, 'AggregateRepository.eventStore'],
    [
      { eventStore: new InMemoryEventStore(), aggregateType: 'Task' },
      'AggregateRepository.aggregateFactory',
    ],
    [
      { eventStore: new InMemoryEventStore(), aggregateFactory: Task },
      'AggregateRepository.aggregateType',
    ],
    [
      { eventStore: new InMemoryEventStore(), aggregateFactory: Task, aggregateType: '' },
      'AggregateRepository.aggregateType',
    ],
  ])('rejects bad options %#', (options, field) => {
    let error: unknown;
    try {
      new AggregateRepository(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error).toMatchObject({ field });
  });
});
