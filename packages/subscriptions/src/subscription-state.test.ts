import { describe, expect, it } from 'vitest';
import {
  CheckpointStrategy,
  DEFAULT_CHECKPOINT_STRATEGY,
  isCheckpointStrategy,
} from './checkpoint-strategy.js';
import { isSubscriptionState, SubscriptionState } from './subscription-state.js';

describe('SubscriptionState', () => {
  it('has the lowercase states of the contract', () => {
    expect(SubscriptionState).toEqual({
      STARTING: 'starting',
      CATCHING_UP: 'catching_up',
      LIVE: 'live',
      PAUSED: 'paused',
      STOPPED: 'stopped',
      ERROR: 'error',
    });
    expect(isSubscriptionState('live')).toBe(true);
    expect(isSubscriptionState('LIVE')).toBe(false);
  });
});

describe('CheckpointStrategy', () => {
  it('has the three strategies, EVERY_BATCH by default', () => {
    expect(CheckpointStrategy).toEqual({
      EVERY_EVENT: 'every_event',
      EVERY_BATCH: 'every_batch',
      PERIODIC: 'periodic',
    });
    expect(DEFAULT_CHECKPOINT_STRATEGY).toBe('every_batch');
    expect(isCheckpointStrategy('periodic')).toBe(true);
    expect(isCheckpointStrategy('after_batch')).toBe(false);
  });
});
