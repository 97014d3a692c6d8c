/**
 * I. Property-based and model-based tests (fast-check): the DLQ against a pure model (I1), random
 * interleavings of appends, reads and handler completions (I2), random failure scripts against
 * every strategy (I3).
 */
import {
  type DomainEvent,
  type EventStore,
  InMemoryEventStore,
  type ReadAllOptions,
  type StoredEvent,
} from '@es/core';
import { InMemoryDLQRepository } from '@es/dlq';
import { createManualClock } from '@es/dlq/testing';
import { ConnectionError, KeyError } from '@es/resilience';
import {
  type ErrorHandlingStrategy,
  InMemoryCheckpointRepository,
  SubscriptionManager,
} from '@es/subscriptions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { runDlqModel } from '../../src/suites/dlq-model.js';
import { REL_AGGREGATE_TYPE, relEvent } from '../../src/support/events.js';
import { recordFigures } from '../../src/support/figures.js';
import {
  dlqFates,
  memoryStack,
  memoryStored,
  recordingProjection,
  recordSkips,
} from '../../src/support/memory.js';

describe('I1: DLQ command sequences against a pure model (in memory)', () => {
  it('the repository state equals the model state after every step', async () => {
    const steps = await runDlqModel(async () => {
      const clock = createManualClock();
      const repo = new InMemoryDLQRepository({ clock: clock.now });
      return {
        real: { repo, ids: new Map(), advance: (ms) => clock.advance(ms) },
        cleanup: async () => {},
      };
    }, 200);
    recordFigures({
      id: 'I1',
      backend: 'memory',
      events: steps,
      faults: 0,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      notes: `200 random command sequences, ${steps} commands compared with the model`,
    });
  });
});

/** A store whose appends, reads and read results complete when the scheduler says. */
function scheduledStore(inner: InMemoryEventStore, s: fc.Scheduler): EventStore {
  return {
    appendEvents: (...args) =>
      s.schedule(Promise.resolve(), 'append').then(() => inner.appendEvents(...args)),
    getEvents: (...args) => inner.getEvents(...args),
    getGlobalPosition: () => inner.getGlobalPosition(),
    readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent> {
      return {
        [Symbol.asyncIterator]: () => {
          // The snapshot is taken when the read is scheduled to run, like a query.
          let iterator: AsyncIterator<StoredEvent> | undefined;
          return {
            next: async () => {
              if (iterator === undefined) {
                await s.schedule(Promise.resolve(), 'read');
                iterator = inner.readAll(options)[Symbol.asyncIterator]();
              }
              return iterator.next();
            },
          };
        },
      };
    },
  };
}

describe('I2: scheduled interleavings of appends, reads and handler completions', () => {
  it('the checker holds for every interleaving (2 subscribers, batch 1 and 3)', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 3 })), {
          minLength: 1,
          maxLength: 12,
        }),
        async (s, appends) => {
          runs++;
          const inner = new InMemoryEventStore();
          const store = scheduledStore(inner, s);
          const history = new History();
          const manager = new SubscriptionManager({
            eventStore: store,
            checkpointRepo: new InMemoryCheckpointRepository(),
            dlqRepo: new InMemoryDLQRepository(),
            pollIntervalMs: 1,
            handlerBreaker: false,
          });
          const slow = (name: string) =>
            recordingProjection(name, history, {
              before: () => s.schedule(Promise.resolve(), `${name} handler`),
            });
          const subs = [
            manager.subscribe(slow('one'), { batchSize: 1 }),
            manager.subscribe(slow('three'), { batchSize: 3 }),
          ];
          await manager.start();
          const versions = new Map<string, number>();
          const writes = appends.map(([stream, count]) => {
            const from = versions.get(stream) ?? 0;
            versions.set(stream, from + count);
            const events: DomainEvent[] = Array.from({ length: count }, (_, k) =>
              relEvent(stream, from + k + 1, 0),
            );
            return history.append(
              stream,
              events.map((e) => e.eventId),
              () => store.appendEvents(stream, REL_AGGREGATE_TYPE, events, -1),
            );
          });
          const total = appends.reduce((n, [, c]) => n + c, 0);
          const done = () => history.fatesOf().length >= total * 2;
          for (let step = 0; step < 10_000 && !done(); step++) {
            if (s.count() > 0) await s.waitOne();
            else await new Promise((resolve) => setTimeout(resolve, 1));
          }
          await Promise.all(writes);
          // Stopping waits for the read or handler call in flight: keep releasing them.
          let stopped = false;
          const stopping = manager.stop().then(() => {
            stopped = true;
          });
          while (!stopped) {
            if (s.count() > 0) await s.waitOne();
            else await new Promise((resolve) => setTimeout(resolve, 1));
          }
          await stopping;
          const result = history.check({
            stored: await memoryStored(inner),
            subscribers: ['one', 'three'],
          });
          expect(result.anomalies, `${s.report()}\n${describeResult(result)}`).toEqual([]);
          for (const sub of subs) expect(sub.state).toBe('stopped');
        },
      ),
      { numRuns: 60 },
    );
    recordFigures({
      id: 'I2',
      backend: 'memory',
      events: runs,
      faults: 0,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      notes: `${runs} random interleavings (fc.scheduler) of up to 12 appends, reads and handler completions, 2 subscribers`,
    });
  });
});

type Script = 'never' | 'transient-1' | 'transient-2' | 'forever-transient' | 'forever-permanent';
type Strategy = 'stop' | 'continue' | 'retry_then_continue' | 'retry_then_dlq' | 'dlq_only';

interface Prediction {
  applied: string[];
  deadLettered: string[];
  parked: string[];
  skipped: string[];
  stopped: boolean;
}

/** The contract's strategy table (§6) applied to a failure script, independently of the code. */
function predict(
  events: readonly { id: string; stream: string; script: Script }[],
  strategy: Strategy,
  maxRetries: number,
  perStream: boolean,
): Prediction {
  const out: Prediction = {
    applied: [],
    deadLettered: [],
    parked: [],
    skipped: [],
    stopped: false,
  };
  const blocked = new Set<string>();
  for (const e of events) {
    if (perStream && blocked.has(e.stream)) {
      out.parked.push(e.id);
      continue;
    }
    for (let attempt = 0; ; attempt++) {
      const fails =
        e.script === 'forever-transient' ||
        e.script === 'forever-permanent' ||
        (e.script === 'transient-1' && attempt < 1) ||
        (e.script === 'transient-2' && attempt < 2);
      if (!fails) {
        out.applied.push(e.id);
        break;
      }
      const retryable = e.script !== 'forever-permanent';
      const retriesLeft = retryable && attempt < maxRetries;
      const action =
        strategy === 'stop'
          ? 'stop'
          : strategy === 'continue'
            ? 'skip'
            : strategy === 'retry_then_continue'
              ? retriesLeft
                ? 'retry'
                : 'skip'
              : strategy === 'retry_then_dlq'
                ? retriesLeft
                  ? 'retry'
                  : 'dlq'
                : 'dlq';
      if (action === 'retry') continue;
      if (action === 'stop') {
        out.stopped = true;
        return out;
      }
      if (action === 'skip') out.skipped.push(e.id);
      else {
        out.deadLettered.push(e.id);
        if (perStream) blocked.add(e.stream);
      }
      break;
    }
  }
  return out;
}

describe('I3: random failure scripts × strategies', () => {
  it('the applied, dead-lettered, parked and skipped sets equal the model’s prediction', async () => {
    let runs = 0;
    let eventsJudged = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom('x', 'y', 'z'),
            fc.constantFrom<Script>(
              'never',
              'never',
              'never',
              'transient-1',
              'transient-2',
              'forever-transient',
              'forever-permanent',
            ),
          ),
          { minLength: 1, maxLength: 15 },
        ),
        fc.constantFrom<Strategy>(
          'stop',
          'continue',
          'retry_then_continue',
          'retry_then_dlq',
          'dlq_only',
        ),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        async (spec, strategy, maxRetries, perStream) => {
          runs++;
          const stack = memoryStack();
          const history = new History();
          const versions = new Map<string, number>();
          const events: { id: string; stream: string; script: Script }[] = [];
          for (const [stream, script] of spec) {
            const version = (versions.get(stream) ?? 0) + 1;
            versions.set(stream, version);
            const event = relEvent(stream, version, events.length);
            events.push({ id: event.eventId, stream, script });
            await stack.store.appendEvents(stream, REL_AGGREGATE_TYPE, [event], version - 1);
          }
          eventsJudged += events.length;
          const scripts = new Map(events.map((e) => [e.id, e.script]));
          const manager = stack.manager();
          const subscription = manager.subscribe(
            recordingProjection('p', history, {
              policy: (event, context) => {
                const script = scripts.get(event.eventId);
                if (script === 'forever-permanent') return new KeyError('permanent');
                if (
                  script === 'forever-transient' ||
                  (script === 'transient-1' && context.attempt < 1) ||
                  (script === 'transient-2' && context.attempt < 2)
                ) {
                  return new ConnectionError('transient');
                }
                return undefined;
              },
            }),
            {
              dlqOrdering: perStream ? 'per-stream' : 'none',
              errorHandling: {
                strategy: strategy as ErrorHandlingStrategy,
                retry: { maxRetries, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
                notifyOnSeverity: 'low',
              },
            },
          );
          recordSkips(subscription, history);
          await manager.start();
          await subscription.whenIdle();
          await manager.stop();
          const predicted = predict(events, strategy, maxRetries, perStream);
          const expected = {
            applied: [...predicted.applied].sort(),
            deadLettered: [...predicted.deadLettered].sort(),
            parked: [...predicted.parked].sort(),
            skipped: [...predicted.skipped].sort(),
            stopped: predicted.stopped,
          };
          const fates = [...history.fatesOf('p'), ...(await dlqFates(stack.dlq, 'p'))];
          const ids = (fate: string) =>
            fates
              .filter((f) => f.fate === fate)
              .map((f) => f.eventId)
              .sort();
          expect({
            applied: ids('applied'),
            deadLettered: ids('dead-lettered'),
            parked: ids('parked'),
            skipped: ids('skipped'),
            stopped: subscription.state === 'error',
          }).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
    recordFigures({
      id: 'I3',
      backend: 'memory',
      events: eventsJudged,
      faults: runs,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      notes: `${runs} random failure scripts (never / transient ×1 / ×2 / forever transient / forever permanent) × 5 strategies × maxRetries 0–3 × dlqOrdering`,
    });
  });
});
