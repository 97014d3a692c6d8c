/**
 * J3 (the horizon-stall alert) and bad input on PostgreSQL: hostile payloads through the store
 * and the DLQ (jsonb, NUL, lone surrogates, megabytes), and stored rows that no longer
 * deserialize — always a typed error or a DLQ entry, never a crash, a hang or a silent skip.
 */
import { EventTypeNotFoundError, SerializationError } from '@es/core';
import { PostgresDLQRepository } from '@es/store-postgres';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { History } from '../../src/history/history.js';
import { REL_AGGREGATE_TYPE, relEvent } from '../../src/support/events.js';
import { recordFigures } from '../../src/support/figures.js';
import { checkpointOf, storedPositions } from '../../src/support/pg-checks.js';
import { appliedProjection, connect, freshSchema, pgStack } from '../../src/support/postgres.js';
import { sleep, Writer, waitUntil } from '../../src/support/workload.js';

const url = inject('relDatabaseUrl');
let admin: ReturnType<typeof connect>;

beforeAll(() => {
  admin = connect(url, { max: 4, applicationName: 'rel-hf-admin' });
});
afterAll(async () => {
  await admin.end({ timeout: 5 });
});

describe('J3: horizon stall', () => {
  it('an open transaction older than the threshold is reported (stalled, its age, the events it holds back), and clears', async () => {
    const schema = await freshSchema(admin, 'j3');
    const stack = pgStack(url, schema, { applicationName: 'rel-j3' });
    expect(await stack.store.getHorizonStatus(500)).toMatchObject({ stalled: false });
    const blocker = await admin.reserve();
    await blocker.unsafe('BEGIN');
    await blocker.unsafe('SELECT pg_current_xact_id()');
    await new Writer(stack.store, new History()).run({ events: 10, streams: 2 });
    await sleep(700);
    const stalled = await stack.store.getHorizonStatus(500);
    expect(stalled.stalled).toBe(true);
    expect(stalled.heldBackEvents).toBeGreaterThanOrEqual(10);
    expect(stalled.oldestTransactionAgeMs).toBeGreaterThanOrEqual(500);
    await blocker.unsafe('COMMIT');
    blocker.release();
    await waitUntil(
      async () => !(await stack.store.getHorizonStatus(500)).stalled,
      30_000,
      'the stall to clear',
    );
    recordFigures({
      id: 'J3',
      backend: 'postgres',
      events: 10,
      faults: 1,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      notes: `PostgresEventStore.getHorizonStatus(500): stalled, age ${stalled.oldestTransactionAgeMs} ms, ${stalled.heldBackEvents} held back (the subscription's own health reports the same stall: B5)`,
    });
    await stack.close();
  });
});

describe('fuzz (PostgreSQL): hostile payloads', () => {
  it('through the event store: stored and read back (lone surrogates as U+FFFD), or a typed error (NUL)', async () => {
    const schema = await freshSchema(admin, 'fz');
    const stack = pgStack(url, schema, { applicationName: 'rel-fz' });
    let version = 0;
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (pad) => {
        cases++;
        const event = relEvent('fz', version + 1, cases, { pad });
        try {
          await stack.store.appendEvents('fz', REL_AGGREGATE_TYPE, [event], version);
        } catch (error) {
          expect(error).toBeInstanceOf(SerializationError);
          expect(pad).toContain('\u0000');
          return;
        }
        version++;
        const [stored] = (
          await stack.store.getEvents('fz', REL_AGGREGATE_TYPE, { fromVersion: version - 1 })
        ).events;
        const expected = pad.replace(
          /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
          '\uFFFD',
        );
        expect((stored as { pad?: string } | undefined)?.pad ?? '').toBe(expected);
      }),
      { numRuns: 300 },
    );
    // A 4 MB payload.
    const big = relEvent('big', 1, 0, { pad: 'x'.repeat(4_000_000) });
    await stack.store.appendEvents('big', REL_AGGREGATE_TYPE, [big], 0);
    const [bigBack] = (await stack.store.getEvents('big', REL_AGGREGATE_TYPE)).events;
    expect((bigBack as unknown as { pad: string }).pad).toHaveLength(4_000_000);
    // Through the DLQ: never rejected.
    const dlq = new PostgresDLQRepository({ connection: admin, schema });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 10 }), fc.jsonValue({ maxDepth: 3 })),
        fc.string({ unit: 'binary', maxLength: 200 }),
        async (eventData, message) => {
          cases++;
          const id = await dlq.addFailedEvent({
            eventId: `fz-${cases}`,
            projectionName: 'fz',
            eventType: 'RelEvent',
            eventData,
            error: new Error(message),
          });
          expect(await dlq.getFailedEventById(id)).not.toBeNull();
        },
      ),
      { numRuns: 300 },
    );
    recordFigures({
      id: 'fuzz',
      backend: 'postgres',
      events: cases,
      faults: cases,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      notes:
        'fast-check payloads (binary strings with NUL and lone surrogates) through PostgresEventStore and PostgresDLQRepository, plus a 4 MB event',
    });
    await stack.close();
  });

  for (const [label, type, data, code] of [
    ['an unknown event type', 'Gone', '{"eventType":"Gone"}', EventTypeNotFoundError],
    [
      'an invalid envelope',
      'RelEvent',
      '{"eventType":"RelEvent","aggregateVersion":"x"}',
      SerializationError,
    ],
  ] as const) {
    it(`a stored row with ${label} stops the subscription before it with a typed error — never a hang or a silent skip`, async () => {
      const schema = await freshSchema(admin, 'bad');
      const stack = pgStack(url, schema, { applicationName: 'rel-bad' });
      const history = new History();
      const writer = new Writer(stack.store, history);
      await writer.appendTo('a', 2);
      await admin.unsafe(
        `INSERT INTO "${schema}".events (event_id, aggregate_id, aggregate_type, version, event_type, occurred_at, data)
         VALUES ('bad-1', 'x', 'RelStream', 1, $1, now(), $2::jsonb)`,
        [type, data],
      );
      await writer.appendTo('b', 2);
      const manager = stack.manager();
      const subscription = manager.subscribe(appliedProjection({ name: 'p', schema }), {
        batchSize: 10,
      });
      await manager.start();
      const failed = await waitUntil(
        () => subscription.state === 'error',
        5_000,
        'the subscription to fail',
      ).then(
        () => true,
        () => false,
      );
      const health = await subscription.health();
      const positions = await storedPositions(admin, schema);
      const checkpoint = await checkpointOf(admin, schema, 'p');
      await manager.stop();
      const applied = await admin.unsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM "${schema}".rel_applied`,
      );
      await stack.close();
      expect(
        failed,
        `still ${health.state} after 5 s, retrying: ${JSON.stringify({ lastError: health.lastError?.message, code: health.lastError?.code, warnings: health.warnings, applied: applied[0]?.n })}`,
      ).toBe(true);
      expect(subscription.lastError?.error).toBeInstanceOf(code);
      // Stopped before the bad row: nothing after it applied, the checkpoint not past it.
      expect(applied[0]?.n).toBeLessThanOrEqual(2);
      expect(checkpoint === null || checkpoint <= (positions[1]?.position ?? '')).toBe(true);
    });
  }
});
