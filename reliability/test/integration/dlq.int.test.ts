/**
 * A. The DLQ reliability suite on PostgresDLQRepository (the same suite as in memory), A10 with a
 * dropped connection during the DLQ insert, and I1 (the DLQ against its model) on PostgreSQL.
 */
import { createManualClock } from '@es/dlq/testing';
import { PostgresDLQRepository, PostgresUnitOfWorkProvider } from '@es/store-postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
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
  appliedProjection,
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
    limited: (limits) =>
      new PostgresDLQRepository({ connection: admin, schema, clock: clock.now, ...limits }),
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

describe('A7: the DLQ is full (PostgreSQL, unit of work)', () => {
  it('the subscription pauses before the event (checkpoint, health), drops nothing, and goes on once there is room', async () => {
    const schema = await freshSchema(admin, 'a7');
    const stack = pgStack(url, schema, { applicationName: 'rel-a7' });
    const limits = { maxEntriesPerProjection: 1 };
    const dlq = new PostgresDLQRepository({ connection: stack.sql, schema, ...limits });
    const unitOfWork = new PostgresUnitOfWorkProvider({
      connection: drizzle(stack.txSql),
      schema,
      dlqLimits: limits,
    });
    const history = new History();
    const writer = new Writer(stack.store, history);
    await writer.appendTo('a', 2);
    await writer.appendTo('b', 1, { behaviour: () => 'poison' }); // dead-lettered: the DLQ is full
    await writer.appendTo('c', 1, { behaviour: () => 'poison' }); // refused: overflow
    await writer.appendTo('d', 2);
    const stored = await storedPositions(admin, schema);
    const refused = stored[3] as { eventId: string; position: string };
    const manager = stack.manager({ dlqRepo: dlq, unitOfWork });
    const subscription = manager.subscribe(appliedProjection({ name: 'p', schema }), {
      errorHandling: { retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
    });
    await manager.start();
    await waitUntil(
      async () => (await subscription.health()).lastError?.code === 'ES_DLQ_OVERFLOW',
      20_000,
      'the overflow to surface',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const health = await subscription.health();
    const paused = await checkpointOf(admin, schema, 'p');
    const appliedWhilePaused = (await loadFates(admin, schema, 'p')).filter(
      (f) => f.fate === 'applied',
    ).length;
    expect(paused === null || paused < refused.position).toBe(true);
    expect(appliedWhilePaused).toBe(2); // a only: c and d wait
    expect(health.status).toBe('unhealthy');
    expect(health.lastError).toMatchObject({ source: 'dlq', code: 'ES_DLQ_OVERFLOW' });
    expect(await dlq.getProjectionDepth('p')).toMatchObject({ depth: 1 });
    // The operator makes room: the subscription goes on by itself.
    const [first] = await dlq.getFailedEvents({ projectionName: 'p' });
    expect(await dlq.markDiscarded(first?.id ?? '', 'ops')).toBe(true);
    await waitForAllFated(admin, schema, 'p', 30_000);
    await subscription.whenIdle();
    await manager.stop();
    history.fates(await loadFates(admin, schema, 'p'));
    const result = history.check({
      stored: await loadStored(admin, schema),
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    recordFigures(
      figuresOf('A7', 'postgres', result, {
        faults: 1,
        notes:
          'maxEntriesPerProjection 1 (unit of work): the subscription paused on ES_DLQ_OVERFLOW, resumed after a discard',
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts.deadLettered).toBe(2);
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
