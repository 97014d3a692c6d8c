import { describe, expect, it } from 'vitest';
import { AggregateMismatchError } from './aggregate-mismatch-error.js';
import {
  assertAppendArguments,
  assignStreamVersions,
  checkExpectedVersion,
} from './append-rules.js';
import type { DomainEvent } from './domain-event.js';
import { EventVersionError, InvalidConfigError, OptimisticLockError } from './errors.js';
import { defineEvent } from './event-definition.js';
import { ExpectedVersion } from './event-store.js';

const Ping = defineEvent('Ping', { aggregateType: 'Pinger', registry: null });
const ping = (aggregateVersion: number, aggregateId = 'p'): DomainEvent =>
  Ping.create({ aggregateId, aggregateVersion });

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('assertAppendArguments', () => {
  it('accepts a valid batch and every expected-version kind', () => {
    for (const expected of [-2, -1, 0, 1, 99]) {
      expect(() => assertAppendArguments('p', 'Pinger', [ping(1)], expected)).not.toThrow();
    }
    expect(() => assertAppendArguments('p', 'Pinger', [], 0)).not.toThrow();
  });

  it.each([
    [['', 'Pinger', [], 0], 'appendEvents.aggregateId'],
    [['p', '', [], 0], 'appendEvents.aggregateType'],
    [['p', 'Pinger', 'x', 0], 'appendEvents.events'],
    [['p', 'Pinger', [], -3], 'appendEvents.expectedVersion'],
    [['p', 'Pinger', [], 1.5], 'appendEvents.expectedVersion'],
    [['p', 'Pinger', [], Number.NaN], 'appendEvents.expectedVersion'],
    [['p', 'Pinger', [null], 0], 'appendEvents.events[0]'],
    [['p', 'Pinger', [{ ...ping(1), eventId: '' }], 0], 'appendEvents.events[0].eventId'],
    [
      ['p', 'Pinger', [ping(1), { ...ping(2), eventType: 1 }], 0],
      'appendEvents.events[1].eventType',
    ],
    [
      ['p', 'Pinger', [{ ...ping(1), aggregateVersion: 0 }], 0],
      'appendEvents.events[0].aggregateVersion',
    ],
    [['p', 'Pinger', [{ ...ping(1), occurredAt: 'now' }], 0], 'appendEvents.events[0].occurredAt'],
  ])('rejects %j naming %s', (args, field) => {
    const error = catchError(() =>
      assertAppendArguments(...(args as Parameters<typeof assertAppendArguments>)),
    );
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error).toMatchObject({ field });
  });

  it('rejects events of another stream', () => {
    const foreign = ping(1, 'other');
    expect(catchError(() => assertAppendArguments('p', 'Pinger', [foreign], 0))).toMatchObject({
      code: 'ES_AGGREGATE_MISMATCH',
      field: 'aggregateId',
      expected: 'p',
      actual: 'other',
      eventId: foreign.eventId,
    });
    expect(catchError(() => assertAppendArguments('p', 'Other', [ping(1)], 0))).toBeInstanceOf(
      AggregateMismatchError,
    );
  });
});

describe('checkExpectedVersion', () => {
  it('implements ANY, NO_STREAM, STREAM_EXISTS and exact versions', () => {
    expect(() => checkExpectedVersion('p', ExpectedVersion.ANY, 0)).not.toThrow();
    expect(() => checkExpectedVersion('p', ExpectedVersion.ANY, 7)).not.toThrow();
    expect(() => checkExpectedVersion('p', ExpectedVersion.NO_STREAM, 0)).not.toThrow();
    expect(() => checkExpectedVersion('p', ExpectedVersion.STREAM_EXISTS, 1)).not.toThrow();
    expect(() => checkExpectedVersion('p', 3, 3)).not.toThrow();
    expect(catchError(() => checkExpectedVersion('p', ExpectedVersion.NO_STREAM, 2))).toMatchObject(
      {
        aggregateId: 'p',
        expectedVersion: 0,
        actualVersion: 2,
      },
    );
    expect(
      catchError(() => checkExpectedVersion('p', ExpectedVersion.STREAM_EXISTS, 0)),
    ).toMatchObject({
      expectedVersion: -2,
      actualVersion: 0,
    });
    expect(catchError(() => checkExpectedVersion('p', 4, 3))).toBeInstanceOf(OptimisticLockError);
  });
});

describe('assignStreamVersions', () => {
  it('returns the same array when the versions are already right', () => {
    const events = [ping(3), ping(4)];
    expect(assignStreamVersions('p', events, 2, 2)).toBe(events);
    expect(assignStreamVersions('p', events, ExpectedVersion.ANY, 2)).toBe(events);
  });

  it('stamps versions under ANY and STREAM_EXISTS, copying only what changes', () => {
    const events = [ping(1), ping(6), ping(1)];
    const stamped = assignStreamVersions('p', events, ExpectedVersion.ANY, 5);
    expect(stamped.map((e) => e.aggregateVersion)).toEqual([6, 7, 8]);
    expect(stamped[1]).not.toBe(events[1]);
    expect(stamped[0]!.eventId).toBe(events[0]!.eventId);
    const kept = [ping(6), ping(1)];
    const partly = assignStreamVersions('p', kept, ExpectedVersion.STREAM_EXISTS, 5);
    expect(partly[0]).toBe(kept[0]);
    expect(partly[1]!.aggregateVersion).toBe(7);
  });

  it('rejects wrong versions under an exact expected version', () => {
    expect(catchError(() => assignStreamVersions('p', [ping(1), ping(3)], 0, 0))).toMatchObject({
      code: 'ES_EVENT_VERSION',
      expectedVersion: 2,
      actualVersion: 3,
      aggregateId: 'p',
    });
    expect(catchError(() => assignStreamVersions('p', [ping(1)], 2, 2))).toBeInstanceOf(
      EventVersionError,
    );
  });
});
