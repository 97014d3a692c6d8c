import { describe, expect, it } from 'vitest';
import { describeFailure } from './describe-failure.js';
import { MAX_ERROR_MESSAGE_LENGTH, MAX_ERROR_STACKTRACE_LENGTH } from './dlq-repository.js';

describe('describeFailure', () => {
  it('keeps an Error\'s message and puts "Name: message" over its frames', () => {
    const error = new TypeError('bad input');
    const { errorMessage, errorStacktrace } = describeFailure(error);
    expect(errorMessage).toBe('bad input');
    expect(errorStacktrace?.startsWith('TypeError: bad input\n    at ')).toBe(true);
  });

  it('uses the name a subclass sets as a class field', () => {
    class ProjectionBroke extends Error {
      override readonly name = 'ProjectionBroke';
    }
    expect(describeFailure(new ProjectionBroke('x')).errorStacktrace).toMatch(
      /^ProjectionBroke: x\n/,
    );
  });

  it('replaces a stale stack header and keeps a custom stack below the header', () => {
    const renamed = new Error('m');
    void renamed.stack; // V8 formats the stack lazily; force the old header
    renamed.name = 'Renamed';
    expect(describeFailure(renamed).errorStacktrace).toMatch(/^Renamed: m\n {4}at /);
    const custom = new Error('m');
    custom.stack = 'somewhere else entirely';
    expect(describeFailure(custom).errorStacktrace).toBe('Error: m\nsomewhere else entirely');
    const none = new Error('m');
    none.stack = undefined as unknown as string;
    expect(describeFailure(none).errorStacktrace).toBe('Error: m');
  });

  it('falls back to the name when the message is empty', () => {
    const { errorMessage, errorStacktrace } = describeFailure(new RangeError(''));
    expect(errorMessage).toBe('RangeError');
    expect(errorStacktrace).toMatch(/^RangeError\n {4}at /);
  });

  it('appends the cause chain, errors and other values alike', () => {
    const root = new SyntaxError('root');
    const middle = new Error('middle', { cause: root });
    const text = describeFailure(new Error('top', { cause: middle })).errorStacktrace ?? '';
    const top = text.indexOf('Error: top');
    const mid = text.indexOf('\nCaused by: Error: middle');
    const bottom = text.indexOf('\nCaused by: SyntaxError: root');
    expect(top).toBe(0);
    expect(mid).toBeGreaterThan(top);
    expect(bottom).toBeGreaterThan(mid);
    expect(
      describeFailure(new Error('top', { cause: 'a string cause' })).errorStacktrace,
    ).toContain('\nCaused by: a string cause');
    expect(describeFailure(new Error('top', { cause: { code: 'E42' } })).errorStacktrace).toContain(
      '\nCaused by: {"code":"E42"}',
    );
  });

  it('stops at a circular or very deep cause chain', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(describeFailure(a).errorStacktrace).toContain('Caused by: [circular cause]');
    let deep = new Error('level 0');
    for (let i = 1; i < 50; i++) deep = new Error(`level ${i}`, { cause: deep });
    const text = describeFailure(deep).errorStacktrace ?? '';
    expect(text).toContain('Caused by: … (cause chain cut)');
    expect(text).not.toContain('level 0');
  });

  it('lists the members of an AggregateError, up to ten', () => {
    const errors = Array.from({ length: 12 }, (_, i) => new Error(`member ${i}`));
    const text = describeFailure(new AggregateError(errors, 'many')).errorStacktrace ?? '';
    expect(text).toMatch(/^AggregateError: many\n/);
    expect(text).toContain('Aggregated error 1 of 12: Error: member 0');
    expect(text).toContain('Aggregated error 10 of 12: Error: member 9');
    expect(text).not.toContain('member 10');
    expect(text).toContain('… 2 more aggregated errors');
  });

  it('treats an error-like object as an error', () => {
    const { errorMessage, errorStacktrace } = describeFailure({
      name: 'PgError',
      message: 'deadlock',
    });
    expect(errorMessage).toBe('deadlock');
    expect(errorStacktrace).toBe('PgError: deadlock');
  });

  it('turns strings and other thrown values into text with no stack', () => {
    expect(describeFailure('text')).toEqual({ errorMessage: 'text', errorStacktrace: null });
    expect(describeFailure(42)).toEqual({ errorMessage: '42', errorStacktrace: null });
    expect(describeFailure(undefined)).toEqual({
      errorMessage: 'undefined',
      errorStacktrace: null,
    });
    expect(describeFailure(Symbol('s'))).toEqual({
      errorMessage: 'Symbol(s)',
      errorStacktrace: null,
    });
    expect(describeFailure({ code: 'E1' })).toEqual({
      errorMessage: '{"code":"E1"}',
      errorStacktrace: null,
    });
    expect(describeFailure(Object.create(null)).errorMessage).toBe('[object Object]');
  });

  it('never throws on hostile values', () => {
    const throwsOnString = {
      toString() {
        throw new Error('no');
      },
    };
    expect(describeFailure(throwsOnString).errorMessage).toBe('[object Object]');
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(typeof describeFailure(proxy).errorMessage).toBe('string');
    const hostileGetters = Object.defineProperty(new Error('x'), 'message', {
      get() {
        throw new Error('no message for you');
      },
    });
    expect(typeof describeFailure(hostileGetters).errorMessage).toBe('string');
    const everythingThrows = new Proxy(
      {},
      {
        get() {
          throw new Error('get');
        },
        has() {
          throw new Error('has');
        },
        getPrototypeOf() {
          throw new Error('proto');
        },
      },
    );
    expect(typeof describeFailure(everythingThrows).errorMessage).toBe('string');
  });

  it('truncates huge messages and stacks to the limits', () => {
    const error = new Error('m'.repeat(MAX_ERROR_MESSAGE_LENGTH + 10));
    const { errorMessage, errorStacktrace } = describeFailure(error);
    expect(errorMessage).toHaveLength(MAX_ERROR_MESSAGE_LENGTH);
    expect(errorMessage).toMatch(/… \[truncated \d+ chars\]$/);
    expect(errorStacktrace?.length).toBeLessThanOrEqual(MAX_ERROR_STACKTRACE_LENGTH);
    const longStack = new Error('short');
    longStack.stack = `Error: short\n${'    at f (x.js:1:1)\n'.repeat(5_000)}`;
    expect(describeFailure(longStack).errorStacktrace).toHaveLength(MAX_ERROR_STACKTRACE_LENGTH);
  });
});
