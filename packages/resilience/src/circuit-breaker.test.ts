import { EventSourceError, InvalidConfigError } from '@es/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type CircuitStateChange } from './circuit-breaker.js';
import { CircuitBreakerConfig } from './circuit-breaker-config.js';
import { CircuitState } from './circuit-state.js';
import { CircuitBreakerOpenError, ConnectionError } from './errors.js';

/** A controllable clock in epoch milliseconds. */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    clock: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    get now() {
      return now;
    },
  };
}

const ok = async () => 'ok';
const fail = async (): Promise<never> => {
  throw new ConnectionError('down');
};

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function failTimes(breaker: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await breaker.execute(fail).catch(() => undefined);
}

describe('CircuitBreaker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes results and errors through while closed', async () => {
    const breaker = new CircuitBreaker();
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    await expect(breaker.execute(() => 7)).resolves.toBe(7);
    const error = new RangeError('bad');
    await expect(
      breaker.execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    expect(breaker.state).toBe('closed');
    expect(breaker.isClosed).toBe(true);
    expect(breaker.failureCount).toBe(1);
  });

  it('opens after failureThreshold consecutive failures', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3 });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe(CircuitState.CLOSED);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe(CircuitState.OPEN);
    expect(breaker.isOpen).toBe(true);
    expect(breaker.failureCount).toBe(3);
  });

  it('counts consecutive failures only: a success resets the count', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3 });
    await failTimes(breaker, 2);
    await breaker.execute(ok);
    expect(breaker.failureCount).toBe(0);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  it('fails fast while open without calling the operation', async () => {
    const time = manualClock();
    const breaker = new CircuitBreaker(
      { failureThreshold: 1, recoveryTimeoutMs: 30_000 },
      { clock: time.clock },
    );
    await failTimes(breaker, 1);
    time.advance(10_000);
    const op = vi.fn(ok);
    const error = await breaker.execute(op, 'external_api').catch((e) => e);
    expect(op).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitBreakerOpenError);
    expect(error).toBeInstanceOf(EventSourceError);
    expect(error.code).toBe('ES_CIRCUIT_OPEN');
    expect(error.operationName).toBe('external_api');
    expect(error.retryAfterMs).toBe(20_000);
    // CONTRACT §9 #7: a Date, not a monotonic float.
    expect(error.recoveryTime).toBeInstanceOf(Date);
    expect(error.recoveryTime.getTime()).toBe(time.now + 20_000);
  });

  it('uses the breaker name when execute gets none', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 }, { name: 'db' });
    await failTimes(breaker, 1);
    await expect(breaker.execute(ok)).rejects.toMatchObject({ operationName: 'db' });
    const unnamed = new CircuitBreaker({ failureThreshold: 1 });
    await failTimes(unnamed, 1);
    await expect(unnamed.execute(ok)).rejects.toMatchObject({ operationName: 'operation' });
  });

  it('reads half_open as soon as the recovery timeout has passed (effective state)', async () => {
    const time = manualClock();
    const breaker = new CircuitBreaker(
      { failureThreshold: 1, recoveryTimeoutMs: 1000 },
      { clock: time.clock },
    );
    await failTimes(breaker, 1);
    time.advance(999);
    expect(breaker.state).toBe('open');
    expect(breaker.retryAfterMs).toBe(1);
    time.advance(1);
    // eventsource-py still reports 'open' here until the next execute.
    expect(breaker.state).toBe('half_open');
    expect(breaker.isHalfOpen).toBe(true);
    expect(breaker.isOpen).toBe(false);
    expect(breaker.retryAfterMs).toBe(0);
  });

  it('closes after one successful probe', async () => {
    const time = manualClock();
    const breaker = new CircuitBreaker(
      { failureThreshold: 2, recoveryTimeoutMs: 1000 },
      { clock: time.clock },
    );
    await failTimes(breaker, 2);
    time.advance(1000);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(breaker.failureCount).toBe(0);
  });

  it('reopens with a fresh timeout when the probe fails, keeping the count', async () => {
    const time = manualClock();
    const breaker = new CircuitBreaker(
      { failureThreshold: 3, recoveryTimeoutMs: 1000 },
      { clock: time.clock },
    );
    await failTimes(breaker, 3);
    time.advance(1500);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.failureCount).toBe(4);
    time.advance(999);
    expect(breaker.state).toBe('open');
    const error = await breaker.execute(ok).catch((e) => e);
    expect(error).toBeInstanceOf(CircuitBreakerOpenError);
    expect(error.retryAfterMs).toBe(1);
    time.advance(1);
    expect(breaker.state).toBe('half_open');
  });

  it('admits at most halfOpenMaxCalls concurrent probes', async () => {
    const time = manualClock();
    const breaker = new CircuitBreaker(
      { failureThreshold: 1, recoveryTimeoutMs: 1000, halfOpenMaxCalls: 2 },
      { clock: time.clock },
    );
    await failTimes(breaker, 1);
    time.advance(1000);
    const first = deferred<string>();
    const second = deferred<string>();
    const probe1 = breaker.execute(() => first.promise);
    const probe2 = breaker.execute(() => second.promise);
    const op = vi.fn(ok);
    const refused = await breaker.execute(op, 'third').catch((e) => e);
    expect(op).not.toHaveBeenCalled();
    expect(refused).toBeInstanceOf(CircuitBreakerOpenError);
    expect(refused.retryAfterMs).toBe(1000);
    first.resolve('a');
    await expect(probe1).resolves.toBe('a');
    expect(breaker.state).toBe('closed');
    // The other probe settles after the circuit closed: its result is passed through, ignored.
    second.reject(new ConnectionError('late'));
    await expect(probe2).rejects.toThrow('late');
    expect(breaker.state).toBe('closed');
    expect(breaker.failureCount).toBe(0);
  });

  it('issues fresh probe permits when a probe hangs for a whole recovery period', async () => {
    const time = manualClock();
    const breaker = new CircuitBreaker(
      { failureThreshold: 1, recoveryTimeoutMs: 1000 },
      { clock: time.clock },
    );
    await failTimes(breaker, 1);
    time.advance(1000);
    const hung = deferred<string>();
    const hungProbe = breaker.execute(() => hung.promise);
    time.advance(999);
    await expect(breaker.execute(ok)).rejects.toBeInstanceOf(CircuitBreakerOpenError);
    time.advance(1);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    hung.reject(new ConnectionError('finally failed'));
    await expect(hungProbe).rejects.toThrow('finally failed');
    expect(breaker.state).toBe('closed');
    expect(breaker.failureCount).toBe(0);
  });

  it('ignores late results of calls that began before the circuit opened', async () => {
    const time = manualClock();
    const breaker = new CircuitBreaker(
      { failureThreshold: 2, recoveryTimeoutMs: 1000 },
      { clock: time.clock },
    );
    const slow = deferred<string>();
    const slowCall = breaker.execute(() => slow.promise);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    time.advance(500);
    slow.reject(new ConnectionError('late'));
    await expect(slowCall).rejects.toThrow('late');
    // The late failure neither counts nor extends the open period.
    expect(breaker.failureCount).toBe(2);
    time.advance(500);
    expect(breaker.state).toBe('half_open');
  });

  it('a late success does not close an open circuit', async () => {
    const breaker = new CircuitBreaker(
      { failureThreshold: 1, recoveryTimeoutMs: 1000 },
      { clock: () => 0 },
    );
    const slow = deferred<string>();
    const slowCall = breaker.execute(() => slow.promise);
    await failTimes(breaker, 1);
    slow.resolve('late');
    await expect(slowCall).resolves.toBe('late');
    expect(breaker.state).toBe('open');
  });

  it('reset() closes the circuit and clears the count', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1 });
    await failTimes(breaker, 1);
    expect(breaker.isOpen).toBe(true);
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(breaker.failureCount).toBe(0);
    await expect(breaker.execute(ok)).resolves.toBe('ok');
  });

  describe('isFailure', () => {
    it('counts every error by default', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 2 });
      await breaker.execute(() => Promise.reject(new TypeError('bug'))).catch(() => undefined);
      await breaker.execute(() => Promise.reject(new RangeError('bad'))).catch(() => undefined);
      expect(breaker.state).toBe('open');
    });

    it('ignores errors the predicate rejects, without resetting the count', async () => {
      const breaker = new CircuitBreaker({
        failureThreshold: 2,
        isFailure: (error) => !(error instanceof RangeError),
      });
      await failTimes(breaker, 1);
      for (let i = 0; i < 5; i++) {
        await breaker
          .execute(() => Promise.reject(new RangeError('bad input')))
          .catch(() => undefined);
      }
      expect(breaker.failureCount).toBe(1);
      expect(breaker.state).toBe('closed');
    });

    it('an ignored error in half-open frees the probe permit', async () => {
      const time = manualClock();
      const breaker = new CircuitBreaker(
        {
          failureThreshold: 1,
          recoveryTimeoutMs: 100,
          isFailure: (e) => !(e instanceof RangeError),
        },
        { clock: time.clock },
      );
      await failTimes(breaker, 1);
      time.advance(100);
      await expect(breaker.execute(() => Promise.reject(new RangeError('x')))).rejects.toThrow('x');
      expect(breaker.state).toBe('half_open');
      await expect(breaker.execute(ok)).resolves.toBe('ok');
      expect(breaker.state).toBe('closed');
    });

    it('a throwing predicate counts the error as a failure and is reported', async () => {
      const reported: unknown[] = [];
      const breaker = new CircuitBreaker(
        {
          failureThreshold: 1,
          isFailure: () => {
            throw new Error('predicate bug');
          },
        },
        { onListenerError: (error) => reported.push(error) },
      );
      await failTimes(breaker, 1);
      expect(breaker.state).toBe('open');
      expect(reported).toHaveLength(1);
    });
  });

  describe('listeners', () => {
    it('reports every transition to onStateChange and the specific hooks', async () => {
      const time = manualClock();
      const breaker = new CircuitBreaker(
        { failureThreshold: 2, recoveryTimeoutMs: 100 },
        { clock: time.clock },
      );
      const changes: CircuitStateChange[] = [];
      const hooks: string[] = [];
      breaker.onStateChange((change) => changes.push(change));
      breaker.onBreak((event) => {
        hooks.push(`break:${event.failureCount}:${event.retryAfterMs}`);
        expect(event.error).toBeInstanceOf(ConnectionError);
        expect(event.recoveryTime.getTime()).toBe(time.now + 100);
      });
      breaker.onHalfOpen(() => hooks.push('half_open'));
      breaker.onReset(() => hooks.push('reset'));
      await failTimes(breaker, 2);
      time.advance(100);
      await failTimes(breaker, 1);
      time.advance(100);
      await breaker.execute(ok);
      await failTimes(breaker, 2);
      breaker.reset();
      expect(changes).toEqual([
        { from: 'closed', to: 'open' },
        { from: 'open', to: 'half_open' },
        { from: 'half_open', to: 'open' },
        { from: 'open', to: 'half_open' },
        { from: 'half_open', to: 'closed' },
        { from: 'closed', to: 'open' },
        { from: 'open', to: 'closed' },
      ]);
      expect(hooks).toEqual([
        'break:2:100',
        'half_open',
        'break:3:100',
        'half_open',
        'reset',
        'break:2:100',
        'reset',
      ]);
    });

    it('unsubscribes', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      const listener = vi.fn();
      const off = breaker.onStateChange(listener);
      off();
      off();
      await failTimes(breaker, 1);
      expect(listener).not.toHaveBeenCalled();
    });

    it('a throwing listener never breaks the breaker; its error is reported', async () => {
      const reported: Array<[unknown, string]> = [];
      const breaker = new CircuitBreaker(
        { failureThreshold: 1 },
        { onListenerError: (error, source) => reported.push([error, source]) },
      );
      const after = vi.fn();
      breaker.onStateChange(() => {
        throw new Error('listener bug');
      });
      breaker.onBreak(() => {
        throw new Error('break bug');
      });
      breaker.onStateChange(after);
      const error = new ConnectionError('down');
      await expect(breaker.execute(() => Promise.reject(error))).rejects.toBe(error);
      expect(breaker.state).toBe('open');
      expect(after).toHaveBeenCalledWith({ from: 'closed', to: 'open' });
      expect(reported.map(([e]) => (e as Error).message)).toEqual(['listener bug', 'break bug']);
      expect(reported[0]?.[1]).toContain('onStateChange');
    });

    it('reports listener errors as a process warning by default', async () => {
      const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
      try {
        const breaker = new CircuitBreaker({ failureThreshold: 1 });
        breaker.onBreak(() => {
          throw new Error('oops');
        });
        await failTimes(breaker, 1);
        expect(warning).toHaveBeenCalledTimes(1);
        expect(warning.mock.calls[0]?.[1]).toMatchObject({ code: 'ES_CALLBACK_FAILED' });
      } finally {
        warning.mockRestore();
      }
    });

    it('a listener may reset the breaker during a transition', async () => {
      const time = manualClock();
      const breaker = new CircuitBreaker(
        { failureThreshold: 1, recoveryTimeoutMs: 10 },
        { clock: time.clock },
      );
      await failTimes(breaker, 1);
      breaker.onHalfOpen(() => breaker.reset());
      time.advance(10);
      await expect(breaker.execute(ok)).resolves.toBe('ok');
      expect(breaker.state).toBe('closed');
    });

    it('rejects a non-function listener', () => {
      const breaker = new CircuitBreaker();
      expect(() => breaker.onStateChange('x' as never)).toThrow(InvalidConfigError);
    });
  });

  describe('construction', () => {
    it('takes a CircuitBreakerConfig or a plain object, which may carry the clock', async () => {
      const config = new CircuitBreakerConfig({ failureThreshold: 4 });
      expect(new CircuitBreaker(config).config).toBe(config);
      const time = manualClock();
      const breaker = new CircuitBreaker({
        failureThreshold: 1,
        recoveryTimeoutMs: 50,
        clock: time.clock,
      });
      await failTimes(breaker, 1);
      time.advance(50);
      expect(breaker.state).toBe('half_open');
    });

    it('validates the options', () => {
      expect(() => new CircuitBreaker({}, { clock: 5 as never })).toThrow(InvalidConfigError);
      expect(() => new CircuitBreaker({}, { name: 5 as never })).toThrow(InvalidConfigError);
      expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(InvalidConfigError);
    });

    it('uses the real clock by default (fake timers move it)', async () => {
      vi.useFakeTimers();
      vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
      const breaker = new CircuitBreaker({ failureThreshold: 1, recoveryTimeoutMs: 1000 });
      await failTimes(breaker, 1);
      const error = await breaker.execute(ok).catch((e) => e);
      expect(error.recoveryTime.toISOString()).toBe('2030-01-01T00:00:01.000Z');
      vi.advanceTimersByTime(1000);
      expect(breaker.state).toBe('half_open');
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it('toJSON() reports the effective state and counters', async () => {
    const time = manualClock(0);
    const breaker = new CircuitBreaker(
      { failureThreshold: 1, recoveryTimeoutMs: 100 },
      { clock: time.clock, name: 'db' },
    );
    await failTimes(breaker, 1);
    expect(breaker.toJSON()).toEqual({
      name: 'db',
      state: 'open',
      failureCount: 1,
      lastFailureTime: new Date(0),
      halfOpenCalls: 0,
      retryAfterMs: 100,
    });
  });

  it('never creates a timer', async () => {
    vi.useFakeTimers();
    const breaker = new CircuitBreaker({ failureThreshold: 2, recoveryTimeoutMs: 1000 });
    await failTimes(breaker, 3);
    vi.advanceTimersByTime(1000);
    await breaker.execute(ok);
    expect(vi.getTimerCount()).toBe(0);
  });

  describe('model-based: random sequences against a reference model', () => {
    type Command =
      | { kind: 'success' }
      | { kind: 'failure' }
      | { kind: 'advance'; ms: number }
      | { kind: 'reset' };

    /** The eventsource-py §4 state machine (with the effective half-open state), written plainly. */
    class Model {
      state: CircuitState = 'closed';
      failures = 0;
      openedAt = 0;
      constructor(
        readonly threshold: number,
        readonly timeout: number,
      ) {}
      effective(now: number): CircuitState {
        return this.state === 'open' && now - this.openedAt >= this.timeout
          ? 'half_open'
          : this.state;
      }
      call(outcome: 'success' | 'failure', now: number): 'refused' | 'called' {
        if (this.state === 'open') {
          if (now - this.openedAt < this.timeout) return 'refused';
          this.state = 'half_open';
        }
        if (outcome === 'success') {
          this.state = 'closed';
          this.failures = 0;
        } else {
          this.failures++;
          if (this.state === 'half_open' || this.failures >= this.threshold) {
            this.state = 'open';
            this.openedAt = now;
          }
        }
        return 'called';
      }
    }

    const commandArb: fc.Arbitrary<Command> = fc.oneof(
      { weight: 4, arbitrary: fc.constant<Command>({ kind: 'success' }) },
      { weight: 6, arbitrary: fc.constant<Command>({ kind: 'failure' }) },
      { weight: 3, arbitrary: fc.nat(2000).map<Command>((ms) => ({ kind: 'advance', ms })) },
      { weight: 1, arbitrary: fc.constant<Command>({ kind: 'reset' }) },
    );

    it('agrees with the model on state, failure count and refusals', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 5 }),
          fc.integer({ min: 0, max: 1500 }),
          fc.array(commandArb, { maxLength: 60 }),
          async (threshold, timeout, commands) => {
            const time = manualClock(0);
            const breaker = new CircuitBreaker(
              { failureThreshold: threshold, recoveryTimeoutMs: timeout },
              { clock: time.clock },
            );
            const model = new Model(threshold, timeout);
            for (const command of commands) {
              if (command.kind === 'advance') {
                time.advance(command.ms);
              } else if (command.kind === 'reset') {
                breaker.reset();
                model.state = 'closed';
                model.failures = 0;
              } else {
                const expected = model.call(command.kind, time.now);
                const op = vi.fn(command.kind === 'success' ? ok : fail);
                const outcome = await breaker.execute(op).then(
                  () => 'called',
                  (error: unknown) =>
                    error instanceof CircuitBreakerOpenError ? 'refused' : 'called',
                );
                expect(outcome).toBe(expected);
                expect(op).toHaveBeenCalledTimes(expected === 'called' ? 1 : 0);
              }
              expect(breaker.state).toBe(model.effective(time.now));
              expect(breaker.failureCount).toBe(model.failures);
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
