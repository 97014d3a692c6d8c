/**
 * PGlite is one connection: a unit-of-work transaction holds it. The SubscriptionManager with a
 * PostgresUnitOfWorkProvider on PGlite must still make progress (no query of the manager may wait
 * for the connection its own open transaction holds).
 */
import { ExpectedVersion } from '@es/core';
import { ErrorHandlingStrategy, SubscriptionManager } from '@es/subscriptions';
import { sql as dsql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { describe, expect, it } from 'vitest';
import { PostgresCheckpointRepository } from '../../src/postgres-checkpoint-repository.js';
import { PostgresDLQRepository } from '../../src/postgres-dlq-repository.js';
import { PostgresEventBus } from '../../src/postgres-event-bus.js';
import { PostgresEventStore } from '../../src/postgres-event-store.js';
import {
  type PostgresTransaction,
  PostgresUnitOfWorkProvider,
} from '../../src/postgres-unit-of-work-provider.js';
import { created, testRegistry } from '../support/events.js';
import { freshPGlite, newAggregateId } from '../support/test-database.js';

describe('SubscriptionManager with a unit of work on PGlite', () => {
  it('projects, dead-letters and checkpoints in one transaction per batch', async () => {
    const pglite = await freshPGlite();
    try {
      await pglite.exec('CREATE TABLE es.seen (id text PRIMARY KEY)');
      const db = drizzle(pglite);
      const store = new PostgresEventStore({ connection: pglite, registry: testRegistry });
      const checkpoints = new PostgresCheckpointRepository({ connection: pglite });
      const dlq = new PostgresDLQRepository({ connection: pglite });
      const eventBus = new PostgresEventBus({ connection: pglite });
      const manager = new SubscriptionManager<PostgresTransaction>({
        eventStore: store,
        checkpointRepo: checkpoints,
        dlqRepo: dlq,
        eventBus,
        unitOfWork: new PostgresUnitOfWorkProvider({ connection: db }),
        errorHandling: { strategy: ErrorHandlingStrategy.DLQ_ONLY },
        pollIntervalMs: 20,
      });
      manager.subscribe({
        name: 'seen',
        async handle(event, context) {
          if ((event as { title?: string }).title === 'poison') throw new TypeError('poison');
          await (context.transaction as PostgresTransaction).execute(
            dsql`INSERT INTO es.seen (id) VALUES (${event.eventId})`,
          );
        },
      });
      const a = newAggregateId('a');
      const b = newAggregateId('b');
      await store.appendEvents(
        a,
        'Task',
        [created(a, 'one', 1), created(a, 'poison', 2)],
        ExpectedVersion.NO_STREAM,
      );
      await store.appendEvents(b, 'Task', [created(b, 'two', 1)], ExpectedVersion.NO_STREAM);
      await manager.start();
      await manager.whenIdle();
      // Live: one more event after the catch-up.
      const c = newAggregateId('c');
      await store.appendEvents(c, 'Task', [created(c, 'three', 1)], ExpectedVersion.NO_STREAM);
      const deadline = Date.now() + 10_000;
      let seen = 0;
      while (Date.now() < deadline) {
        seen =
          (await pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM es.seen')).rows[0]
            ?.n ?? 0;
        if (seen === 3) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await manager.stop();
      await eventBus.close();
      expect(seen).toBe(3);
      expect((await dlq.getFailedEvents({ projectionName: 'seen' })).length).toBe(1);
      expect(await checkpoints.getPosition('seen')).toEqual(expect.any(String));
    } finally {
      await pglite.close();
    }
  });
});
