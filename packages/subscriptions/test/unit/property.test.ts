import type { StoredEvent } from '@es/core';
import { ConnectionError, KeyError } from '@es/resilience';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointStrategy } from '../../src/checkpoint-strategy.js';
import { ErrorHandlingStrategy } from '../../src/error-handling-strategy.js';
import { createHarness, instantRetry, recordingProjection } from '../support/harness.js';

/** What the handler does with one event, attempt after attempt. */
type Schedule =
  | { readonly kind: 'ok' }
  | { readonly kind: 'transient'; readonly failures: number }
  | { readonly kind: 'hang'; readonly times: number }
  | { readonly kind: 'permanent' };

type Fate = 'processed' | 'dead-lettered' | 'parked';

const scheduleArb: fc.Arbitrary<Schedule> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'ok' } as const) },
  {
    weight: 3,
    arbitrary: fc
      .integer({ min: 1, max: 4 })
      .map((failures) => ({ kind: 'transient', failures }) as const),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 2 }).map((times) => ({ kind: 'hang', times }) as const),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'permanent' } as const) },
);

const scenarioArb = fc.record({
  events: fc.array(fc.record({ stream: fc.integer({ min: 0, max: 3 }), schedule: scheduleArb }), {
    minLength: 1,
    maxLength: 24,
  }),
  maxRetries: fc.integer({ min: 0, max: 3 }),
  batchSize: fc.integer({ min: 1, max: 8 }),
  perStream: fc.boolean(),
  withBus: fc.boolean(),
  checkpointStrategy: fc.constantFrom(
    CheckpointStrategy.EVERY_EVENT,
    CheckpointStrategy.EVERY_BATCH,
    CheckpointStrategy.PERIODIC,
  ),
});

/** The fate and the number of handler calls the contract predicts for each event, in order. */
function predict(
  schedules: readonly { stream: number; schedule: Schedule }[],
  maxRetries: number,
  perStream: boolean,
): { fate: Fate; calls: number }[] {
  const blocked = new Set<number>();
  return schedules.map(({ stream, schedule }) => {
    if (perStream && blocked.has(stream)) return { fate: 'parked', calls: 0 };
    let result: { fate: Fate; calls: number };
    if (schedule.kind === 'ok') result = { fate: 'processed', calls: 1 };
    else if (schedule.kind === 'permanent') result = { fate: 'dead-lettered', calls: 1 };
    else {
      const failures = schedule.kind === 'transient' ? schedule.failures : schedule.times;
      result =
        failures <= maxRetries
          ? { fate: 'processed', calls: failures + 1 }
          : { fate: 'dead-lettered', calls: maxRetries + 1 };
    }
    if (result.fate === 'dead-lettered') blocked.add(stream);
    return result;
  });
}

describe('property: random failure schedules over random event streams', () => {
  it('every event ends in exactly one fate, per-stream order holds, and the checkpoint never passes an open fate', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        const h = createHarness({ withBus: scenario.withBus, pollIntervalMs: 1 });
        const { append, manager, dlq, checkpoints } = h;
        for (const { stream } of scenario.events) await append.one(`s${stream}`);
        const stored: StoredEvent[] = [];
        for await (const event of h.store.readAll()) stored.push(event);
        const scheduleOf = new Map(
          stored.map((event, i) => [event.event.eventId, scenario.events[i]!.schedule]),
        );

        const attempts = new Map<string, number>();
        const projection = recordingProjection('p', (event, context) => {
          const attempt = attempts.get(event.eventId) ?? 0;
          attempts.set(event.eventId, attempt + 1);
          const schedule = scheduleOf.get(event.eventId)!;
          switch (schedule.kind) {
            case 'transient':
              if (attempt < schedule.failures) throw new ConnectionError(`transient ${attempt}`);
              return;
            case 'permanent':
              throw new KeyError('permanent');
            case 'hang':
              if (attempt < schedule.times) {
                return new Promise<void>((_, reject) =>
                  context.signal.addEventListener('abort', () => reject(context.signal.reason), {
                    once: true,
                  }),
                );
              }
              return;
            default:
              return;
          }
        });

        // Watch every checkpoint save: each event at or before it must already have its fate.
        const violations: string[] = [];
        const save = checkpoints.savePosition.bind(checkpoints);
        checkpoints.savePosition = async (id, input) => {
          const inDlq = new Set(
            (await dlq.listEntries({ projectionName: 'p', limit: 1_000 })).map(
              (entry) => entry.eventId,
            ),
          );
          const applied = new Set(projection.applied.map((call) => call.eventId));
          for (const event of stored) {
            if (event.globalPosition > (input.position as number)) break;
            if (!applied.has(event.event.eventId) && !inDlq.has(event.event.eventId)) {
              violations.push(
                `checkpoint ${String(input.position)} passes open event ${event.globalPosition}`,
              );
            }
          }
          return save(id, input);
        };

        const subscription = manager.subscribe(projection, {
          batchSize: scenario.batchSize,
          checkpointStrategy: scenario.checkpointStrategy,
          checkpointIntervalMs: 1,
          processingTimeoutMs: 3,
          dlqOrdering: scenario.perStream ? 'per-stream' : 'none',
          errorHandling: {
            strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ,
            retry: instantRetry(scenario.maxRetries),
          },
        });
        await manager.start();
        await subscription.whenIdle();
        await manager.stop();

        const expected = predict(scenario.events, scenario.maxRetries, scenario.perStream);
        const failed = new Set(
          (await dlq.getFailedEvents({ projectionName: 'p', limit: 1_000 })).map((e) => e.eventId),
        );
        const parked = new Set(
          (await dlq.getFailedEvents({ projectionName: 'p', status: 'parked', limit: 1_000 })).map(
            (e) => e.eventId,
          ),
        );
        const appliedCount = new Map<string, number>();
        for (const call of projection.applied) {
          appliedCount.set(call.eventId, (appliedCount.get(call.eventId) ?? 0) + 1);
        }
        stored.forEach((event, i) => {
          const id = event.event.eventId;
          const fates = [
            (appliedCount.get(id) ?? 0) > 0 ? 'processed' : null,
            failed.has(id) ? 'dead-lettered' : null,
            parked.has(id) ? 'parked' : null,
          ].filter((fate) => fate !== null);
          // Exactly one fate, the predicted one, applied at most once, with the predicted calls.
          expect(fates, `event ${i + 1}`).toEqual([expected[i]!.fate]);
          expect(appliedCount.get(id) ?? 0, `event ${i + 1} applied`).toBeLessThanOrEqual(1);
          expect(attempts.get(id) ?? 0, `event ${i + 1} calls`).toBe(expected[i]!.calls);
        });
        // Per-stream order of the applied events.
        const lastVersion = new Map<string, number>();
        for (const call of projection.applied) {
          expect(call.version).toBeGreaterThan(lastVersion.get(call.stream) ?? 0);
          lastVersion.set(call.stream, call.version);
        }
        if (scenario.perStream) {
          // Nothing of a stream is applied after one of its events was dead-lettered.
          for (const call of projection.applied) {
            const earlier = stored.filter(
              (event) =>
                event.event.aggregateId === call.stream &&
                event.event.aggregateVersion < call.version &&
                failed.has(event.event.eventId),
            );
            expect(earlier).toEqual([]);
          }
        }
        expect(violations).toEqual([]);
        expect(await checkpoints.getPosition('p')).toBe(stored.length);
        expect(subscription.counts).toMatchObject({
          processed: expected.filter((e) => e.fate === 'processed').length,
          deadLettered: expected.filter((e) => e.fate === 'dead-lettered').length,
          parked: expected.filter((e) => e.fate === 'parked').length,
          skipped: 0,
        });
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});

describe('property: appends racing the catch-up/live switch', () => {
  it('every event is handled exactly once, in store order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          initial: fc.integer({ min: 0, max: 60 }),
          bursts: fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 25 }),
          batchSize: fc.integer({ min: 1, max: 10 }),
          withBus: fc.boolean(),
          yields: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 25, maxLength: 25 }),
        }),
        async ({ initial, bursts, batchSize, withBus, yields }) => {
          const { append, manager } = createHarness({ withBus, pollIntervalMs: 1 });
          await append.spread(initial, 3);
          const projection = recordingProjection('p');
          const subscription = manager.subscribe(projection, { batchSize });
          const writer = (async () => {
            for (let i = 0; i < bursts.length; i++) {
              await append.spread(bursts[i]!, 3);
              for (let y = 0; y < (yields[i] ?? 0); y++) await new Promise((r) => setImmediate(r));
            }
          })();
          await manager.start();
          await writer;
          await subscription.whenIdle();
          await manager.stop();
          const total = initial + bursts.reduce((a, b) => a + b, 0);
          expect(projection.calls.map((call) => call.globalPosition)).toEqual(
            Array.from({ length: total }, (_, i) => i + 1),
          );
        },
      ),
      { numRuns: 50 },
    );
  }, 60_000);
});
