/**
 * Conformance: `addFailedEvent` (creation, upsert, statuses, concurrency, validation) and
 * `getFailedEventById`.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { DLQStatus } from '../dlq-repository.js';
import { expectCode, type KitContext, PROJECTION } from './conformance-context.js';

/** Registers the `addFailedEvent` / `getFailedEventById` tests. */
export function describeAddFailedEvent(ctx: () => KitContext, timeout: number): void {
  describe('addFailedEvent', () => {
    it('creates a failed entry with every field', { timeout }, async () => {
      const { repo, input } = ctx();
      const given = input({
        eventType: 'TaskCompleted',
        eventData: { title: 'x', nested: { n: 1, list: [1, 'a', null, true] } },
        error: new TypeError('boom'),
        retryCount: 3,
        streamId: 'stream-1',
        streamPosition: 4,
        position: 17,
      });
      const id = await repo.addFailedEvent(given);
      expect(typeof id).toBe('string');
      expect(id).not.toBe('');
      const entry = await ctx().get(id);
      expect(entry).toMatchObject({
        id,
        eventId: given.eventId,
        projectionName: PROJECTION,
        eventType: 'TaskCompleted',
        eventData: { title: 'x', nested: { n: 1, list: [1, 'a', null, true] } },
        errorMessage: 'boom',
        retryCount: 3,
        status: 'failed',
        resolvedAt: null,
        resolvedBy: null,
        streamId: 'stream-1',
        streamPosition: 4,
        position: 17,
      });
      expect(entry.errorStacktrace).toContain('TypeError: boom');
      expect(entry.firstFailedAt).toBeInstanceOf(Date);
      expect(entry.lastFailedAt).toBeInstanceOf(Date);
      expect(Number.isNaN(entry.firstFailedAt.getTime())).toBe(false);
      expect(entry.lastFailedAt.getTime()).toBe(entry.firstFailedAt.getTime());
    });

    it('defaults retryCount to 0 and the stream fields to null', { timeout }, async () => {
      const entry = await ctx().add();
      expect(entry.retryCount).toBe(0);
      expect(entry.streamId).toBeNull();
      expect(entry.streamPosition).toBeNull();
      expect(entry.position).toBeNull();
      expect(entry.status).toBe('failed');
    });

    it('keeps a string position as a string', { timeout }, async () => {
      const entry = await ctx().add({ position: '0000000123:0000000456' });
      expect(entry.position).toBe('0000000123:0000000456');
    });

    it('keys entries on (eventId, projectionName)', { timeout }, async () => {
      const { repo, input } = ctx();
      const first = input();
      const a = await repo.addFailedEvent(first);
      const b = await repo.addFailedEvent({ ...first, projectionName: 'other-projection' });
      const c = await repo.addFailedEvent(input());
      expect(new Set([a, b, c]).size).toBe(3);
      expect((await ctx().get(b)).projectionName).toBe('other-projection');
    });

    it('upserts an existing key: keeps id, firstFailedAt, eventType and eventData; updates the rest', {
      timeout,
    }, async () => {
      const { repo, input, tick } = ctx();
      const first = input({ eventData: { v: 1 }, error: new Error('first'), retryCount: 1 });
      const id = await repo.addFailedEvent(first);
      const before = await ctx().get(id);
      await tick();
      const again = await repo.addFailedEvent({
        ...first,
        eventType: 'SomethingElse',
        eventData: { v: 2 },
        error: new Error('second'),
        retryCount: 5,
      });
      expect(again).toBe(id);
      const after = await ctx().get(id);
      expect(after.firstFailedAt.getTime()).toBe(before.firstFailedAt.getTime());
      expect(after.lastFailedAt.getTime()).toBeGreaterThan(before.lastFailedAt.getTime());
      expect(after.retryCount).toBe(5);
      expect(after.errorMessage).toBe('second');
      expect(after.errorStacktrace).toContain('second');
      expect(after.errorStacktrace).not.toContain('first');
      expect(after.eventType).toBe(before.eventType);
      expect(after.eventData).toEqual({ v: 1 });
      expect(after.status).toBe('failed');
    });

    it('overwrites retryCount (it is not incremented, and it may go down)', {
      timeout,
    }, async () => {
      const { repo, input } = ctx();
      const given = input({ retryCount: 5 });
      const id = await repo.addFailedEvent(given);
      await repo.addFailedEvent({ ...given, retryCount: 2 });
      expect((await ctx().get(id)).retryCount).toBe(2);
    });

    it('sets a retrying entry back to failed', { timeout }, async () => {
      const { repo, input } = ctx();
      const given = input();
      const id = await repo.addFailedEvent(given);
      expect(await repo.markRetrying(id)).toBe(true);
      await repo.addFailedEvent({ ...given, error: new Error('again') });
      expect((await ctx().get(id)).status).toBe('failed');
    });

    for (const settle of ['resolved', 'discarded'] as const) {
      it(`reopens a ${settle} entry as failed and clears resolvedAt/resolvedBy`, {
        timeout,
      }, async () => {
        const { repo, input } = ctx();
        const given = input();
        const id = await repo.addFailedEvent(given);
        const before = await ctx().get(id);
        const settled =
          settle === 'resolved'
            ? await repo.markResolved(id, 'alice')
            : await repo.markDiscarded(id, 'alice');
        expect(settled).toBe(true);
        expect(
          await repo.addFailedEvent({ ...given, error: new Error('again'), retryCount: 1 }),
        ).toBe(id);
        const after = await ctx().get(id);
        expect(after).toMatchObject({
          status: 'failed',
          resolvedAt: null,
          resolvedBy: null,
          retryCount: 1,
        });
        expect(after.firstFailedAt.getTime()).toBe(before.firstFailedAt.getTime());
        expect(
          (await repo.getFailedEvents({ projectionName: PROJECTION })).map((e) => e.id),
        ).toEqual([id]);
      });
    }

    const parkRules: readonly [string, DLQStatus | null, 'failed' | 'parked', DLQStatus][] = [
      ['a new key', null, 'parked', 'parked'],
      ['a failed entry', 'failed', 'parked', 'failed'],
      ['a parked entry', 'parked', 'parked', 'parked'],
      ['a parked entry', 'parked', 'failed', 'failed'],
      ['a retrying entry', 'retrying', 'parked', 'retrying'],
      ['a resolved entry', 'resolved', 'parked', 'parked'],
      ['a discarded entry', 'discarded', 'parked', 'parked'],
    ];
    for (const [what, initial, requested, expected] of parkRules) {
      it(`status '${requested}' on ${what}${initial === null ? '' : ` (${initial})`} gives '${expected}'`, {
        timeout,
      }, async () => {
        const { repo, input } = ctx();
        const given = input({ streamId: 'stream-p', streamPosition: 2 });
        let id: string | undefined;
        if (initial !== null) {
          id = await repo.addFailedEvent({
            ...given,
            status: initial === 'parked' ? 'parked' : 'failed',
          });
          if (initial === 'retrying') expect(await repo.markRetrying(id)).toBe(true);
          if (initial === 'resolved') expect(await repo.markResolved(id, 'bob')).toBe(true);
          if (initial === 'discarded') expect(await repo.markDiscarded(id, 'bob')).toBe(true);
        }
        const again = await repo.addFailedEvent({
          ...given,
          status: requested,
          error: 'parked behind 1',
        });
        if (id !== undefined) expect(again).toBe(id);
        const entry = await ctx().get(again);
        expect(entry.status).toBe(expected);
        expect(entry.resolvedAt).toBeNull();
        expect(entry.resolvedBy).toBeNull();
        expect(entry.errorMessage).toBe('parked behind 1');
      });
    }

    it('leaves exactly one entry when 20 adds of one key run concurrently', {
      timeout,
    }, async () => {
      const { repo, input } = ctx();
      const given = input({ streamId: 'stream-c', streamPosition: 1 });
      const ids = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          repo.addFailedEvent({ ...given, retryCount: i, error: new Error(`attempt ${i}`) }),
        ),
      );
      expect(new Set(ids).size).toBe(1);
      const listed = await repo.listEntries({ projectionName: PROJECTION });
      expect(listed.map((e) => e.id)).toEqual([ids[0]]);
      expect(await repo.getFailedEvents({ projectionName: PROJECTION })).toHaveLength(1);
      const entry = await ctx().get(ids[0] as string);
      expect(entry.retryCount).toBeGreaterThanOrEqual(0);
      expect(entry.retryCount).toBeLessThan(20);
      expect(entry.errorMessage).toBe(`attempt ${entry.retryCount}`);
      expect(await repo.getProjectionDepth(PROJECTION)).toMatchObject({ depth: 1 });
    });

    it('gives 20 concurrent adds of different keys 20 different ids', { timeout }, async () => {
      const { repo, input } = ctx();
      const ids = await Promise.all(Array.from({ length: 20 }, () => repo.addFailedEvent(input())));
      expect(new Set(ids).size).toBe(20);
      expect(await repo.getFailedEvents({ projectionName: PROJECTION })).toHaveLength(20);
    });

    it('rejects a bad key or bookkeeping field with ES_INVALID_CONFIG', { timeout }, async () => {
      const { repo, input } = ctx();
      await expectCode(repo.addFailedEvent(input({ eventId: '' })), 'ES_INVALID_CONFIG');
      await expectCode(repo.addFailedEvent(input({ projectionName: '' })), 'ES_INVALID_CONFIG');
      await expectCode(repo.addFailedEvent(input({ retryCount: -1 })), 'ES_INVALID_CONFIG');
      await expectCode(repo.addFailedEvent(input({ retryCount: 1.5 })), 'ES_INVALID_CONFIG');
      await expectCode(
        repo.addFailedEvent(input({ status: 'resolved' as unknown as 'failed' })),
        'ES_INVALID_CONFIG',
      );
      await expectCode(repo.addFailedEvent(input({ streamPosition: -3 })), 'ES_INVALID_CONFIG');
      expect(await repo.getFailedEvents()).toEqual([]);
    });
  });

  describe('addFailedEvent error forms', () => {
    it('keeps an Error\'s message, and "Name: message" and the cause chain in the stack', {
      timeout,
    }, async () => {
      class LedgerError extends Error {
        override readonly name = 'LedgerError';
      }
      const root = new RangeError('root cause');
      const entry = await ctx().add({ error: new LedgerError('outer', { cause: root }) });
      expect(entry.errorMessage).toBe('outer');
      expect(entry.errorStacktrace).toContain('LedgerError: outer');
      expect(entry.errorStacktrace).toContain('RangeError: root cause');
    });

    it('stores a thrown string as the message, with no stack', { timeout }, async () => {
      const entry = await ctx().add({ error: 'plain text failure' });
      expect(entry.errorMessage).toBe('plain text failure');
      expect(entry.errorStacktrace).toBeNull();
    });

    it('stores any other thrown value as text, even one whose toString throws', {
      timeout,
    }, async () => {
      expect((await ctx().add({ error: 42 })).errorMessage).toBe('42');
      expect((await ctx().add({ error: null })).errorMessage).toBe('null');
      expect((await ctx().add({ error: undefined })).errorMessage).toBe('undefined');
      const hostile = {
        toString() {
          throw new Error('no');
        },
      };
      const entry = await ctx().add({ error: hostile });
      expect(typeof entry.errorMessage).toBe('string');
      expect(entry.errorStacktrace).toBeNull();
    });
  });

  describe('getFailedEventById', () => {
    it('returns null for an unknown id, numeric or not', { timeout }, async () => {
      const { repo } = ctx();
      await ctx().add();
      expect(await repo.getFailedEventById('999999999')).toBeNull();
      expect(await repo.getFailedEventById('no-such-id')).toBeNull();
      expect(await repo.getFailedEventById('')).toBeNull();
    });
  });
}
