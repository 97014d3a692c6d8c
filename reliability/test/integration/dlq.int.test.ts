/**
 * A. The DLQ reliability suite on PostgresDLQRepository (the same suite as in memory), A10 with a
 * dropped connection during the DLQ insert, and I1 (the DLQ against its model) on PostgreSQL.
 */
import { createManualClock } from '@es/dlq/testing';
import { PostgresDLQRepository } from '@es/store-postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy } from '../../src/faults/fault-proxy.js';
import { SubscriberProcess } from '../../src/faults/subscriber-process.js';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { runDlqModel } from '../../src/suites/dlq-model.js';
import { describeDlqReliability } from '../../src/suites/dlq-reliability.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import { checkpointOf, storedPositions, waitForAllFated } from '../../src/support/pg-checks.js';
import {
  connect,
  freshSchema,
  loadFates,
  loadStored,
  pgStack,
} from '../../src/support/postgres.js';
import { Writer, waitUntil } from '../../src/support/workload.js';

const url = inject('relDatabaseUrl');
const bundle = inject('subscriberBundle');
let admin: ReturnType<typeof connect>;

beforeAll(() => {
  admin = connect(url, { max: 6, applicationName: 'rel-dlq-admin' });
});
afterAll(async () => {
  await admin.end({ timeout: 5 });
});

describeDlqReliability('PostgresDLQRepository', 'postgres', async () => {
  const schema = await freshSchema(admin, 'dlq');
  const clock = createManualClock();
  const repo = new PostgresDLQRepository({ connection: admin, schema, clock: clock.now });
  const other = connect(url, { max: 2, applicationName: 'rel-dlq-reopen' });
  return {
    repo,
    advance: (ms) => clock.advance(ms),
    reopen: () => new PostgresDLQRepository({ connection: other, schema, clock: clock.now }),
    cleanup: async () => {
      await other.end({ timeout: 5 });
      await admin.unsafe(`DROP SCHEMA "${schema}" CASCADE`);
    },
  };
});

describe('A10: the connection drops during the DLQ insert', () => {
  it('the checkpoint stays before the event, the failure is retried, the entry is written once', async () => {
    const schema = await freshSchema(admin, 'a10');
    const stack = pgStack(url, schema, { applicationName: 'rel-a10-writer' });
    const history = new History();
    const writer = new Writer(stack.store, history);
    await writer.appendTo('a', 3);
    await writer.appendTo('b', 1, { behaviour: () => 'poison' });
    await writer.appendTo('c', 2);
    const stored = await storedPositions(admin, schema);
    const poison = stored[3] as { eventId: string; position: string };
    // An uncommitted row with the poison's key makes the subscriber's DLQ insert wait on it.
    const blocker = await admin.reserve();
    await blocker.unsafe('BEGIN');
    await blocker.unsafe(
      `INSERT INTO "${schema}".dead_letter_queue (event_id, projection_name, event_type, event_data, error_message, first_failed_at, last_failed_at)
       VALUES ($1, 'p', 'RelEvent', '{}', 'blocker', now(), now())`,
      [poison.eventId],
    );
    const proxy = await FaultProxy.start({
      targetHost: new URL(url).hostname,
      targetPort: Number(new URL(url).port || 5432),
    });
    const child = SubscriberProcess.start(bundle, {
      url: proxy.rewrite(url),
      schema,
      subscriber: 'p',
      batchSize: 10,
      maxRetries: 0,
      applicationName: 'rel-child-a10',
    });
    await waitUntil(
      async () =>
        Number(
          (
            await admin.unsafe<{ n: number }[]>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'rel-child-a10%' AND wait_event_type = 'Lock'`,
            )
          )[0]?.n,
        ) > 0,
      20_000,
      'the DLQ insert to wait on the blocker',
    );
    const resets = proxy.resetConnections();
    await blocker.unsafe('ROLLBACK');
    blocker.release();
    const checkpointAfterDrop = await checkpointOf(admin, schema, 'p');
    expect(checkpointAfterDrop === null || checkpointAfterDrop < poison.position).toBe(true);
    let stalled: string | undefined;
    await waitForAllFated(admin, schema, 'p', 30_000).catch((e: Error) => {
      stalled = e.message;
    });
    const crashed = child.exit;
    const stderr = child.stderr;
    if (crashed === undefined) await child.stop(10_000);
    history.fates(await loadFates(admin, schema, 'p'));
    const result = history.check({
      stored: await loadStored(admin, schema),
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    recordFigures(
      figuresOf('A10', 'postgres', result, {
        faults: resets,
        notes: `connections reset while the DLQ insert waited on a lock${crashed ? `; subscriber process died (code ${crashed.code})` : stalled ? '; subscriber stalled' : ''}`,
      }),
    );
    await proxy.close();
    expect(crashed, `the subscriber process died:\n${stderr.slice(-3_000)}`).toBeUndefined();
    expect(stalled, stderr.slice(-3_000)).toBeUndefined();
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts.deadLettered).toBe(1);
    await stack.close();
  });
});

describe('I1: DLQ command sequences against a pure model (PostgreSQL)', () => {
  it('the repository state equals the model state after every step', async () => {
    const steps = await runDlqModel(async () => {
      const schema = await freshSchema(admin, 'i1');
      const clock = createManualClock();
      const repo = new PostgresDLQRepository({ connection: admin, schema, clock: clock.now });
      return {
        real: { repo, ids: new Map(), advance: (ms) => clock.advance(ms) },
        cleanup: async () => {
          await admin.unsafe(`DROP SCHEMA "${schema}" CASCADE`);
        },
      };
    }, 25);
    recordFigures({
      id: 'I1',
      backend: 'postgres',
      events: steps,
      faults: 0,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      notes: `25 random command sequences, ${steps} commands compared with the model`,
    });
  });
});
