/**
 * The functional form of an aggregate: a decider, and running a command through an event store.
 *
 * @module
 */
import { AggregateMismatchError } from './aggregate-mismatch-error.js';
import type { DomainEvent } from './domain-event.js';
import { InvalidConfigError, isEventSourceError } from './errors.js';
import { withAggregateVersion } from './event-helpers.js';
import type { EventStore } from './event-store.js';

/**
 * An aggregate as three pure functions: the state before any event, what a command decides given
 * the state, and how an event evolves the state.
 *
 * `decide` throws (for example `CommandRejectedError`) to reject a command; it returns the new
 * events, which need not carry the right `aggregateVersion`: {@link handleCommand} stamps it.
 *
 * @example
 * ```ts
 * const taskDecider: Decider<TaskCommand, TaskEvent, TaskState | null> = {
 *   initialState: null,
 *   decide: (command, state) => {
 *     if (state !== null) throw new CommandRejectedError('Task already exists');
 *     return [TaskCreated.create({ aggregateId: command.taskId, title: command.title })];
 *   },
 *   evolve: (state, event) => (TaskCreated.is(event) ? { title: event.title, done: false } : state),
 * };
 * ```
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  /** The state of an aggregate without events. */
  readonly initialState: State;
  /** The events a command produces in a state; throws to reject the command. */
  decide(command: Command, state: State): readonly Event[];
  /** The state after an event. */
  evolve(state: State, event: Event): State;
}

/** The stream a command addresses. */
export interface CommandTarget {
  readonly aggregateId: string;
  readonly aggregateType: string;
}

/** Options of {@link handleCommand}. */
export interface HandleCommandOptions {
  /**
   * How many times to reload and decide again after an `OptimisticLockError` (a concurrent write
   * to the same stream). Default 0: the conflict is thrown.
   */
  readonly retry?: number | undefined;
}

/** The outcome of {@link handleCommand}. */
export interface HandleCommandResult<Event extends DomainEvent, State> {
  /** The state after the new events. */
  readonly state: State;
  /** The events appended (with their stamped versions); empty when `decide` returned none. */
  readonly events: readonly Event[];
  /** The stream version after the command. */
  readonly version: number;
  /** How many attempts it took (1 without conflicts). */
  readonly attempts: number;
}

/**
 * Folds events into a state with a decider's `evolve`, starting from `state` (default: the
 * decider's initial state).
 */
export function evolveAll<Event extends DomainEvent, State>(
  decider: Pick<Decider<never, Event, State>, 'initialState' | 'evolve'>,
  events: Iterable<Event>,
  state: State = decider.initialState,
): State {
  let current = state;
  for (const event of events) current = decider.evolve(current, event);
  return current;
}

/**
 * Runs a command: reads the stream, folds it, decides, stamps the new events with the next
 * versions and appends them with the read version as the expected version. On a concurrent write
 * it starts over up to `retry` times.
 *
 * @throws {OptimisticLockError} ES_OPTIMISTIC_LOCK when the stream moved and no retry is left.
 * @throws {AggregateMismatchError} ES_AGGREGATE_MISMATCH when `decide` returned an event of another
 * aggregate.
 * @throws whatever `decide` throws (nothing is appended).
 *
 * @example
 * ```ts
 * const { state, version } = await handleCommand(store, taskDecider,
 *   { aggregateId: 'task-1', aggregateType: 'Task' }, { type: 'CreateTask', taskId: 'task-1', title: 'x' },
 *   { retry: 3 });
 * ```
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  eventStore: EventStore,
  decider: Decider<Command, Event, State>,
  target: CommandTarget,
  command: Command,
  options: HandleCommandOptions = {},
): Promise<HandleCommandResult<Event, State>> {
  const { retry = 0 } = options;
  if (!Number.isInteger(retry) || retry < 0) {
    throw new InvalidConfigError('handleCommand.retry', 'must be an integer >= 0', retry);
  }
  const { aggregateId, aggregateType } = target;
  for (let attempt = 1; ; attempt++) {
    const stream = await eventStore.getEvents(aggregateId, aggregateType);
    const state = evolveAll(decider, stream.events as readonly Event[]);
    const decided = decider.decide(command, state);
    if (decided.length === 0) {
      return { state, events: [], version: stream.version, attempts: attempt };
    }
    const events = decided.map((event, i) => {
      if (event.aggregateId !== aggregateId) {
        throw new AggregateMismatchError(
          'aggregateId',
          aggregateId,
          event.aggregateId,
          event.eventId,
        );
      }
      return withAggregateVersion(event, stream.version + 1 + i);
    });
    try {
      const result = await eventStore.appendEvents(
        aggregateId,
        aggregateType,
        events,
        stream.version,
      );
      return {
        state: evolveAll(decider, events, state),
        events,
        version: result.newVersion,
        attempts: attempt,
      };
    } catch (error) {
      if (attempt > retry || !isEventSourceError(error) || error.code !== 'ES_OPTIMISTIC_LOCK') {
        throw error;
      }
    }
  }
}
