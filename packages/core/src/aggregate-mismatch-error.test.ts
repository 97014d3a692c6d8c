import { describe, expect, it } from 'vitest';
import { AggregateMismatchError } from './aggregate-mismatch-error.js';
import { EventSourceError } from './errors.js';

describe('AggregateMismatchError', () => {
  it('names the field and both values', () => {
    const error = new AggregateMismatchError('aggregateType', 'Task', 'Bin', 'e-1');
    expect(error).toBeInstanceOf(EventSourceError);
    expect(error).toMatchObject({
      name: 'AggregateMismatchError',
      code: 'ES_AGGREGATE_MISMATCH',
      field: 'aggregateType',
      expected: 'Task',
      actual: 'Bin',
      eventId: 'e-1',
    });
    expect(error.message).toContain('Bin');
  });
});
