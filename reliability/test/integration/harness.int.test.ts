/**
 * Self-tests of the PostgreSQL fault tools: the throwaway cluster survives an immediate stop
 * with its committed data, and a forked subscriber runs, reports and is killed as told.
 */
import { ExpectedVersion } from '@es/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SubscriberProcess } from '../../src/faults/subscriber-process.js';
import { ThrowawayCluster } from '../../src/faults/throwaway-cluster.js';
import { History } from '../../src/history/history.js';
import { REL_AGGREGATE_TYPE, relEvent } from '../../src/support/events.js';
import {
  connect,
  freshSchema,
  loadFates,
  loadStored,
  pgStack,
} from '../../src/support/postgres.js';

describe('ThrowawayCluster', () => {
  let cluster: ThrowawayCluster;
  beforeAll(async () => {
    cluster = await ThrowawayCluster.create();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('initdb → start → crash (immediate) → start keeps committed rows and loses the open ones', async () => {
    await cluster.start();
    expect(cluster.running).toBe(true);
    const sql = connect(cluster.url(), { max: 2 });
    await sql`CREATE TABLE t (n int)`;
    await sql`INSERT INTO t VALUES (1)`;
    const open = await sql.reserve();
    await open.unsafe('BEGIN');
    await open.unsafe('INSERT INTO t VALUES (2)');
    await cluster.crash();
    expect(cluster.running).toBe(false);
    await expect(sql`SELECT 1`).rejects.toThrow();
    open.release();
    await sql.end({ timeout: 1 }).catch(() => {});
    await cluster.start();
    const after = connect(cluster.url(), { max: 1 });
    expect(await after`SELECT n FROM t ORDER BY n`).toEqual([{ n: 1 }]);
    await after.end({ timeout: 1 });
    expect(cluster.url()).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
  });
});

describe('SubscriberProcess', () => {
  const url = inject('relDatabaseUrl');
  const bundle = inject('subscriberBundle');
  let admin: ReturnType<typeof connect>;
  beforeAll(() => {
    admin = connect(url, { max: 2 });
  });
  afterAll(async () => {
    await admin.end({ timeout: 5 });
  });

  it('runs a subscription to the end, reports idle, stops gracefully with its checkpoint', async () => {
    const schema = await freshSchema(admin);
    const stack = pgStack(url, schema);
    const history = new History();
    for (let i = 1; i <= 30; i++) {
      const event = relEvent(`s${i % 3}`, Math.ceil(i / 3), i);
      await history.append(`s${i % 3}`, [event.eventId], () =>
        stack.store.appendEvents(`s${i % 3}`, REL_AGGREGATE_TYPE, [event], ExpectedVersion.ANY),
      );
    }
    const child = SubscriberProcess.start(bundle, { url, schema, subscriber: 'p', batchSize: 7 });
    await child.waitFor('ready');
    await child.waitFor('idle', {
      predicate: (m) => (m.counts as { processed: number }).processed === 30,
      includePast: true,
    });
    const stopped = await child.stop();
    expect(stopped).toEqual({ code: 0, signal: null });
    const result = history.check({
      stored: await loadStored(admin, schema),
      subscribers: ['p'],
    });
    history.fates(await loadFates(admin, schema, 'p'));
    const checked = history.check({ stored: await loadStored(admin, schema), subscribers: ['p'] });
    expect(result.counts.silentlySkipped).toBe(30); // before loading the fates: all missing
    expect(checked.anomalies).toEqual([]);
    expect(checked.counts.applied).toBe(30);
    await stack.close();
  });

  it('dies by SIGKILL at a named crash point', async () => {
    const schema = await freshSchema(admin);
    const stack = pgStack(url, schema);
    for (let i = 1; i <= 5; i++) {
      await stack.store.appendEvents('s', REL_AGGREGATE_TYPE, [relEvent('s', i, i)], i - 1);
    }
    const child = SubscriberProcess.start(bundle, {
      url,
      schema,
      subscriber: 'p',
      batchSize: 2,
      crashAt: 'after-commit',
      crashOn: 2,
    });
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const rows = await admin.unsafe(`SELECT count(*)::int AS n FROM "${schema}".rel_applied`);
    expect(rows[0]?.n).toBe(4); // two committed batches of two
    await stack.close();
  });
});
