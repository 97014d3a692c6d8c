import {
  EventSourceError,
  InvalidConfigError,
  OptimisticLockError,
  SerializationError,
} from '@es/core';
import { describe, expect, it } from 'vitest';
import { ErrorClassification } from './error-classification.js';
import {
  classifyError,
  defaultClassifier,
  ErrorClassifier,
  getDefaultClassifier,
} from './error-classifier.js';
import { ConnectionError, KeyError, TimeoutError } from './errors.js';

const withCode = (code: string, message = '') => Object.assign(new Error(message), { code });

/** A postgres.js-like server error. */
class PostgresError extends Error {
  override name = 'PostgresError';
  constructor(
    message: string,
    readonly code: string,
    readonly severity = 'ERROR',
  ) {
    super(message);
  }
}

/** drizzle's wrapper: the driver error is the `cause`. */
class DrizzleQueryError extends Error {
  constructor(query: string, cause: unknown) {
    super(`Failed query: ${query}`, { cause });
  }
}

const classifier = new ErrorClassifier();
const verdict = (error: unknown) => {
  const c = classifier.classify(error);
  return [c.category, c.severity, c.retryable] as const;
};

describe('ErrorClassifier built-in table (CONTRACT §4)', () => {
  it.each<[string, unknown]>([
    ['ConnectionError', new ConnectionError('Network timeout')],
    ['TimeoutError', new TimeoutError()],
    ...[
      'ECONNRESET',
      'ECONNREFUSED',
      'ETIMEDOUT',
      'EPIPE',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EAI_AGAIN',
    ].map((code): [string, unknown] => [code, withCode(code)]),
    ['DOMException TimeoutError', new DOMException('The operation timed out', 'TimeoutError')],
    ['postgres.js CONNECT_TIMEOUT', withCode('CONNECT_TIMEOUT')],
    ['postgres.js CONNECTION_CLOSED', withCode('CONNECTION_CLOSED')],
    ['SQLSTATE 08006', new PostgresError('connection failure', '08006')],
    ['SQLSTATE 08P01', new PostgresError('protocol violation', '08P01')],
    [
      'SQLSTATE 57P01',
      new PostgresError('terminating connection due to administrator command', '57P01'),
    ],
    ['SQLSTATE 57P02', new PostgresError('crash', '57P02')],
    ['SQLSTATE 57P03', new PostgresError('the database system is starting up', '57P03')],
    ['SQLSTATE 53300', new PostgresError('too many connections', '53300')],
    ['SQLSTATE 40001', new PostgresError('could not serialize access', '40001')],
    ['SQLSTATE 40P01', new PostgresError('deadlock detected', '40P01')],
    ['SQLSTATE 55P03', new PostgresError('could not obtain lock', '55P03')],
  ])('%s is transient / medium / retryable', (_label, error) => {
    expect(verdict(error)).toEqual(['transient', 'medium', true]);
    expect(classifier.isTransient(error)).toBe(true);
    expect(classifier.isRetryable(error)).toBe(true);
  });

  it.each([
    ['KeyError', new KeyError('Task 1 not found in projection')],
    ['RangeError', new RangeError('Invalid array length')],
    ['SyntaxError', new SyntaxError('Unexpected token')],
    ['SerializationError', new SerializationError('bad payload', 'TaskCreated')],
    ['SQLSTATE 22P02', new PostgresError('invalid input syntax', '22P02')],
    ['SQLSTATE 23505', new PostgresError('duplicate key value', '23505')],
  ])('%s is application / medium / not retryable', (_label, error) => {
    expect(verdict(error)).toEqual(['application', 'medium', false]);
  });

  it.each([
    ['TypeError', new TypeError('x is not a function')],
    ['ReferenceError', new ReferenceError('x is not defined')],
    ['SQLSTATE 42P01', new PostgresError('relation does not exist', '42P01')],
    ['SQLSTATE 42703', new PostgresError('column does not exist', '42703')],
  ])('%s is application / high / not retryable', (_label, error) => {
    expect(verdict(error)).toEqual(['application', 'high', false]);
  });

  it.each([
    ['SQLSTATE 53100', new PostgresError('could not extend file', '53100')],
    ['SQLSTATE 53200', new PostgresError('out of memory', '53200')],
    ['SQLSTATE 58030', new PostgresError('could not open file', '58030')],
    ['SQLSTATE XX000', new PostgresError('internal error', 'XX000')],
    ['heap out of memory', new Error('JavaScript heap out of memory')],
    ['array buffer allocation', new RangeError('Array buffer allocation failed')],
  ])('%s is infrastructure / critical / not retryable', (_label, error) => {
    expect(verdict(error)).toEqual(['infrastructure', 'critical', false]);
  });

  it.each([
    ['plain Error', new Error('boom')],
    ['EvalError', new EvalError('x')],
    ['an unlisted errno', withCode('ENOENT')],
    ['an errno that looks like a SQLSTATE', withCode('EPERM')],
    ['a SQLSTATE outside the table', new PostgresError('query_canceled', '57014')],
    ['OptimisticLockError', new OptimisticLockError('a', 1, 2)],
    ['AbortError', new DOMException('aborted', 'AbortError')],
    ['a string', 'something failed'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a plain object', { message: 'x' }],
  ])('%s is unknown / medium / not retryable', (_label, error) => {
    expect(verdict(error)).toEqual(['unknown', 'medium', false]);
  });

  it('walks the prototype chain, nearest class first', () => {
    class ServiceUnavailable extends ConnectionError {}
    class StrictTypeError extends TypeError {}
    class MissingTask extends KeyError {}
    expect(verdict(new ServiceUnavailable())).toEqual(['transient', 'medium', true]);
    expect(verdict(new StrictTypeError('x'))).toEqual(['application', 'high', false]);
    expect(verdict(new MissingTask())).toEqual(['application', 'medium', false]);
  });

  it('describes an unclassified error with its type name', () => {
    class WeirdError extends Error {}
    expect(classifier.classify(new WeirdError('x')).description).toBe(
      'Unclassified error: WeirdError',
    );
    expect(classifier.classify(new Error('x')).description).toBe('Unclassified error: Error');
    expect(classifier.classify(new OptimisticLockError('a', 1, 2)).description).toBe(
      'Unclassified error: OptimisticLockError',
    );
    expect(classifier.classify('x').description).toBe('Unclassified error: string');
    expect(classifier.classify(new Error('x'))).toBe(classifier.classify(new Error('y')));
  });

  it('classifies copies of the @es error classes by their branded code', () => {
    // What a second copy of @es/core + @es/resilience would produce: same brand, other classes.
    class CopiedConnectionError extends Error {
      override readonly name = 'ConnectionError';
      readonly code = 'ES_CONNECTION';
    }
    const copy = Object.assign(new CopiedConnectionError('from another bundle'), {
      [Symbol.for('@es/error')]: true,
    });
    expect(copy).not.toBeInstanceOf(EventSourceError);
    expect(verdict(copy)).toEqual(['transient', 'medium', true]);
    // Without the brand the code means nothing.
    expect(verdict(withCode('ES_CONNECTION'))).toEqual(['unknown', 'medium', false]);
  });
});

describe('ErrorClassifier nested errors', () => {
  it('looks through cause chains (drizzle wraps postgres.js errors)', () => {
    const wrapped = new DrizzleQueryError(
      'select 1',
      new PostgresError('deadlock detected', '40P01'),
    );
    expect(verdict(wrapped)).toEqual(['transient', 'medium', true]);
    const deeper = new Error('outer', {
      cause: new Error('middle', { cause: withCode('ECONNRESET') }),
    });
    expect(classifier.isRetryable(deeper)).toBe(true);
  });

  it('the outer error decides when it is recognised', () => {
    const outer = new TypeError('bad call', { cause: withCode('ECONNRESET') });
    expect(verdict(outer)).toEqual(['application', 'high', false]);
  });

  it('looks into AggregateError.errors, in order', () => {
    // Node happy-eyeballs: empty message, code on the aggregate.
    const happyEyeballs = Object.assign(
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''),
      {
        code: 'ECONNREFUSED',
      },
    );
    expect(verdict(happyEyeballs)).toEqual(['transient', 'medium', true]);
    const mixed = new AggregateError([
      new Error('plain'),
      new TypeError('bug'),
      withCode('ETIMEDOUT'),
    ]);
    expect(verdict(mixed)).toEqual(['application', 'high', false]);
    const inCause = new Error('x', {
      cause: new AggregateError([new Error('a'), withCode('EPIPE')]),
    });
    expect(verdict(inCause)).toEqual(['transient', 'medium', true]);
  });

  it('searches breadth-first: a shallower match beats a deeper one', () => {
    const deepTransient = new Error('a', {
      cause: new Error('b', { cause: withCode('ECONNRESET') }),
    });
    const aggregate = new AggregateError([deepTransient, new KeyError('missing')]);
    expect(verdict(aggregate)).toEqual(['application', 'medium', false]);
  });

  it('survives cycles and gives up beyond the depth limit', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(verdict(a)).toEqual(['unknown', 'medium', false]);

    let chain: Error = withCode('ECONNRESET');
    for (let i = 0; i < 10; i++) chain = new Error(`level ${i}`, { cause: chain });
    expect(classifier.isRetryable(chain)).toBe(true);
    chain = new Error('one more', { cause: chain });
    expect(classifier.isRetryable(chain)).toBe(false);
  });

  it('never throws on hostile values', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    expect(verdict(hostile)).toEqual(['unknown', 'medium', false]);
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    expect(verdict(revocable.proxy)).toEqual(['unknown', 'medium', false]);
  });
});

describe('ErrorClassifier rules and precedence', () => {
  const transientHigh = new ErrorClassification({
    category: 'transient',
    severity: 'high',
    retryable: true,
    description: 'Temporary database issue',
  });

  it('an exact-class rule wins over patterns and the built-in table', () => {
    const c = new ErrorClassifier();
    class TemporaryDatabaseError extends Error {}
    c.registerClassification(TemporaryDatabaseError, transientHigh);
    c.registerPatternRule('temporary', { category: 'permanent' });
    expect(c.classify(new TemporaryDatabaseError('temporary'))).toBe(transientHigh);
    c.registerClassification(TypeError, { category: 'transient', retryable: true });
    expect(c.classify(new TypeError('x')).category).toBe('transient');
  });

  it('an exact-class rule does not match subclasses (they fall through)', () => {
    const c = new ErrorClassifier();
    c.registerClassification(RangeError, transientHigh);
    class MyRangeError extends RangeError {}
    expect(c.classify(new MyRangeError('x')).category).toBe('application');
    c.registerPatternRule('special', { category: 'permanent', description: 'special' });
    expect(c.classify(new MyRangeError('a SPECIAL case')).description).toBe('special');
  });

  it('registering a class again replaces its rule', () => {
    const c = new ErrorClassifier();
    class X extends Error {}
    c.registerClassification(X, { category: 'permanent' });
    c.registerClassification(X, { category: 'infrastructure' });
    expect(c.classify(new X()).category).toBe('infrastructure');
  });

  it('pattern rules match case-insensitively, in registration order, and beat the table', () => {
    const c = new ErrorClassifier();
    c.registerPatternRule('DeadLock', {
      category: 'transient',
      retryable: true,
      description: 'first',
    });
    c.registerPatternRule('deadlock', { category: 'permanent', description: 'second' });
    const error = new RangeError('a DEADLOCK happened');
    expect(c.classify(error).description).toBe('first');
    expect(c.classify(error).retryable).toBe(true);
  });

  it('pattern rules also match the error name', () => {
    const c = new ErrorClassifier();
    c.registerPatternRule('postgreserror', { category: 'infrastructure', description: 'by name' });
    expect(c.classify(new PostgresError('whatever', '99999')).description).toBe('by name');
  });

  it('RegExp rules are case-insensitive and stateless (g/y flags dropped)', () => {
    const c = new ErrorClassifier();
    const pattern = /lock\s+timeout/g;
    c.registerPatternRule(pattern, { category: 'transient', retryable: true });
    const error = new Error('Lock   TIMEOUT reached');
    for (let i = 0; i < 3; i++) expect(c.isRetryable(error)).toBe(true);
    expect(pattern.flags).toBe('g');
  });

  it('pattern rules apply to thrown strings and nested errors', () => {
    const c = new ErrorClassifier();
    c.registerPatternRule('quota', { category: 'transient', retryable: true });
    expect(c.isRetryable('quota exceeded')).toBe(true);
    expect(c.isRetryable(new Error('outer', { cause: new Error('Quota exceeded') }))).toBe(true);
  });

  it('code rules override the built-in table but not patterns', () => {
    const c = new ErrorClassifier();
    c.registerCodeRule('57014', {
      category: 'transient',
      retryable: true,
      description: 'statement timeout',
    });
    c.registerCodeRule('23505', { category: 'permanent', description: 'conflict' });
    expect(c.classify(new PostgresError('canceling statement', '57014')).description).toBe(
      'statement timeout',
    );
    expect(c.classify(new PostgresError('duplicate', '23505')).category).toBe('permanent');
    c.registerPatternRule('duplicate', { category: 'application', description: 'pattern' });
    expect(c.classify(new PostgresError('duplicate', '23505')).description).toBe('pattern');
  });

  it('returns functions that remove the rules', () => {
    const c = new ErrorClassifier();
    class X extends Error {}
    const offClass = c.registerClassification(X, { category: 'permanent' });
    const offPattern = c.registerPatternRule('boom', { category: 'permanent' });
    const offCode = c.registerCodeRule('ECONNRESET', { category: 'permanent' });
    offClass();
    offPattern();
    offCode();
    expect(c.classify(new X('boom')).category).toBe('unknown');
    expect(c.classify(withCode('ECONNRESET')).category).toBe('transient');
  });

  it('accepts plain classification objects and validates them', () => {
    const c = new ErrorClassifier();
    class X extends Error {}
    c.registerClassification(X, { category: 'transient', retryable: true });
    const result = c.classify(new X());
    expect(result).toBeInstanceOf(ErrorClassification);
    expect(result.severity).toBe('medium');
    expect(() => c.registerClassification(X, { category: 'flaky' as never })).toThrow(
      InvalidConfigError,
    );
  });

  it('rejects invalid rule arguments', () => {
    const c = new ErrorClassifier();
    expect(() => c.registerClassification('Error' as never, {})).toThrow(InvalidConfigError);
    expect(() => c.registerClassification((() => {}) as never, {})).toThrow(InvalidConfigError);
    expect(() => c.registerPatternRule('', {})).toThrow(InvalidConfigError);
    expect(() => c.registerPatternRule(5 as never, {})).toThrow(InvalidConfigError);
    expect(() => c.registerCodeRule('', {})).toThrow(InvalidConfigError);
  });

  it('instances do not share rules; the default classifier is one shared instance', () => {
    const a = new ErrorClassifier();
    const b = new ErrorClassifier();
    a.registerPatternRule('only-a', { category: 'permanent' });
    expect(b.classify(new Error('only-a')).category).toBe('unknown');
    expect(getDefaultClassifier()).toBe(defaultClassifier);
    const off = defaultClassifier.registerPatternRule('shared-rule', { category: 'permanent' });
    try {
      expect(classifyError(new Error('shared-rule')).category).toBe('permanent');
    } finally {
      off();
    }
    expect(classifyError(new Error('shared-rule')).category).toBe('unknown');
  });
});
