/**
 * Conformance: hostile input — huge errors and payloads, unicode, `\u0000`, values JSON cannot
 * hold. The DLQ is the last line of defence: it stores what it can and never rejects a payload.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import { MAX_ERROR_MESSAGE_LENGTH, MAX_ERROR_STACKTRACE_LENGTH } from '../dlq-repository.js';
import { type KitContext, storableForms } from './conformance-context.js';

/** Registers the hostile-input tests. */
export function describeHostileInputs(ctx: () => KitContext, timeout: number): void {
  describe('hostile input', () => {
    it('truncates a huge message and stack with a visible marker, never rejects them', {
      timeout,
    }, async () => {
      const message = `start-${'m'.repeat(100_000)}`;
      const error = new Error(message);
      error.stack = `Error: ${message}\n${'    at frame (file.js:1:1)\n'.repeat(20_000)}`;
      const entry = await ctx().add({ error });
      expect(entry.errorMessage.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
      expect(entry.errorMessage.startsWith('start-mmmm')).toBe(true);
      expect(entry.errorMessage).toMatch(/truncated \d+ chars\]$/);
      expect(entry.errorStacktrace?.length).toBeLessThanOrEqual(MAX_ERROR_STACKTRACE_LENGTH);
      expect(entry.errorStacktrace).toMatch(/truncated \d+ chars\]$/);
      const text = await ctx().add({ error: 'x'.repeat(MAX_ERROR_MESSAGE_LENGTH * 3) });
      expect(text.errorMessage.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
    });

    it('keeps a message of exactly the limit unchanged', { timeout }, async () => {
      const message = 'e'.repeat(MAX_ERROR_MESSAGE_LENGTH);
      expect((await ctx().add({ error: message })).errorMessage).toBe(message);
    });

    it('stores a large payload whole', { timeout }, async () => {
      const wide: Record<string, number> = {};
      for (let i = 0; i < 5_000; i++) wide[`key-${i}`] = i;
      const eventData = {
        blob: 'b'.repeat(1_000_000),
        wide,
        list: Array.from({ length: 10_000 }, (_, i) => i),
      };
      const entry = await ctx().add({ eventData });
      expect(entry.eventData).toEqual(eventData);
    });

    it('keeps unicode exactly', { timeout }, async () => {
      const text = 'naïve café — 日本語 — עברית — 👩‍👩‍👧‍👦 — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 — e\u0301';
      const entry = await ctx().add({
        eventType: 'Événement📦',
        eventData: { text, [text]: 'as a key', nested: [{ text }] },
        error: new Error(text),
        streamId: 'flux-ü-📦',
        streamPosition: 1,
      });
      expect(entry.eventData).toEqual({ text, [text]: 'as a key', nested: [{ text }] });
      expect(entry.errorMessage).toBe(text);
      expect(entry.eventType).toBe('Événement📦');
      expect(entry.streamId).toBe('flux-ü-📦');
      expect(await ctx().repo.getBlockedStreams(entry.projectionName)).toEqual(['flux-ü-📦']);
    });

    it('accepts \\u0000 and lone surrogates: kept, or replaced by U+FFFD where the store cannot hold them', {
      timeout,
    }, async () => {
      const nul = 'before\u0000after';
      const lone = 'half \uD83D pair';
      const entry = await ctx().add({
        eventData: { nul, lone, 'key\u0000': 1 },
        error: new Error(nul),
      });
      const data = entry.eventData as Record<string, unknown>;
      expect(storableForms(nul)).toContain(data.nul);
      expect(storableForms(lone)).toContain(data.lone);
      const keys = Object.keys(data).filter((k) => k.startsWith('key'));
      expect(keys).toHaveLength(1);
      expect(storableForms('key\u0000')).toContain(keys[0]);
      expect(storableForms(nul)).toContain(entry.errorMessage);
    });

    it('stores values JSON cannot hold as marked strings instead of throwing', {
      timeout,
    }, async () => {
      const cyclic: Record<string, unknown> = { name: 'loop' };
      cyclic.self = cyclic;
      const entry = await ctx().add({
        eventData: {
          ok: 1,
          big: 12345678901234567890n,
          cyclic,
          at: new Date('2025-01-02T03:04:05.000Z'),
          nan: Number.NaN,
          gone: undefined,
          fn: () => 1,
        },
      });
      const data = entry.eventData as Record<string, unknown>;
      expect(() => JSON.stringify(data)).not.toThrow();
      expect(data.ok).toBe(1);
      expect(typeof data.big).toBe('string');
      expect(data.big).toContain('12345678901234567890');
      expect((data.cyclic as Record<string, unknown>).name).toBe('loop');
      expect(typeof (data.cyclic as Record<string, unknown>).self).toBe('string');
      expect(data.at).toBe('2025-01-02T03:04:05.000Z');
      expect(data.nan).toBeNull();
      expect('gone' in data).toBe(false);
      expect('fn' in data).toBe(false);
    });

    it('survives absurd nesting and throwing getters', { timeout }, async () => {
      let deep: Record<string, unknown> = { leaf: true };
      for (let i = 0; i < 10_000; i++) deep = { deep };
      const trap = {
        fine: 'yes',
        get broken(): never {
          throw new Error('getter exploded');
        },
      };
      const nested = await ctx().add({ eventData: deep });
      expect(() => JSON.stringify(nested.eventData)).not.toThrow();
      const trapped = await ctx().add({ eventData: trap as unknown as Record<string, unknown> });
      expect((trapped.eventData as Record<string, unknown>).fine).toBe('yes');
      expect(typeof (trapped.eventData as Record<string, unknown>).broken).toBe('string');
    });
  });
}
