/**
 * DEF-7: postgres.js 3.4.x crashes the process (an uncaught TypeError in `nextWrite`) when
 * anything is sent on a transaction whose backend is gone — including the ROLLBACK it sends
 * itself. The unit of work and the store's own transactions must survive terminated backends
 * with an ordinary, typed rejection; an uncaught error here fails the run.
 */
import { ExpectedVersion } from '@es/core';
import { sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConnectionLoss } from '../../src/internal/connection-loss.js';
import { PostgresEventStore } from '../../src/postgres-event-store.js';
import { PostgresUnitOfWorkProvider } from '../../src/postgres-unit-of-work-provider.js';
import { created, testRegistry } from '../support/events.js';
import { connect, freshSchema, newAggregateId } from '../support/test-database.js';

const APP = `es-def7-${process.pid}`;
let admin: Sql;
let client: Sql;
let schema: string;

beforeAll(async () => {
  admin = connect({ max: 2, applicationName: 'es-def7-admin' });
  schema = await freshSchema(admin, 'def7');
  // As the README recommends for clients handed to the package.
  client = connect({ max: 2, applicationName: APP, fetchTypes: false });
});

afterAll(async () => {
  await client.end({ timeout: 5 });
  await admin.end({ timeout: 5 });
});

async function terminate(): Promise<number> {
  const rows = await admin.unsafe<{ n: number }[]>(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
     WHERE application_name = $1 AND datname = current_database()`,
    [APP],
  );
  return rows[0]?.n ?? 0;
}

/** Retries `work` a few times (the first query after a loss may get the old 57P01). */
async function eventually<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 5 || !isConnectionLoss(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('terminated backends (DEF-7)', () => {
  it('the unit of work: terminated under a statement in a savepoint, a typed rejection', async () => {
    const unitOfWork = new PostgresUnitOfWorkProvider({ connection: drizzle(client), schema });
    for (let round = 0; round < 3; round++) {
      const outcome = unitOfWork.runInTransaction(async (uow) => {
        await uow.checkpointRepo.getPosition('def7');
        await uow.savepoint(async () => {
          setTimeout(() => void terminate(), 100);
          await uow.transaction.execute(dsql`SELECT pg_sleep(5)`);
        });
        return 'committed';
      });
      const error = await outcome.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isConnectionLoss(error), String(error)).toBe(true);
      await settle();
    }
    await expect(
      eventually(() =>
        unitOfWork.runInTransaction(async (uow) => uow.checkpointRepo.getPosition('x')),
      ),
    ).resolves.toBeNull();
  });

  it('the unit of work: terminated while idle in the transaction, then used again', async () => {
    const unitOfWork = new PostgresUnitOfWorkProvider({ connection: drizzle(client), schema });
    let after: unknown;
    const outcome = unitOfWork.runInTransaction(async (uow) => {
      await uow.checkpointRepo.getPosition('def7');
      expect(await terminate()).toBeGreaterThan(0);
      await settle();
      // The connection is gone: these must be refused, not sent.
      after = await uow.checkpointRepo.getPosition('def7').then(
        () => 'ran',
        (e: unknown) => e,
      );
      await uow.savepoint(async () => 1);
      return 'committed';
    });
    const error = await outcome.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConnectionLoss(error), String(error)).toBe(true);
    // The callback goes on after the rejection (its own timers): wait for its refused statement.
    const deadline = Date.now() + 10_000;
    while (after === undefined && Date.now() < deadline) await settle();
    expect(isConnectionLoss(after), String(after)).toBe(true);
    await expect(
      eventually(() =>
        unitOfWork.runInTransaction(async (uow) => uow.checkpointRepo.getPosition('x')),
      ),
    ).resolves.toBeNull();
  });

  it('the store: appends whose backend is terminated fail typed; the retry stores them once', async () => {
    const store = new PostgresEventStore({ connection: client, schema, registry: testRegistry });
    const id = newAggregateId('def7');
    const events = [created(id)];
    const blocker = await admin.reserve();
    try {
      // Hold the stream's version row so the append waits inside its transaction.
      await blocker.unsafe('BEGIN');
      await blocker.unsafe(`LOCK TABLE "${schema}".events IN EXCLUSIVE MODE`);
      // Handled at once: a pooled connection terminated by an earlier test may hand its stale
      // 57P01 to this append before the termination below (a driver quirk).
      const append = store.appendEvents(id, 'Task', events, ExpectedVersion.NO_STREAM).then(
        () => undefined,
        (e: unknown) => e,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await terminate()).toBeGreaterThan(0);
      const error = await append;
      expect(error).toBeDefined();
      expect(isConnectionLoss(error), String(error)).toBe(true);
    } finally {
      await blocker.unsafe('ROLLBACK');
      blocker.release();
    }
    await settle();
    await eventually(() => store.appendEvents(id, 'Task', events, ExpectedVersion.ANY));
    // Each terminated pooled connection hands its stale 57P01 to its next query (driver), so
    // the read may meet one too.
    expect(await eventually(() => store.getStreamVersion(id, 'Task'))).toBe(1);
  });
});

describe('a handler that swallows the connection error (DEF-7)', () => {
  it('its further statements are refused, not sent: no crash, the transaction fails typed', async () => {
    const unitOfWork = new PostgresUnitOfWorkProvider({ connection: drizzle(client), schema });
    const seen: unknown[] = [];
    const outcome = unitOfWork.runInTransaction(async (uow) => {
      await uow.savepoint(async () => {
        setTimeout(() => void terminate(), 100);
        try {
          await uow.transaction.execute(dsql`SELECT pg_sleep(5)`);
        } catch (error) {
          seen.push(error);
        }
        // Straight on, and again later: both must be refused.
        seen.push(await uow.transaction.execute(dsql`SELECT 1`).catch((e: unknown) => e));
        await settle();
        seen.push(await uow.transaction.execute(dsql`SELECT 2`).catch((e: unknown) => e));
        await uow.transaction.transaction(async () => 1).catch((e: unknown) => seen.push(e));
      });
      return 'committed';
    });
    const error = await outcome.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isConnectionLoss(error), String(error)).toBe(true);
    // The handler goes on after the transaction failed.
    for (let i = 0; i < 40 && seen.length < 4; i++) await settle();
    expect(seen).toHaveLength(4);
    for (const e of seen) expect(isConnectionLoss(e), String(e)).toBe(true);
    await expect(
      eventually(() =>
        unitOfWork.runInTransaction(async (uow) => uow.checkpointRepo.getPosition('x')),
      ),
    ).resolves.toBeNull();
  });
});
