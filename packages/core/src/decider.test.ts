import { describe, expect, it } from 'vitest';
import { AggregateMismatchError } from './aggregate-mismatch-error.js';
import { CommandRejectedError } from './command-rejected-error.js';
import type { Decider } from './decider.js';
import { evolveAll, handleCommand } from './decider.js';
import { InvalidConfigError, OptimisticLockError } from './errors.js';
import type { EventOf } from './event-definition.js';
import { defineEvent, payload } from './event-definition.js';
import type { EventStore } from './event-store.js';
import { ExpectedVersion } from './event-store.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

const Deposited = defineEvent('Deposited', {
  aggregateType: 'Account',
  payload: payload<{ amount: number }>(),
  registry: null,
});
const Withdrawn = defineEvent('Withdrawn', {
  aggregateType: 'Account',
  payload: payload<{ amount: number }>(),
  registry: null,
});
type AccountEvent = EventOf<typeof Deposited> | EventOf<typeof Withdrawn>;
type AccountCommand =
  | { type: 'deposit'; accountId: string; amount: number }
  | { type: 'withdraw'; accountId: string; amount: number }
  | { type: 'noop'; accountId: string };

const account: Decider<AccountCommand, AccountEvent, { balance: number }> = {
  initialState: { balance: 0 },
  decide(command, state) {
    switch (command.type) {
      case 'deposit':
        return [Deposited.create({ aggregateId: command.accountId, amount: command.amount })];
      case 'withdraw':
        if (state.balance < command.amount) {
          throw new CommandRejectedError('Insufficient funds', { aggregateId: command.accountId });
        }
        return [Withdrawn.create({ aggregateId: command.accountId, amount: command.amount })];
      case 'noop':
        return [];
    }
  },
  evolve(state, event) {
    if (Deposited.is(event)) return { balance: state.balance + event.amount };
    if (Withdrawn.is(event)) return { balance: state.balance - event.amount };
    return state;
  },
};

const target = { aggregateId: 'acc-1', aggregateType: 'Account' };

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('evolveAll', () => {
  it('folds events from the initial or a given state', () => {
    const events = [
      Deposited.create({ aggregateId: 'a', amount: 5 }),
      Withdrawn.create({ aggregateId: 'a', amount: 2 }),
    ];
    expect(evolveAll(account, events)).toEqual({ balance: 3 });
    expect(evolveAll(account, events, { balance: 10 })).toEqual({ balance: 13 });
    expect(evolveAll(account, [])).toBe(account.initialState);
  });
});

describe('handleCommand', () => {
  it('decides, stamps versions, appends and returns the new state', async () => {
    const store = new InMemoryEventStore();
    const first = await handleCommand(store, account, target, {
      type: 'deposit',
      accountId: 'acc-1',
      amount: 10,
    });
    expect(first).toMatchObject({ state: { balance: 10 }, version: 1, attempts: 1 });
    const second = await handleCommand(store, account, target, {
      type: 'deposit',
      accountId: 'acc-1',
      amount: 5,
    });
    expect(second.version).toBe(2);
    expect(second.events[0]?.aggregateVersion).toBe(2);
    expect(second.state).toEqual({ balance: 15 });
    const stream = await store.getEvents('acc-1', 'Account');
    expect(stream.events.map((e) => e.aggregateVersion)).toEqual([1, 2]);
    expect(stream.events).toEqual([...first.events, ...second.events]);
  });

  it('appends nothing when the command is rejected', async () => {
    const store = new InMemoryEventStore();
    const error = await rejection(
      handleCommand(store, account, target, { type: 'withdraw', accountId: 'acc-1', amount: 1 }),
    );
    expect(error).toBeInstanceOf(CommandRejectedError);
    expect(await store.getGlobalPosition()).toBe(0);
  });

  it('returns the current state when no event is decided', async () => {
    const store = new InMemoryEventStore();
    await handleCommand(store, account, target, { type: 'deposit', accountId: 'acc-1', amount: 3 });
    const result = await handleCommand(store, account, target, {
      type: 'noop',
      accountId: 'acc-1',
    });
    expect(result).toEqual({ state: { balance: 3 }, events: [], version: 1, attempts: 1 });
  });

  function racingStore(
    inner: InMemoryEventStore,
    races: number,
    racer: (id: string) => AccountEvent = (id) =>
      Deposited.create({ aggregateId: id, amount: 100 }),
  ): EventStore {
    let remaining = races;
    return {
      async appendEvents(id, type, events, expected) {
        if (remaining > 0) {
          remaining--;
          // Another writer gets in between this writer's read and its append.
          await inner.appendEvents(id, type, [racer(id)], ExpectedVersion.ANY);
        }
        return inner.appendEvents(id, type, events, expected);
      },
      getEvents: (...args) => inner.getEvents(...args),
      readAll: (options) => inner.readAll(options),
      getGlobalPosition: () => inner.getGlobalPosition(),
    };
  }

  it('re-reads and decides again after a conflict when retries are allowed', async () => {
    const inner = new InMemoryEventStore();
    const store = racingStore(inner, 2);
    const result = await handleCommand(
      store,
      account,
      target,
      { type: 'deposit', accountId: 'acc-1', amount: 10 },
      { retry: 2 },
    );
    expect(result.attempts).toBe(3);
    expect(result.state).toEqual({ balance: 210 });
    expect(result.version).toBe(3);
    expect(result.events.map((e) => e.aggregateVersion)).toEqual([3]);
    expect((await inner.getEvents('acc-1', 'Account')).version).toBe(3);
  });

  it('decides again on the fresh state, which may now reject the command', async () => {
    const inner = new InMemoryEventStore();
    await inner.appendEvents(
      'acc-1',
      'Account',
      [Deposited.create({ aggregateId: 'acc-1', amount: 200 })],
      0,
    );
    const store = racingStore(inner, 1, (id) => Withdrawn.create({ aggregateId: id, amount: 100 }));
    const error = await rejection(
      handleCommand(
        store,
        account,
        target,
        { type: 'withdraw', accountId: 'acc-1', amount: 150 },
        { retry: 3 },
      ),
    );
    expect(error).toBeInstanceOf(CommandRejectedError);
    expect((await inner.getEvents('acc-1', 'Account')).events.map((e) => e.eventType)).toEqual([
      'Deposited',
      'Withdrawn',
    ]);
  });

  it('throws the conflict when no retry is left', async () => {
    const inner = new InMemoryEventStore();
    await inner.appendEvents(
      'acc-1',
      'Account',
      [Deposited.create({ aggregateId: 'acc-1', amount: 1 })],
      0,
    );
    const store = racingStore(inner, 5);
    const error = await rejection(
      handleCommand(
        store,
        account,
        target,
        { type: 'deposit', accountId: 'acc-1', amount: 1 },
        { retry: 1 },
      ),
    );
    expect(error).toBeInstanceOf(OptimisticLockError);
    expect(error).toMatchObject({ expectedVersion: 2, actualVersion: 3 });
  });

  it('does not retry other errors', async () => {
    const inner = new InMemoryEventStore();
    let appends = 0;
    const store: EventStore = {
      appendEvents: async () => {
        appends++;
        throw new Error('disk on fire');
      },
      getEvents: (...args) => inner.getEvents(...args),
      readAll: (options) => inner.readAll(options),
      getGlobalPosition: () => inner.getGlobalPosition(),
    };
    const error = await rejection(
      handleCommand(
        store,
        account,
        target,
        { type: 'deposit', accountId: 'acc-1', amount: 1 },
        { retry: 3 },
      ),
    );
    expect(error).toMatchObject({ message: 'disk on fire' });
    expect(appends).toBe(1);
  });

  it('rejects events of another aggregate and a bad retry option', async () => {
    const store = new InMemoryEventStore();
    const error = await rejection(
      handleCommand(store, account, target, { type: 'deposit', accountId: 'other', amount: 1 }),
    );
    expect(error).toBeInstanceOf(AggregateMismatchError);
    expect(
      await rejection(
        handleCommand(store, account, target, { type: 'noop', accountId: 'acc-1' }, { retry: -1 }),
      ),
    ).toBeInstanceOf(InvalidConfigError);
  });
});
