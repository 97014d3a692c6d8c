/**
 * Conformance: the status transitions of `markRetrying`, `markResolved` and `markDiscarded`.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { DLQEntry, DLQRepository, DLQStatus } from '../dlq-repository.js';
import type { KitContext } from './conformance-context.js';
import { seedEveryStatus } from './conformance-queries.js';

type Mark = 'markRetrying' | 'markResolved' | 'markDiscarded';

function mark(repo: DLQRepository, method: Mark, id: string): Promise<boolean> {
  if (method === 'markRetrying') return repo.markRetrying(id);
  if (method === 'markResolved') return repo.markResolved(id, 'dave');
  return repo.markDiscarded(id, 'dave');
}

/** Which transitions succeed (true) from each status. */
const TRANSITIONS: Record<Mark, Record<DLQStatus, DLQStatus | null>> = {
  markRetrying: {
    failed: 'retrying',
    parked: 'retrying',
    retrying: null,
    resolved: null,
    discarded: null,
  },
  markResolved: {
    failed: 'resolved',
    parked: 'resolved',
    retrying: 'resolved',
    resolved: null,
    discarded: null,
  },
  markDiscarded: {
    failed: 'discarded',
    parked: 'discarded',
    retrying: 'discarded',
    resolved: null,
    discarded: null,
  },
};

/** Registers the status-transition tests. */
export function describeLifecycle(ctx: () => KitContext, timeout: number): void {
  describe('status transitions', () => {
    for (const method of Object.keys(TRANSITIONS) as Mark[]) {
      for (const [from, to] of Object.entries(TRANSITIONS[method]) as [
        DLQStatus,
        DLQStatus | null,
      ][]) {
        const verdict = to === null ? 'refuses (false, unchanged)' : `→ ${to}`;
        it(`${method} from ${from} ${verdict}`, { timeout }, async () => {
          const seeded = await seedEveryStatus(ctx());
          const before = seeded[from];
          const changed = await mark(ctx().repo, method, before.id);
          const after = await ctx().get(before.id);
          if (to === null) {
            expect(changed).toBe(false);
            expect(after).toEqual(before);
            return;
          }
          expect(changed).toBe(true);
          expect(after.status).toBe(to);
          expectUntouched(after, before);
          if (to === 'resolved' || to === 'discarded') {
            expect(after.resolvedBy).toBe('dave');
            expect(after.resolvedAt).toBeInstanceOf(Date);
            expect((after.resolvedAt as Date).getTime()).toBeGreaterThanOrEqual(
              before.firstFailedAt.getTime(),
            );
          } else {
            expect(after.resolvedAt).toBeNull();
            expect(after.resolvedBy).toBeNull();
          }
        });
      }
      it(`${method} returns false for an unknown id`, { timeout }, async () => {
        await ctx().add();
        expect(await mark(ctx().repo, method, '999999999')).toBe(false);
        expect(await mark(ctx().repo, method, 'no-such-id')).toBe(false);
      });
    }

    it('keeps resolved terminal: a second markResolved keeps the first resolver', {
      timeout,
    }, async () => {
      const { repo } = ctx();
      const entry = await ctx().add();
      expect(await repo.markResolved(entry.id, 'first')).toBe(true);
      const resolved = await ctx().get(entry.id);
      expect(await repo.markResolved(entry.id, 'second')).toBe(false);
      expect(await repo.markRetrying(entry.id)).toBe(false);
      expect(await ctx().get(entry.id)).toEqual(resolved);
      expect(resolved.resolvedBy).toBe('first');
    });

    it('moves entries out of the default query as they leave failed', { timeout }, async () => {
      const { repo } = ctx();
      const a = await ctx().add();
      const b = await ctx().add();
      expect(await repo.markRetrying(a.id)).toBe(true);
      expect((await repo.getFailedEvents()).map((e) => e.id)).toEqual([b.id]);
      expect((await repo.getFailedEvents({ status: 'retrying' })).map((e) => e.id)).toEqual([a.id]);
      expect(await repo.markResolved(a.id, 'erin')).toBe(true);
      expect(await repo.getFailedEvents({ status: 'retrying' })).toEqual([]);
      expect((await repo.getFailedEvents({ status: 'resolved' })).map((e) => e.id)).toEqual([a.id]);
    });

    it('stamps resolvedAt with the repository clock (controlled clock only)', {
      timeout,
    }, async (test) => {
      const { clock, repo } = ctx();
      if (clock === undefined) return test.skip();
      const a = await ctx().add();
      const b = await ctx().add();
      clock.advance(5_000);
      expect(await repo.markResolved(a.id, 'frank')).toBe(true);
      clock.advance(2_000);
      expect(await repo.markDiscarded(b.id, 'frank')).toBe(true);
      const start = a.firstFailedAt.getTime();
      expect((await ctx().get(a.id)).resolvedAt?.getTime()).toBe(start + 5_000);
      expect((await ctx().get(b.id)).resolvedAt?.getTime()).toBe(start + 7_000);
    });
  });
}

function expectUntouched(after: DLQEntry, before: DLQEntry): void {
  expect(after.id).toBe(before.id);
  expect(after.eventId).toBe(before.eventId);
  expect(after.retryCount).toBe(before.retryCount);
  expect(after.errorMessage).toBe(before.errorMessage);
  expect(after.firstFailedAt.getTime()).toBe(before.firstFailedAt.getTime());
  expect(after.lastFailedAt.getTime()).toBe(before.lastFailedAt.getTime());
  expect(after.eventData).toEqual(before.eventData);
}
