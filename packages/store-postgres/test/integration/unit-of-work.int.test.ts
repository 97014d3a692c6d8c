/**
 * Exactly-once effects (reliability.md C2): a projection's read-model writes, its checkpoint and
 * its DLQ entries commit together or not at all, whatever point the processing dies at. This
 * drives `PostgresUnitOfWorkProvider` the way a subscription does: one transaction per batch, the
 * handler in a savepoint, a failing event dead-lettered, the checkpoint saved last.
 */
import type { PGlite } from '@electric-sql/pglite';
import { ExpectedVersion, type StoredEvent } from '@es/core';
import { sql as dsql, eq } from 'drizzle-orm';
import { integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePGlite } from 'drizzle-orm/pglite';
import { drizzle } from 'drizzle-orm/postgres-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCheckpointRepository } from '../../src/postgres-checkpoint-repository.js';
import { PostgresDLQRepository } from '../../src/postgres-dlq-repository.js';
import { PostgresEventStore } from '../../src/postgres-event-store.js';
import {
  type PostgresTransaction,
  PostgresUnitOfWorkProvider,
} from '../../src/postgres-unit-of-work-provider.js';
import { created, testRegistry } from '../support/events.js';
import { connect, freshPGlite, freshSchema, newAggregateId } from '../support/test-database.js';

type CrashPoint = 'after-handler' | 'after-dlq-insert' | 'before-commit';

class Crash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`crash ${point}`);
  }
}

function readModel(schema: string) {
  return pgSchema(schema).table('task_list', {
    id: text('id').primaryKey(),
    title: text('title').notNull(),
    applied: integer('applied').notNull(),
  });
}

interface Backend {
  readonly name: string;
  setup(): Promise<{
    schema: string;
    store: PostgresEventStore;
    unitOfWork: PostgresUnitOfWorkProvider;
    checkpoints: PostgresCheckpointRepository;
    dlq: PostgresDLQRepository;
    close(): Promise<void>;
  }>;
}

const backends: Backend[] = [
  {
    name: 'PostgreSQL server (drizzle over postgres.js)',
    async setup() {
      const client = connect({ max: 4 });
      const schema = await freshSchema(client, 'uow');
      const db = drizzle(client);
      await db.execute(
        dsql.raw(
          `CREATE TABLE "${schema}".task_list (id text PRIMARY KEY, title text NOT NULL, applied int NOT NULL)`,
        ),
      );
      return {
        schema,
        store: new PostgresEventStore({ connection: db, schema, registry: testRegistry }),
        unitOfWork: new PostgresUnitOfWorkProvider({ connection: db, schema }),
        checkpoints: new PostgresCheckpointRepository({ connection: db, schema }),
        dlq: new PostgresDLQRepository({ connection: db, schema }),
        close: () => client.end({ timeout: 5 }),
      };
    },
  },
  {
    name: 'PGlite (drizzle pglite driver)',
    async setup() {
      const pglite: PGlite = await freshPGlite();
      const db = drizzlePGlite(pglite);
      await pglite.exec(
        'CREATE TABLE es.task_list (id text PRIMARY KEY, title text NOT NULL, applied int NOT NULL)',
      );
      return {
        schema: 'es',
        store: new PostgresEventStore({ connection: pglite, registry: testRegistry }),
        unitOfWork: new PostgresUnitOfWorkProvider({ connection: db }),
        checkpoints: new PostgresCheckpointRepository({ connection: pglite }),
        dlq: new PostgresDLQRepository({ connection: pglite }),
        close: () => pglite.close(),
      };
    },
  },
];

for (const backend of backends) {
  describe(`PostgresUnitOfWorkProvider on ${backend.name}`, () => {
    let env: Awaited<ReturnType<Backend['setup']>>;
    let tasks: ReturnType<typeof readModel>;
    const projection = 'task-list';

    beforeAll(async () => {
      env = await backend.setup();
      tasks = readModel(env.schema);
    });
    afterAll(async () => {
      await env.close();
    });

    async function all(): Promise<StoredEvent[]> {
      const out: StoredEvent[] = [];
      const from = (await env.checkpoints.getPosition(projection)) ?? 0;
      for await (const stored of env.store.readAll({ fromPosition: from })) out.push(stored);
      return out;
    }

    /** One batch, the way a subscription runs it with a unit of work. */
    async function processBatch(crashAt?: CrashPoint): Promise<void> {
      const batch = await all();
      if (batch.length === 0) return;
      await env.unitOfWork.runInTransaction(async (uow) => {
        const tx = uow.transaction as PostgresTransaction;
        for (const stored of batch) {
          const event = stored.event as StoredEvent['event'] & { title: string };
          try {
            await uow.savepoint(async () => {
              await tx
                .insert(tasks)
                .values({ id: event.aggregateId, title: event.title, applied: 1 })
                .onConflictDoUpdate({
                  target: tasks.id,
                  set: { applied: dsql`${tasks.applied} + 1` },
                });
              if (event.title === 'poison') throw new Error('cannot project poison');
            });
            if (crashAt === 'after-handler') throw new Crash(crashAt);
          } catch (error) {
            if (error instanceof Crash) throw error;
            await uow.dlqRepo.addFailedEvent({
              eventId: event.eventId,
              projectionName: projection,
              eventType: event.eventType,
              eventData: { title: event.title },
              error,
              streamId: event.aggregateId,
              streamPosition: stored.streamPosition,
              position: stored.position,
            });
            if (crashAt === 'after-dlq-insert') throw new Crash(crashAt);
          }
        }
        const last = batch[batch.length - 1] as StoredEvent;
        expect(await uow.checkpointRepo.savePosition(projection, { position: last.position })).toBe(
          true,
        );
        if (crashAt === 'before-commit') throw new Crash(crashAt);
      });
    }

    async function state() {
      const rows = await env.unitOfWork.runInTransaction(async (uow) =>
        (uow.transaction as PostgresTransaction).select().from(tasks).orderBy(tasks.title),
      );
      return {
        rows: rows.map((r) => `${r.title}:${r.applied}`),
        dlq: (await env.dlq.listEntries({ projectionName: projection })).map((e) => e.eventId),
        checkpoint: await env.checkpoints.getPosition(projection),
      };
    }

    it('commits the read model, the DLQ entry and the checkpoint together, or nothing at all', async () => {
      const ids = [newAggregateId('t1'), newAggregateId('t2'), newAggregateId('t3')];
      const titles = ['first', 'poison', 'third'];
      for (const [i, id] of ids.entries()) {
        await env.store.appendEvents(
          id,
          'Task',
          [created(id, titles[i])],
          ExpectedVersion.NO_STREAM,
        );
      }
      const empty = await state();
      expect(empty).toEqual({ rows: [], dlq: [], checkpoint: null });

      const points: CrashPoint[] = ['after-handler', 'after-dlq-insert', 'before-commit'];
      for (const point of points) {
        await expect(processBatch(point), point).rejects.toThrow();
        expect(await state(), `after a crash ${point}`).toEqual(empty);
      }

      await processBatch();
      const done = await state();
      expect(done.rows).toEqual(['first:1', 'third:1']);
      expect(done.dlq).toHaveLength(1);
      expect(done.checkpoint).toEqual(expect.any(String));

      // Processing again from the checkpoint applies nothing twice.
      await processBatch();
      expect(await state()).toEqual(done);
    });

    it('rolls back only the failing savepoint and keeps the transaction usable', async () => {
      const id = newAggregateId('sp');
      await env.unitOfWork.runInTransaction(async (uow) => {
        const tx = uow.transaction as PostgresTransaction;
        await tx.insert(tasks).values({ id: `${id}-kept`, title: 'kept', applied: 1 });
        await expect(
          uow.savepoint(async () => {
            await tx.insert(tasks).values({ id: `${id}-dropped`, title: 'dropped', applied: 1 });
            throw new Error('inner failure');
          }),
        ).rejects.toThrow('inner failure');
        expect(await uow.savepoint(async () => 'value')).toBe('value');
      });
      const kept = await env.unitOfWork.runInTransaction(async (uow) =>
        (uow.transaction as PostgresTransaction)
          .select()
          .from(tasks)
          .where(eq(tasks.title, 'kept')),
      );
      expect(kept.map((r) => r.id)).toContain(`${id}-kept`);
      const dropped = await env.unitOfWork.runInTransaction(async (uow) =>
        (uow.transaction as PostgresTransaction)
          .select()
          .from(tasks)
          .where(eq(tasks.id, `${id}-dropped`)),
      );
      expect(dropped).toEqual([]);
    });
  });
}
