import { isDLQError } from '@es/dlq';
import { describe, expect, it } from 'vitest';
import { fakeDrizzle, postgresError } from '../test/support/fake-drizzle.js';
import { PostgresDLQError } from './errors.js';
import { PostgresDLQRepository } from './postgres-dlq-repository.js';

const NOW = Date.UTC(2025, 0, 1, 12);

function repoOn(handler: Parameters<typeof fakeDrizzle>[0]) {
  const { db, calls } = fakeDrizzle(handler);
  return { repo: new PostgresDLQRepository({ connection: db, clock: () => NOW }), calls };
}

function entryRow(id: string): unknown[] {
  return [
    id,
    'e1',
    'p',
    'T',
    { nested: { list: [1] } },
    'm',
    null,
    0,
    NOW,
    NOW,
    'failed',
    null,
    null,
    's',
    1,
    'string',
    null,
    'c',
    NOW + 30_000,
  ];
}

describe('PostgresDLQRepository (statements and mapping)', () => {
  it('stores what PostgreSQL can hold: NUL and lone surrogates become U+FFFD', async () => {
    const { repo, calls } = repoOn(() => [['7']]);
    const id = await repo.addFailedEvent({
      eventId: 'e\u00001',
      projectionName: 'p',
      eventType: 'T',
      eventData: { 'k\u0000': 'v\ud800' },
      error: new Error('bad \u0000 byte'),
      position: 12,
      streamId: 's',
      streamPosition: 3,
    });
    expect(id).toBe('7');
    const params = calls[0]!.params;
    expect(params[0]).toBe('e\uFFFD1');
    expect(JSON.parse(params[3] as string)).toEqual({ 'k\uFFFD': 'v\uFFFD' });
    expect(params[4]).toBe('bad \uFFFD byte');
    expect(params.slice(6)).toEqual([0, NOW, 'failed', 's', 3, 'number', 12, null]);
  });

  it('answers unknown ids without a query when no entry can have them', async () => {
    const { repo, calls } = repoOn(() => []);
    expect(await repo.getFailedEventById('')).toBeNull();
    expect(await repo.getFailedEventById('abc')).toBeNull();
    expect(await repo.getFailedEventById('99999999999999999999')).toBeNull();
    expect(await repo.markRetrying('x')).toBe(false);
    expect(await repo.markResolved('x', 'me')).toBe(false);
    await expect(repo.markResolved('1', 5 as never)).rejects.toMatchObject({
      field: 'markResolved.resolvedBy',
    });
    await expect(repo.getFailedEventById(5 as never)).rejects.toMatchObject({
      code: 'ES_INVALID_CONFIG',
    });
    expect(calls).toHaveLength(0);
  });

  it('lists in stream order with validated statuses inlined and a keyset cursor', async () => {
    const { repo, calls } = repoOn(() => []);
    await repo.listEntries({
      projectionName: 'p',
      statuses: ['failed', 'parked'],
      after: {
        id: '5',
        streamId: 's',
        streamPosition: null,
        firstFailedAt: new Date(NOW),
      } as never,
      limit: 10,
    });
    const { text, params } = calls[0]!;
    expect(text).toContain("status IN ('failed', 'parked')");
    expect(text).toContain(
      'ORDER BY stream_id COLLATE "C" NULLS LAST, stream_position NULLS LAST, first_failed_at, id',
    );
    expect(params).toEqual(['p', false, 's', true, 0, NOW, '5', 10]);
    expect(await repo.listEntries({ ids: ['not-a-number'] })).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('hands out frozen copies', async () => {
    const { repo } = repoOn(() => [entryRow('1')]);
    const entry = (await repo.getFailedEventById('1'))!;
    expect(entry).toMatchObject({
      id: '1',
      streamId: 's',
      streamPosition: 1,
      position: 'c',
      resolvedAt: null,
      claimedUntil: new Date(NOW + 30_000),
    });
    expect(Object.isFrozen(entry)).toBe(true);
    expect(Object.isFrozen((entry.eventData.nested as { list: unknown[] }).list)).toBe(true);
  });

  it('wraps driver errors as a DLQError with the SQLSTATE', async () => {
    const { repo } = repoOn(() => {
      throw postgresError('53300');
    });
    const error = await repo.getFailureStats().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresDLQError);
    expect(isDLQError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ES_DLQ_POSTGRES',
      sqlState: '53300',
      operation: 'getFailureStats',
    });
  });

  it('claims in one conditional statement with the lease end from its clock', async () => {
    const { repo, calls } = repoOn(() => [[1]]);
    expect(await repo.markRetrying('4', { leaseMs: 200 })).toBe(true);
    expect(await repo.markRetrying('4')).toBe(true);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.text).toMatch(/^UPDATE .* SET status = 'retrying'/);
    expect(calls[0]!.text).toContain("status = 'retrying' AND claimed_until <=");
    expect(calls[0]!.params).toEqual(['4', NOW, NOW + 200]);
    expect(calls[1]!.params).toEqual(['4', NOW, null]);
    await expect(repo.markRetrying('4', { leaseMs: 0 })).rejects.toMatchObject({
      code: 'ES_INVALID_CONFIG',
      field: 'markRetrying.leaseMs',
    });
  });

  it('validates its overflow limits; without limits an add is one statement', async () => {
    const { db, calls } = fakeDrizzle(() => [['1']]);
    for (const bad of [0, 1.5, -2]) {
      expect(
        () => new PostgresDLQRepository({ connection: db, maxEntriesPerProjection: bad }),
      ).toThrow(
        expect.objectContaining({ field: 'PostgresDLQRepository.maxEntriesPerProjection' }),
      );
      expect(() => new PostgresDLQRepository({ connection: db, maxEntriesPerStream: bad })).toThrow(
        expect.objectContaining({ field: 'PostgresDLQRepository.maxEntriesPerStream' }),
      );
    }
    const repo = new PostgresDLQRepository({ connection: db });
    await repo.addFailedEvent({
      eventId: 'e',
      projectionName: 'p',
      eventType: 'T',
      eventData: {},
      error: 'x',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.text).toMatch(/^INSERT INTO/);
  });
});
