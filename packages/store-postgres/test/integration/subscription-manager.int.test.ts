/**
 * The PostgreSQL backend under the real `SubscriptionManager` of `@es/subscriptions`:
 *
 * - exactly-once effects (reliability.md C2): the process "crashes" (its database connection is
 *   terminated, which is what a crash does to an open transaction) after the handler, after the
 *   DLQ insert and before the commit, again and again; nothing is committed; a restarted manager
 *   then applies every event exactly once, with the poison event dead-lettered and the later event
 *   of its stream parked;
 * - live wake-ups: with polling slowed to a minute, an append reaches the handler through
 *   LISTEN/NOTIFY.
 */
import { ExpectedVersion } from '@es/core';
import {
  ErrorHandlingStrategy,
  type Projection,
  SubscriptionManager,
  type UnitOfWork,
  type UnitOfWorkProvider,
} from '@es/subscriptions';
import { sql as dsql } from 'drizzle-orm';
import { integer, pgSchema, text } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresCheckpointRepository } from '../../src/postgres-checkpoint-repository.js';
import { PostgresDLQRepository } from '../../src/postgres-dlq-repository.js';
import { PostgresEventBus } from '../../src/postgres-event-bus.js';
import { PostgresEventStore } from '../../src/postgres-event-store.js';
import {
  type PostgresTransaction,
  PostgresUnitOfWorkProvider,
} from '../../src/postgres-unit-of-work-provider.js';
import { created, testRegistry } from '../support/events.js';
import { connect, freshSchema, newAggregateId } from '../support/test-database.js';

type CrashPoint = 'after-handler' | 'after-dlq-insert' | 'before-commit';

class Crash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`crash ${point}`);
  }
}

/**
 * A unit-of-work provider whose transactions "crash" at `point`: once the point is reached, the
 * transaction can never commit (it rolls back, as a transaction of a dead process does). The
 * manager does not see the crash until the end of its work, so everything it does after the
 * point happens inside the doomed transaction, exactly as if the process had died there.
 *
 * (Terminating the connection instead would be closer to a real crash, but postgres.js 3.4.9
 * then throws an uncatchable TypeError from `nextWrite` on the closed socket — porsager/postgres
 * #1154, #1208 — which would take the test process down.)
 */
function crashingProvider(
  inner: PostgresUnitOfWorkProvider,
  point: CrashPoint,
  counter: { crashes: number },
): UnitOfWorkProvider<PostgresTransaction> {
  return {
    runInTransaction: (work) =>
      inner.runInTransaction(async (uow) => {
        let crashed = false;
        const reached = () => {
          if (!crashed) counter.crashes++;
          crashed = true;
        };
        const after = <T extends object>(target: T, method: string): T =>
          new Proxy(target, {
            get(object, property) {
              const value = Reflect.get(object, property, object);
              if (typeof value !== 'function') return value;
              if (property !== method) return value.bind(object);
              return async (...args: unknown[]) => {
                const result = await value.apply(object, args);
                reached();
                return result;
              };
            },
          });
        const unit: UnitOfWork<PostgresTransaction> = {
          transaction: uow.transaction as PostgresTransaction,
          checkpointRepo:
            point === 'before-commit'
              ? after(uow.checkpointRepo, 'savePosition')
              : uow.checkpointRepo,
          dlqRepo:
            point === 'after-dlq-insert' ? after(uow.dlqRepo, 'addFailedEvent') : uow.dlqRepo,
          savepoint: async <R>(work: () => Promise<R>) => {
            const result = await uow.savepoint(work);
            if (point === 'after-handler') reached();
            return result;
          },
        };
        const result = await work(unit);
        if (crashed) throw new Crash(point);
        return result;
      }),
  };
}

describe('SubscriptionManager on PostgreSQL', () => {
  let client: Sql;
  let schema: string;
  let db: ReturnType<typeof drizzle>;
  let tasks: ReturnType<typeof taskTable>;
  let store: PostgresEventStore;
  let checkpoints: PostgresCheckpointRepository;
  let dlq: PostgresDLQRepository;
  let unitOfWork: PostgresUnitOfWorkProvider<typeof db>;

  function taskTable(name: string) {
    return pgSchema(name).table('task_list', {
      id: text('id').primaryKey(),
      title: text('title').notNull(),
      applied: integer('applied').notNull(),
    });
  }

  beforeAll(async () => {
    client = connect({ max: 8 });
    schema = await freshSchema(client, 'mgr');
    db = drizzle(client);
    await db.execute(
      dsql.raw(
        `CREATE TABLE "${schema}".task_list (id text PRIMARY KEY, title text NOT NULL, applied int NOT NULL)`,
      ),
    );
    tasks = taskTable(schema);
    store = new PostgresEventStore({ connection: client, schema, registry: testRegistry });
    checkpoints = new PostgresCheckpointRepository({ connection: client, schema });
    dlq = new PostgresDLQRepository({ connection: client, schema });
    unitOfWork = new PostgresUnitOfWorkProvider({ connection: db, schema });
  });

  afterAll(async () => {
    await client.end({ timeout: 5 });
  });

  function projection(name: string): Projection<ReturnType<typeof created>, PostgresTransaction> {
    return {
      name,
      async handle(event, context) {
        if (event.title === 'poison') throw new TypeError('cannot project poison');
        const tx = context.transaction as PostgresTransaction;
        await tx
          .insert(tasks)
          .values({ id: `${name}:${event.eventId}`, title: event.title, applied: 1 })
          .onConflictDoUpdate({ target: tasks.id, set: { applied: dsql`${tasks.applied} + 1` } });
      },
    };
  }

  function manager(provider: UnitOfWorkProvider<PostgresTransaction>) {
    return new SubscriptionManager<PostgresTransaction>({
      eventStore: store,
      checkpointRepo: checkpoints,
      dlqRepo: dlq,
      unitOfWork: provider,
      errorHandling: { strategy: ErrorHandlingStrategy.DLQ_ONLY },
      infrastructureRetry: { initialDelayMs: 5, maxDelayMs: 20, jitter: 0 },
      infrastructureBreaker: { failureThreshold: 1_000, recoveryTimeoutMs: 10 },
      handlerBreaker: false,
      pollIntervalMs: 20,
    });
  }

  async function state(name: string) {
    const rows = await db
      .select()
      .from(tasks)
      .where(dsql`${tasks.id} LIKE ${`${name}:%`}`)
      .orderBy(tasks.title);
    const entries = await dlq.listEntries({ projectionName: name, statuses: ['failed', 'parked'] });
    return {
      rows: rows.map((r) => `${r.title}:${r.applied}`),
      dlq: entries.map((e) => `${e.status}:${e.eventId}`).sort(),
      checkpoint: await checkpoints.getPosition(name),
    };
  }

  it('commits handler writes, DLQ entries and the checkpoint together or not at all', async () => {
    const name = `exactly-once-${newAggregateId('p')}`;
    const a = newAggregateId('a');
    const b = newAggregateId('b');
    const a1 = created(a, 'a1', 1);
    const poison = created(a, 'poison', 2);
    const a3 = created(a, 'a3', 3);
    await store.appendEvents(a, 'Task', [a1, poison, a3], ExpectedVersion.NO_STREAM);
    await store.appendEvents(
      b,
      'Task',
      [created(b, 'b1', 1), created(b, 'b2', 2)],
      ExpectedVersion.NO_STREAM,
    );
    const empty = { rows: [], dlq: [], checkpoint: null };
    expect(await state(name)).toEqual(empty);

    for (const point of ['after-handler', 'after-dlq-insert', 'before-commit'] as const) {
      const counter = { crashes: 0 };
      const crashing = manager(crashingProvider(unitOfWork, point, counter));
      crashing.subscribe(projection(name), { startFrom: 'checkpoint', batchSize: 100 });
      await crashing.start();
      const deadline = Date.now() + 20_000;
      while (counter.crashes < 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await crashing.stop();
      expect(counter.crashes, point).toBeGreaterThanOrEqual(3);
      expect(await state(name), `after crashes ${point}`).toEqual(empty);
    }

    const healthy = manager(unitOfWork);
    healthy.subscribe(projection(name), { startFrom: 'checkpoint', batchSize: 100 });
    await healthy.start();
    await healthy.whenIdle();
    await healthy.stop();
    const done = await state(name);
    expect(done.rows).toEqual(['a1:1', 'b1:1', 'b2:1']);
    expect(done.dlq).toEqual([`failed:${poison.eventId}`, `parked:${a3.eventId}`].sort());
    expect(done.checkpoint).toEqual(expect.any(String));

    // A restart applies nothing twice.
    const again = manager(unitOfWork);
    again.subscribe(projection(name), { startFrom: 'checkpoint' });
    await again.start();
    await again.whenIdle();
    await again.stop();
    expect(await state(name)).toEqual(done);
  });

  it('wakes a live subscription through LISTEN/NOTIFY, not polling', async () => {
    const name = `live-${newAggregateId('p')}`;
    const eventBus = new PostgresEventBus({ connection: client, schema });
    const seen: string[] = [];
    const live = new SubscriptionManager({
      eventStore: store,
      checkpointRepo: checkpoints,
      dlqRepo: dlq,
      eventBus,
      pollIntervalMs: 60_000,
    });
    live.subscribe(
      {
        name,
        handle(event) {
          seen.push(event.eventId);
        },
      },
      { startFrom: 'end' },
    );
    await live.start();
    await eventBus.start();
    await live.whenIdle();
    const id = newAggregateId('live');
    const event = created(id, 'live', 1);
    const appendedAt = Date.now();
    await store.appendEvents(id, 'Task', [event], ExpectedVersion.NO_STREAM);
    while (!seen.includes(event.eventId) && Date.now() - appendedAt < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(seen).toContain(event.eventId);
    expect(Date.now() - appendedAt).toBeLessThan(10_000);
    await live.stop();
    await eventBus.close();
  });
});
