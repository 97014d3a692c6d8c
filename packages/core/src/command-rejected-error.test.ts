import { describe, expect, it } from 'vitest';
import { CommandRejectedError } from './command-rejected-error.js';
import { EventSourceError, isEventSourceError } from './errors.js';

describe('CommandRejectedError', () => {
  it('carries its reason, the aggregate, the command and the cause', () => {
    const cause = new Error('rule');
    const error = new CommandRejectedError('Task already completed', {
      aggregateId: 't-1',
      commandName: 'CompleteTask',
      cause,
    });
    expect(error).toBeInstanceOf(EventSourceError);
    expect(isEventSourceError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'CommandRejectedError',
      code: 'ES_COMMAND_REJECTED',
      message: 'Task already completed',
      reason: 'Task already completed',
      aggregateId: 't-1',
      commandName: 'CompleteTask',
    });
    expect(error.cause).toBe(cause);
  });

  it('works without options', () => {
    const error = new CommandRejectedError('no');
    expect(error.aggregateId).toBeUndefined();
    expect('cause' in error).toBe(false);
  });
});
