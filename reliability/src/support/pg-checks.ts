/**
 * Oracles read straight from the database: how many events have a fate, and whether the
 * effects, the DLQ entries and the checkpoint of a subscriber are all-or-nothing.
 *
 * @module
 */
import { encodePosition } from '@es/store-postgres';
import type { Sql } from 'postgres';
import { waitUntil } from './workload.js';

/** Stored events with their cursor, in cursor order. */
export async function storedPositions(
  sql: Sql,
  schema: string,
): Promise<{ eventId: string; position: string }[]> {
  const rows = await sql.unsafe<{ event_id: string; tx: string; gp: string }[]>(
    `SELECT event_id, transaction_id::text AS tx, global_position::text AS gp FROM "${schema}".events ORDER BY transaction_id, global_position`,
  );
  return rows.map((r) => ({ eventId: r.event_id, position: encodePosition(r.tx, Number(r.gp)) }));
}

/** Distinct events with a main-flow fate at `subscriber` (applied, or a DLQ entry). */
export async function fatedCount(sql: Sql, schema: string, subscriber: string): Promise<number> {
  const rows = await sql.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM (
       SELECT event_id FROM "${schema}".rel_applied WHERE subscriber = $1 AND NOT redrive
       UNION
       SELECT event_id FROM "${schema}".dead_letter_queue WHERE projection_name = $1) f`,
    [subscriber],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Events stored in the schema. */
export async function storedCount(sql: Sql, schema: string): Promise<number> {
  const rows = await sql.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM "${schema}".events`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Waits until every stored event has a fate at `subscriber`. */
export async function waitForAllFated(
  sql: Sql,
  schema: string,
  subscriber: string,
  timeoutMs = 60_000,
): Promise<void> {
  await waitUntil(
    async () => (await fatedCount(sql, schema, subscriber)) >= (await storedCount(sql, schema)),
    timeoutMs,
    async () =>
      `every stored event to have a fate at ${subscriber} (${await fatedCount(sql, schema, subscriber)} of ${await storedCount(sql, schema)})`,
    50,
  );
}

/** The checkpoint position of a subscription (string cursor), or null. */
export async function checkpointOf(
  sql: Sql,
  schema: string,
  subscriber: string,
): Promise<string | null> {
  const rows = await sql.unsafe<{ position_string: string | null }[]>(
    `SELECT position_string FROM "${schema}".checkpoints WHERE subscription_id = $1`,
    [subscriber],
  );
  return rows[0]?.position_string ?? null;
}

/** What {@link atomicState} found. */
export interface AtomicState {
  readonly checkpoint: string | null;
  /** Events at or before the checkpoint that have no fate (their effects were lost). */
  readonly missing: string[];
  /** Events after the checkpoint that have a fate (effects committed without the checkpoint). */
  readonly ahead: string[];
  /** Events with more than one main-flow fate. */
  readonly doubled: string[];
}

/**
 * The all-or-nothing oracle of exactly-once effects: the checkpoint commits in the same
 * transaction as the projection rows and DLQ entries, so at any instant the events with a fate are
 * exactly the events at or before the checkpoint, each once.
 */
export async function atomicState(
  sql: Sql,
  schema: string,
  subscriber: string,
): Promise<AtomicState> {
  // One snapshot for the three reads (a commit landing between them would fake a tear).
  return sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) =>
    readAtomicState(tx as unknown as Sql, schema, subscriber),
  ) as Promise<AtomicState>;
}

/**
 * Waits until no backend of `applicationName` (prefix) is left on the server: a killed client's
 * backend may still be finishing (even committing) what it last sent.
 */
export async function waitForBackendsGone(
  sql: Sql,
  applicationName: string,
  timeoutMs = 10_000,
): Promise<void> {
  await waitUntil(
    async () => {
      const rows = await sql.unsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1 || '%' AND pid <> pg_backend_pid()`,
        [applicationName],
      );
      return Number(rows[0]?.n ?? 0) === 0;
    },
    timeoutMs,
    `the backends of ${applicationName} to end`,
  );
}

async function readAtomicState(sql: Sql, schema: string, subscriber: string): Promise<AtomicState> {
  const checkpoint = await checkpointOf(sql, schema, subscriber);
  const stored = await storedPositions(sql, schema);
  const fates = await sql.unsafe<{ event_id: string; n: number }[]>(
    `SELECT event_id, count(*)::int AS n FROM (
       SELECT event_id FROM "${schema}".rel_applied WHERE subscriber = $1 AND NOT redrive
       UNION ALL
       SELECT event_id FROM "${schema}".dead_letter_queue WHERE projection_name = $1) f
     GROUP BY event_id`,
    [subscriber],
  );
  const fated = new Map(fates.map((f) => [f.event_id, Number(f.n)]));
  const missing: string[] = [];
  const ahead: string[] = [];
  for (const { eventId, position } of stored) {
    const covered = checkpoint !== null && position <= checkpoint;
    const has = fated.has(eventId);
    if (covered && !has) missing.push(eventId);
    if (!covered && has) ahead.push(eventId);
  }
  const doubled = [...fated].filter(([, n]) => n > 1).map(([id]) => id);
  return { checkpoint, missing, ahead, doubled };
}
