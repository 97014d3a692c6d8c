/**
 * Gap-free reading (reliability.md §3, catalogue §4.3 B1, B2, B3, B5): two connections
 * interleaved deterministically. The read horizon is cluster-wide, so a positive assertion
 * ("now it is delivered") polls until it holds (another test run on the same server may hold an
 * old transaction for a moment); negative assertions ("not yet") are exact.
 */
import { ExpectedVersion, type Position, type StoredEvent } from '@es/core';
import type { ReservedSql, Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventStoreStatements } from '../../src/internal/event-store-statements.js';
import { PostgresEventStore } from '../../src/postgres-event-store.js';
import { created, testRegistry } from '../support/events.js';
import { connect, freshSchema, newAggregateId } from '../support/test-database.js';

let sql: Sql;
let schema: string;
let store: PostgresEventStore;

beforeAll(async () => {
  sql = connect({ max: 10 });
  schema = await freshSchema(sql, 'gap');
  store = new PostgresEventStore({ connection: sql, schema, registry: testRegistry });
});

afterAll(async () => {
  await sql.end({ timeout: 5 });
});

async function readAfter(position: Position, limit = 1000): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const stored of store.readAll({ fromPosition: position, limit })) out.push(stored);
  return out;
}

/** Reads from `position` until `count` events came back (or fails after `timeoutMs`). */
async function readEventually(position: Position, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await readAfter(position);
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The store's cursor just after everything committed so far (nothing older stays open). */
async function head(): Promise<Position> {
  const before = await readEventually(0, Number.POSITIVE_INFINITY, 0);
  const last = before.at(-1);
  return last === undefined ? 0 : last.position;
}

/** A store on a reserved connection in an open transaction, plus commit/rollback. */
async function openTransaction(): Promise<{
  connection: ReservedSql;
  store: PostgresEventStore;
  commit: () => Promise<void>;
  rollback: () => Promise<void>;
}> {
  const connection = await sql.reserve();
  await connection.unsafe('BEGIN');
  return {
    connection,
    store: new PostgresEventStore({ connection, schema, registry: testRegistry }),
    commit: async () => {
      await connection.unsafe('COMMIT');
      connection.release();
    },
    rollback: async () => {
      await connection.unsafe('ROLLBACK');
      connection.release();
    },
  };
}

class RollbackRequested extends Error {}

/** A small seeded PRNG (mulberry32), so failures reproduce. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('gap-free reading', () => {
  it('B1: a slow writer holds back later commits until it commits, then both are delivered', async () => {
    const start = await head();
    const slow = await openTransaction();
    const a = newAggregateId('slow');
    const b = newAggregateId('fast');
    await slow.store.appendEvents(a, 'Task', [created(a, 'slow')], ExpectedVersion.NO_STREAM);
    await store.appendEvents(b, 'Task', [created(b, 'fast')], ExpectedVersion.NO_STREAM);

    // b is committed, but a transaction that began before it is still open: not readable yet.
    expect(await readAfter(start)).toEqual([]);
    const status = await store.getHorizonStatus(0);
    expect(status.heldBackEvents).toBeGreaterThanOrEqual(1);
    expect(status.stalled).toBe(true);

    await slow.commit();
    const delivered = await readEventually(start, 2);
    expect(delivered.map((s) => s.event.aggregateId)).toEqual([a, b]);
  });

  it('B2: a rolled-back append between two commits leaves a dead gap that is passed at once', async () => {
    const start = await head();
    const x = newAggregateId('x');
    const y = newAggregateId('y');
    const z = newAggregateId('z');
    await store.appendEvents(x, 'Task', [created(x)], ExpectedVersion.NO_STREAM);
    const doomed = await openTransaction();
    await doomed.store.appendEvents(y, 'Task', [created(y)], ExpectedVersion.NO_STREAM);
    await doomed.rollback();
    await store.appendEvents(z, 'Task', [created(z)], ExpectedVersion.NO_STREAM);

    const delivered = await readEventually(start, 2);
    expect(delivered.map((s) => s.event.aggregateId)).toEqual([x, z]);
    // The burnt global position is a gap the reader never waits for.
    expect(delivered[1]!.globalPosition - delivered[0]!.globalPosition).toBe(2);
    const afterX = await readEventually(delivered[0]!.position, 1);
    expect(afterX.map((s) => s.event.aggregateId)).toEqual([z]);
  });

  it('B3: a transaction with an older id but a lower position is still delivered', async () => {
    const start = await head();
    const ta = await openTransaction();
    const tb = await openTransaction();
    // Transaction ids are taken in the order a, b; global positions in the order b, a.
    await ta.connection.unsafe('SELECT pg_current_xact_id()');
    await tb.connection.unsafe('SELECT pg_current_xact_id()');
    const a = newAggregateId('a');
    const b = newAggregateId('b');
    await tb.store.appendEvents(b, 'Task', [created(b)], ExpectedVersion.NO_STREAM);
    await ta.store.appendEvents(a, 'Task', [created(a)], ExpectedVersion.NO_STREAM);
    await ta.commit();

    const first = await readEventually(start, 1);
    expect(first.map((s) => s.event.aggregateId)).toEqual([a]);
    const cursor = first[0]!;

    await tb.commit();
    const second = await readEventually(cursor.position, 1);
    expect(second.map((s) => s.event.aggregateId)).toEqual([b]);
    // b's global position is below a's: a reader checkpointing global positions would skip it.
    expect(second[0]!.globalPosition).toBeLessThan(cursor.globalPosition);
    const positionOnly = await sql.unsafe(
      `SELECT count(*)::int AS n FROM "${schema}".events WHERE global_position > $1 AND aggregate_id = $2`,
      [cursor.globalPosition, b],
    );
    expect(positionOnly[0]?.n).toBe(0);
  });

  it('B5: a long-open transaction stalls the reader (reported, never skipped), then it resumes', async () => {
    const start = await head();
    const blocker = await openTransaction();
    await blocker.connection.unsafe('SELECT pg_current_xact_id()');
    const ids = [newAggregateId('s1'), newAggregateId('s2'), newAggregateId('s3')];
    for (const id of ids) {
      await store.appendEvents(id, 'Task', [created(id)], ExpectedVersion.NO_STREAM);
    }
    await new Promise((resolve) => setTimeout(resolve, 600));
    const stalled = await store.getHorizonStatus(500);
    expect(stalled.stalled).toBe(true);
    expect(stalled.heldBackEvents).toBeGreaterThanOrEqual(3);
    expect(stalled.oldestTransactionAgeMs).toBeGreaterThanOrEqual(500);
    expect(await readAfter(start)).toEqual([]);

    await blocker.commit();
    const delivered = await readEventually(start, 3);
    expect(delivered.map((s) => s.event.aggregateId)).toEqual(ids);
    const deadline = Date.now() + 10_000;
    let status = await store.getHorizonStatus(500);
    while (status.heldBackEvents > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = await store.getHorizonStatus(500);
    }
    expect(status.heldBackEvents).toBe(0);
    expect(status.stalled).toBe(false);
  });

  it('B4: 8 writers × 500 appends with random rollbacks: nothing lost or doubled, one order for all', async () => {
    const writers = 8;
    const appendsPerWriter = 500;
    const random = mulberry32(20_251_126);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const start = await head();
    const committed = new Set<string>();
    const rolledBack = new Set<string>();
    let writing = true;

    const subscriber = async (from: Position, live: boolean): Promise<StoredEvent[]> => {
      const seen: StoredEvent[] = [];
      let cursor = from;
      const deadline = Date.now() + 120_000;
      for (;;) {
        const page = await readAfter(cursor, 250);
        seen.push(...page);
        if (page.length > 0) cursor = page[page.length - 1]!.position;
        if (!writing && seen.length >= committed.size) return seen;
        if (Date.now() > deadline) return seen;
        if (page.length === 0) await sleep(live ? 2 : 20);
      }
    };

    const liveRun = subscriber(start, true);
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const stream = newAggregateId(`w${w}`);
        for (let n = 0; n < appendsPerWriter; n++) {
          const size = 1 + Math.floor(random() * 3);
          const rollback = random() < 0.1;
          const pause = Math.floor(random() * 3);
          const events = Array.from({ length: size }, () => created(stream, `w${w}-${n}`));
          try {
            await sql.begin(async (tx) => {
              const inTx = new PostgresEventStore({
                connection: tx,
                schema,
                registry: testRegistry,
              });
              await inTx.appendEvents(stream, 'Task', events, ExpectedVersion.ANY);
              if (pause > 0) await sleep(pause);
              if (rollback) throw new RollbackRequested();
            });
            for (const e of events) committed.add(e.eventId);
          } catch (error) {
            if (!(error instanceof RollbackRequested)) throw error;
            for (const e of events) rolledBack.add(e.eventId);
          }
        }
      }),
    );
    writing = false;
    const live = await liveRun;
    const catchUp = await subscriber(start, false);

    const ids = (list: StoredEvent[]) => list.map((s) => s.event.eventId);
    expect(committed.size).toBeGreaterThan(writers * appendsPerWriter);
    expect(rolledBack.size).toBeGreaterThan(0);
    // None lost, none twice, nothing rolled back.
    expect(live).toHaveLength(committed.size);
    expect(new Set(ids(live))).toEqual(committed);
    expect(ids(live).filter((id) => rolledBack.has(id))).toEqual([]);
    // Every subscriber sees the same total order (the cursor order).
    expect(ids(catchUp)).toEqual(ids(live));
    // Per stream, versions arrive in order and without holes.
    const versions = new Map<string, number[]>();
    for (const s of live) {
      const list = versions.get(s.streamId) ?? [];
      list.push(s.streamPosition);
      versions.set(s.streamId, list);
    }
    for (const list of versions.values()) {
      expect(list).toEqual(Array.from({ length: list.length }, (_, i) => i + 1));
    }
    // Cursors strictly increase, while global positions do not: commits really overtook each
    // other, which is what a global-position cursor would have got wrong.
    let inversions = 0;
    for (let i = 1; i < live.length; i++) {
      expect(String(live[i]!.position) > String(live[i - 1]!.position)).toBe(true);
      if (live[i]!.globalPosition < live[i - 1]!.globalPosition) inversions++;
    }
    console.log(
      `B4: ${live.length} events, ${rolledBack.size} rolled back, ${inversions} order inversions`,
    );
    expect(inversions).toBeGreaterThan(0);
  });

  it('the held-back probe is exact, with and without an event-type filter', async () => {
    // Its own schema: only the rows below exist, so every "false" below is exact whatever other
    // transactions on the server do to the horizon; the "true" ones hold because our own open
    // transaction keeps the horizon at or below its id.
    const probeSchema = await freshSchema(sql, 'probe');
    const statements = eventStoreStatements(probeSchema);
    type Cursor = readonly [string, number];
    const START: Cursor = ['0', 0];
    const insert = async (eventType: string): Promise<Cursor> => {
      const [row] = await sql.unsafe<{ tx: string; gp: string }[]>(
        `INSERT INTO "${probeSchema}".events (event_id, aggregate_id, aggregate_type, version, event_type, occurred_at, data)
         VALUES (gen_random_uuid()::text, gen_random_uuid()::text, 'Task', 1, $1, now(), '{}'::jsonb)
         RETURNING transaction_id::text AS tx, global_position::text AS gp`,
        [eventType],
      );
      return [row!.tx, Number(row!.gp)];
    };
    const heldBack = async (cursor: Cursor, types?: readonly string[]): Promise<boolean> => {
      const rows =
        types === undefined
          ? await sql.unsafe(statements.heldBack, [...cursor])
          : await sql.unsafe(statements.heldBackOfTypes, [...cursor, JSON.stringify(types)]);
      expect(rows).toHaveLength(1);
      return rows[0]!.held_back as boolean;
    };

    // Empty table.
    expect(await heldBack(START)).toBe(false);
    expect(await heldBack(START, ['X'])).toBe(false);
    const r1 = await insert('X');
    expect(await heldBack(r1)).toBe(false);
    expect(await heldBack(r1, ['X'])).toBe(false);

    const blocker = await openTransaction();
    try {
      await blocker.connection.unsafe('SELECT pg_current_xact_id()');
      const r2 = await insert('X');
      const r3 = await insert('Y');
      // Committed after the blocker began: held back, after the cursor.
      expect(await heldBack(r1)).toBe(true);
      expect(await heldBack(START)).toBe(true);
      expect(await heldBack(r2)).toBe(true);
      expect(await heldBack(r3)).toBe(false);
      // Typed: only rows of the given types count, from a cursor below or above the horizon.
      expect(await heldBack(r1, ['X'])).toBe(true);
      expect(await heldBack(r1, ['Y'])).toBe(true);
      expect(await heldBack(r1, ['Z'])).toBe(false);
      expect(await heldBack(START, ['Y'])).toBe(true);
      expect(await heldBack(START, ['Z', 'X'])).toBe(true);
      expect(await heldBack(r2, ['X'])).toBe(false);
      expect(await heldBack(r2, ['Y'])).toBe(true);
      expect(await heldBack(r3, ['X', 'Y'])).toBe(false);
      // A matching row below the horizon (r1, if nothing older is open) does not hide the
      // held-back one after it.
      const [tx1] = r1;
      expect(await heldBack([tx1, 0], ['X'])).toBe(true);
    } finally {
      await blocker.commit();
    }
    // Once the blocker is gone nothing is held back (eventually: the horizon is cluster-wide).
    const deadline = Date.now() + 10_000;
    while ((await heldBack(START)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await heldBack(START)).toBe(false);
    expect(await heldBack(START, ['X', 'Y'])).toBe(false);
    await sql.unsafe(`DROP SCHEMA "${probeSchema}" CASCADE`);
  });

  it('can serve the read in order from the (transaction_id, global_position) index', async () => {
    // With sequential and bitmap scans discouraged, a plan without a Sort proves the index matches the
    // read order (the benchmark checks the real plan on a million rows).
    const plan = await sql.begin(async (tx) => {
      await tx.unsafe('SET LOCAL enable_seqscan = off');
      await tx.unsafe('SET LOCAL enable_bitmapscan = off');
      return tx.unsafe(`EXPLAIN ${eventStoreStatements(schema).readAll}`, ['0', 0, 1000]);
    });
    const text = plan.map((row) => String(row['QUERY PLAN'])).join('\n');
    expect(text).toContain('events_transaction_id_global_position_idx');
    // Ordered by the xid8 column itself (a text sort would misorder 999 and 1000).
    expect(text).not.toMatch(/Sort/);
    expect(text).not.toContain('::text), global_position');
  });
});
