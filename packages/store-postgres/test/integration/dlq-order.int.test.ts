/**
 * Entry ids are bigints: orders that fall back to the id compare them as numbers, not as text
 * ('10' after '9'), in getFailedEvents (ties newest id first) and listEntries (ties by id).
 */
import { createManualClock } from '@es/dlq/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDLQRepository } from '../../src/postgres-dlq-repository.js';
import { connect, freshSchema } from '../support/test-database.js';

const sql = connect();
let repo: PostgresDLQRepository;

beforeAll(async () => {
  const schema = await freshSchema(sql, 'dlqord');
  repo = new PostgresDLQRepository({ connection: sql, schema, clock: createManualClock().now });
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
});

describe('PostgresDLQRepository id order', () => {
  it('compares ids numerically when timestamps tie', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(
        await repo.addFailedEvent({
          eventId: `e-${i}`,
          projectionName: 'p',
          eventType: 'T',
          eventData: {},
          error: 'x',
          streamId: 's',
          streamPosition: 1,
        }),
      );
    }
    expect(ids.map(Number)).toEqual([...ids.map(Number)].sort((a, b) => a - b));
    expect((await repo.getFailedEvents({ projectionName: 'p' })).map((e) => e.id)).toEqual(
      [...ids].reverse(),
    );
    const listed = await repo.listEntries({ projectionName: 'p' });
    expect(listed.map((e) => e.id)).toEqual(ids);
    const page = await repo.listEntries({ projectionName: 'p', after: listed[8], limit: 2 });
    expect(page.map((e) => e.id)).toEqual(ids.slice(9, 11));
  });
});
