import { CheckpointError, EventSourceError, isEventSourceError } from '@es/core';
import { describe, expect, it } from 'vitest';
import {
  CheckpointConflictError,
  CheckpointNotFoundError,
  CheckpointPositionKindError,
  EventBusConnectionError,
  EventStoreConnectionError,
  isSubscriptionError,
  SubscriptionAlreadyExistsError,
  SubscriptionConfigError,
  SubscriptionError,
  SubscriptionStateError,
  TransitionError,
} from './errors.js';

describe('subscription errors', () => {
  const cause = new Error('root cause');
  const cases: [SubscriptionError, string, string][] = [
    [
      new SubscriptionError('generic', { subscriptionName: 'P', cause }),
      'SubscriptionError',
      'ES_SUBSCRIPTION',
    ],
    [
      new SubscriptionConfigError('SubscriptionConfig.batchSize', 'must be an integer >= 1', 0, {
        subscriptionName: 'P',
        cause,
      }),
      'SubscriptionConfigError',
      'ES_SUBSCRIPTION_CONFIG',
    ],
    [
      new SubscriptionStateError('cannot resume', {
        subscriptionName: 'P',
        state: 'stopped',
        operation: 'resume',
        cause,
      }),
      'SubscriptionStateError',
      'ES_SUBSCRIPTION_STATE',
    ],
    [
      new SubscriptionAlreadyExistsError('P', { cause }),
      'SubscriptionAlreadyExistsError',
      'ES_SUBSCRIPTION_ALREADY_EXISTS',
    ],
    [
      new CheckpointNotFoundError('P', { cause }),
      'CheckpointNotFoundError',
      'ES_CHECKPOINT_NOT_FOUND',
    ],
    [
      new EventStoreConnectionError('read failed', {
        subscriptionName: 'P',
        store: 'pg',
        position: 5,
        cause,
      }),
      'EventStoreConnectionError',
      'ES_EVENT_STORE_CONNECTION',
    ],
    [
      new EventBusConnectionError('listen failed', { subscriptionName: 'P', bus: 'notify', cause }),
      'EventBusConnectionError',
      'ES_EVENT_BUS_CONNECTION',
    ],
    [
      new TransitionError('catching_up', 'live', {
        subscriptionName: 'P',
        reason: 'catch-up failed',
        cause,
      }),
      'TransitionError',
      'ES_TRANSITION',
    ],
  ];

  it.each(cases)(
    '%s has a literal name, a stable code, the subscription and the cause',
    (error, name, code) => {
      expect(error).toBeInstanceOf(SubscriptionError);
      expect(error).toBeInstanceOf(EventSourceError);
      expect(error).toBeInstanceOf(Error);
      expect(isEventSourceError(error)).toBe(true);
      expect(isSubscriptionError(error)).toBe(true);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(error.subscriptionName).toBe('P');
      expect(error.cause).toBe(cause);
      expect(error.message.length).toBeGreaterThan(0);
      expect(String(error)).toContain(name);
    },
  );

  it('uses a unique code per class', () => {
    const codes = cases.map(([error]) => error.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('carries structured fields', () => {
    const config = new SubscriptionConfigError(
      'SubscriptionConfig.batchSize',
      'must be an integer >= 1',
      0,
    );
    expect(config).toMatchObject({
      field: 'SubscriptionConfig.batchSize',
      rule: 'must be an integer >= 1',
      value: 0,
    });
    expect(config.message).toBe(
      'Invalid SubscriptionConfig.batchSize: must be an integer >= 1 (got 0)',
    );
    expect(config.subscriptionName).toBeUndefined();

    const state = new SubscriptionStateError('cannot resume', {
      state: 'stopped',
      operation: 'resume',
    });
    expect(state).toMatchObject({ state: 'stopped', operation: 'resume' });

    const exists = new SubscriptionAlreadyExistsError('TaskProjection');
    expect(exists.message).toBe("Subscription 'TaskProjection' already exists");
    expect(exists.subscriptionName).toBe('TaskProjection');

    const store = new EventStoreConnectionError('connection refused', {
      store: 'PostgresEventStore',
      position: 'abc',
    });
    expect(store).toMatchObject({ store: 'PostgresEventStore', position: 'abc' });
    expect(store.message).toBe('PostgresEventStore: connection refused');
    expect(new EventStoreConnectionError('x').position).toBeNull();

    const bus = new EventBusConnectionError('lost', { bus: 'notify' });
    expect(bus).toMatchObject({ bus: 'notify', message: 'notify: lost' });

    const transition = new TransitionError('catching_up', 'live', {
      subscriptionName: 'P',
      reason: 'catch-up failed',
    });
    expect(transition).toMatchObject({
      from: 'catching_up',
      to: 'live',
      reason: 'catch-up failed',
    });
    expect(transition.message).toBe(
      "Cannot transition of subscription 'P' from catching_up to live: catch-up failed",
    );
  });

  it('leaves cause unset when none is given', () => {
    expect('cause' in new SubscriptionError('x')).toBe(false);
    expect('cause' in new SubscriptionAlreadyExistsError('x')).toBe(false);
  });

  it('isSubscriptionError is false for other errors', () => {
    expect(isSubscriptionError(new Error('x'))).toBe(false);
    expect(isSubscriptionError(new CheckpointError('x'))).toBe(false);
    expect(isSubscriptionError({ code: 'ES_SUBSCRIPTION' })).toBe(false);
    expect(isSubscriptionError(null)).toBe(false);
  });
});

describe('CheckpointPositionKindError', () => {
  it('is a CheckpointError with the stored and rejected positions', () => {
    const error = new CheckpointPositionKindError('P', 5, 'a');
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error).toMatchObject({
      name: 'CheckpointPositionKindError',
      code: 'ES_CHECKPOINT_POSITION_KIND',
      subscriptionId: 'P',
      storedPosition: 5,
      position: 'a',
    });
    expect(error.message).toContain('number');
    expect(error.message).toContain('string');
  });
});

describe('CheckpointConflictError', () => {
  it('is a CheckpointError with the expected and refused positions', () => {
    const cause = new Error('root');
    const error = new CheckpointConflictError('P', 5, 9, { cause });
    expect(error).toBeInstanceOf(CheckpointError);
    expect(isEventSourceError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'CheckpointConflictError',
      code: 'ES_CHECKPOINT_CONFLICT',
      subscriptionId: 'P',
      expected: 5,
      position: 9,
      cause,
    });
    expect(new CheckpointConflictError('P', null, 'a').message).toContain('no checkpoint');
  });
});
