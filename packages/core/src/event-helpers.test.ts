import { describe, expect, it } from 'vitest';
import { SerializationError } from './errors.js';
import { defineEvent, payload } from './event-definition.js';
import { withAggregateVersion, withCausation, withMetadata } from './event-helpers.js';

const Noted = defineEvent('Noted', {
  aggregateType: 'Note',
  payload: payload<{ text: string }>(),
  registry: null,
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('withCausation', () => {
  it('takes the causation id and the correlation id from the cause', () => {
    const cause = Noted.create({ aggregateId: 'n', text: 'first' });
    const effect = Noted.create({ aggregateId: 'n', aggregateVersion: 2, text: 'second' });
    const linked = withCausation(effect, cause);
    expect(linked).toEqual({
      ...effect,
      causationId: cause.eventId,
      correlationId: cause.correlationId,
    });
    expect(Object.isFrozen(linked)).toBe(true);
    expect(effect.causationId).toBeUndefined();
    expect(linked.text).toBe('second');
  });

  it('rejects a cause without ids', () => {
    const effect = Noted.create({ aggregateId: 'n', text: 'x' });
    expect(catchError(() => withCausation(effect, {} as never))).toMatchObject({
      code: 'ES_SERIALIZATION',
      eventType: 'Noted',
      issues: ['cause.eventId: must be a non-empty string (got undefined)'],
    });
    expect(catchError(() => withCausation(effect, null as never))).toBeInstanceOf(
      SerializationError,
    );
  });
});

describe('withMetadata', () => {
  it('merges metadata into a frozen copy', () => {
    const event = Noted.create({ aggregateId: 'n', text: 'x', metadata: { a: 1, b: 1 } });
    const extra = { b: 2, c: { d: [1] } };
    const copy = withMetadata(event, extra);
    expect(copy.metadata).toEqual({ a: 1, b: 2, c: { d: [1] } });
    expect(event.metadata).toEqual({ a: 1, b: 1 });
    extra.c.d.push(2);
    expect(copy.metadata).toEqual({ a: 1, b: 2, c: { d: [1] } });
    expect(Object.isFrozen(copy.metadata)).toBe(true);
    expect(Object.isFrozen(copy)).toBe(true);
    expect(copy.eventId).toBe(event.eventId);
  });

  it('rejects non-objects', () => {
    const event = Noted.create({ aggregateId: 'n', text: 'x' });
    expect(catchError(() => withMetadata(event, [] as never))).toBeInstanceOf(SerializationError);
    expect(catchError(() => withMetadata(event, 'x' as never))).toBeInstanceOf(SerializationError);
  });
});

describe('withAggregateVersion', () => {
  it('returns a frozen copy with the version, or the event when unchanged', () => {
    const event = Noted.create({ aggregateId: 'n', text: 'x' });
    const moved = withAggregateVersion(event, 5);
    expect(moved.aggregateVersion).toBe(5);
    expect(event.aggregateVersion).toBe(1);
    expect(Object.isFrozen(moved)).toBe(true);
    expect(moved).toEqual({ ...event, aggregateVersion: 5 });
    expect(Object.keys(moved)).toEqual(Object.keys(event));
    expect(withAggregateVersion(event, 1)).toBe(event);
  });

  it.each([0, -1, 1.5, Number.NaN, '2'])('rejects %j', (version) => {
    const event = Noted.create({ aggregateId: 'n', text: 'x' });
    expect(catchError(() => withAggregateVersion(event, version as number))).toMatchObject({
      code: 'ES_SERIALIZATION',
      eventType: 'Noted',
    });
  });
});
