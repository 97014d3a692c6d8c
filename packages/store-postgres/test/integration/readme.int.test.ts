/**
 * The README's quick start, as written (only the connection and the schema differ: the run's
 * throwaway database and a schema of its own).
 */
import { PGlite } from '@electric-sql/pglite';
import { defineEvent, EventRegistry, ExpectedVersion } from '@es/core';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/migrate.js';
import { PostgresEventStore } from '../../src/postgres-event-store.js';
import { databaseUrl, uniqueSchema } from '../support/test-database.js';

const registry = new EventRegistry();
const TaskCreated = defineEvent<'TaskCreated', { title: string }>('TaskCreated', {
  aggregateType: 'Task',
  registry,
});

describe('README quick start', () => {
  it('runs on a server', async () => {
    const schema = uniqueSchema('readme');
    const sql = postgres(databaseUrl());
    const lines: string[] = [];
    try {
      await migrate(sql, { schema });
      const store = new PostgresEventStore({ connection: sql, schema, registry });
      const taskId = crypto.randomUUID();
      await store.appendEvents(
        taskId,
        'Task',
        [TaskCreated.create({ aggregateId: taskId, title: 'Write the README' })],
        ExpectedVersion.NO_STREAM,
      );
      for await (const stored of store.readAll()) {
        lines.push(`${stored.position} ${stored.event.eventType}`);
      }
    } finally {
      await sql.end();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{20}-\d{20} TaskCreated$/);
  });

  it('runs embedded on PGlite', async () => {
    const pglite = new PGlite();
    try {
      await migrate(pglite);
      const store = new PostgresEventStore({ connection: pglite, registry });
      const taskId = crypto.randomUUID();
      await store.appendEvents(
        taskId,
        'Task',
        [TaskCreated.create({ aggregateId: taskId, title: 'Write the README' })],
        ExpectedVersion.NO_STREAM,
      );
      const events = [];
      for await (const stored of store.readAll()) events.push(stored.event);
      expect(events).toMatchObject([{ eventType: 'TaskCreated', title: 'Write the README' }]);
      expect(await store.getHorizonStatus()).toMatchObject({ heldBackEvents: 0, stalled: false });
    } finally {
      await pglite.close();
    }
  });
});
