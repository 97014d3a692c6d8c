/**
 * H2 in the fast tier, at a small scale: the statements a caught-up subscriber runs on every poll
 * must use the `(transaction_id, global_position)` index whatever the table statistics — a
 * sequential scan grows with the table and runs several times a second per subscription (checked
 * with EXPLAIN ANALYZE, as Emmett's messagesPollIndex.int.spec.ts does). The long tier checks the
 * DLQ queries the same way with a million rows (H3).
 */
import { encodePosition, PostgresEventStore } from '@es/store-postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordFigures } from '../../src/support/figures.js';
import { connect, freshSchema } from '../../src/support/postgres.js';
import { recording } from '../../src/support/recording-sql.js';

const url = inject('relDatabaseUrl');
let admin: ReturnType<typeof connect>;

beforeAll(() => {
  admin = connect(url, { max: 2, applicationName: 'rel-explain-admin' });
});
afterAll(async () => {
  await admin.end({ timeout: 5 });
});

describe('H2 (fast, EXPLAIN): the poll path of a caught-up subscriber uses the index', () => {
  it('readAll from the newest cursor (and its held-back probe) never scans the events table', async () => {
    const schema = await freshSchema(admin, 'ex');
    // 60 000 events in 600 transactions (each its own transaction id, as real appends are).
    const rows = 60_000;
    const perTransaction = 100;
    await Promise.all(
      Array.from({ length: rows / perTransaction }, (_, t) =>
        admin.unsafe(
          `INSERT INTO "${schema}".events (event_id, aggregate_id, aggregate_type, version, event_type, occurred_at, data)
           SELECT 'e' || g, 's' || (g % 100), 'RelStream', g / 100 + 1, 'RelEvent', now(),
                  jsonb_build_object('eventId', 'e' || g, 'eventType', 'RelEvent', 'eventVersion', 1,
                    'occurredAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'aggregateId', 's' || (g % 100), 'aggregateType', 'RelStream', 'aggregateVersion', g / 100 + 1,
                    'correlationId', 'c', 'metadata', '{}'::jsonb, 'n', g)
           FROM generate_series($1::int, $2::int) g`,
          [t * perTransaction, (t + 1) * perTransaction - 1],
        ),
      ),
    );
    // No ANALYZE: a table that keeps growing is often planned with stale or no statistics
    // (autovacuum analyzes it late); the poll must not depend on them.
    const [last] = await admin.unsafe<{ tx: string; gp: string }[]>(
      `SELECT transaction_id::text AS tx, global_position::text AS gp FROM "${schema}".events ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
    );
    const recorder = recording(connect(url, { max: 1, applicationName: 'rel-explain' }));
    const store = new PostgresEventStore({ connection: recorder.sql, schema });
    const cursor = encodePosition(last?.tx ?? '0', Number(last?.gp ?? 0));
    // What a caught-up subscription does on every poll: read after its cursor, get nothing.
    for await (const _ of store.readAll({ fromPosition: cursor, limit: 100 })) {
      throw new Error('nothing is stored after the newest cursor');
    }
    for await (const _ of store.readAll({
      fromPosition: cursor,
      limit: 100,
      eventTypes: ['RelEvent'],
    })) {
      throw new Error('nothing is stored after the newest cursor');
    }
    const plans: { statement: string; plan: string; ms: number }[] = [];
    for (const [text, params] of recorder.statements) {
      if (!/^\s*(WITH|SELECT)/i.test(text)) continue;
      const analyzed = await admin.unsafe<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN ANALYZE ${text}`,
        params as never[],
      );
      const plan = analyzed.map((r) => r['QUERY PLAN']).join('\n');
      const ms = Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? Number.NaN);
      plans.push({ statement: text.replace(/\s+/g, ' ').slice(0, 100), plan, ms });
    }
    const scans = plans.filter((p) => /Seq Scan on events/.test(p.plan));
    recordFigures({
      id: 'H2',
      backend: 'postgres',
      events: rows,
      faults: 0,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      notes: `EXPLAIN ANALYZE of the ${plans.length} statements of an empty poll at ${rows} events: ${plans.map((p) => `${p.ms} ms${/Seq Scan on events/.test(p.plan) ? ' (SEQ SCAN)' : ''}`).join(', ')}`,
    });
    expect(plans.length).toBeGreaterThan(0);
    expect(
      scans.map((s) => `${s.statement}\n${s.plan}`),
      'a poll statement scans the whole events table',
    ).toEqual([]);
    await recorder.sql.end({ timeout: 5 });
  });
});
