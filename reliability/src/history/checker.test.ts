import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory, describeResult } from './checker.js';
import { type AppendRecord, type FateRecord, History, type StoredRecord } from './history.js';

/** A clean history: `streams` × `perStream` events, all ok, applied in store order by `subs`. */
function cleanHistory(streams: number, perStream: number, subs: readonly string[] = ['p']) {
  const appends: AppendRecord[] = [];
  const stored: StoredRecord[] = [];
  let op = 0;
  for (let v = 1; v <= perStream; v++) {
    for (let s = 0; s < streams; s++) {
      const eventId = `e-${s}-${v}`;
      appends.push({ op: ++op, streamId: `s${s}`, eventIds: [eventId], outcome: 'ok' });
      stored.push({ eventId, streamId: `s${s}`, version: v });
    }
  }
  const fates: FateRecord[] = [];
  for (const subscriber of subs) {
    stored.forEach((row, i) => {
      fates.push({ subscriber, eventId: row.eventId, fate: 'applied', seq: i + 1 });
    });
  }
  return { appends, stored, fates };
}

function kinds(result: ReturnType<typeof checkHistory>): string[] {
  return [...new Set(result.anomalies.map((a) => a.kind))].sort();
}

describe('checkHistory', () => {
  it('accepts a clean history and counts it', () => {
    const h = cleanHistory(3, 4, ['a', 'b']);
    const result = checkHistory(h);
    expect(result.anomalies).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.counts).toMatchObject({
      events: 12,
      applied: 24,
      lost: 0,
      silentlySkipped: 0,
      duplicated: 0,
    });
    expect(describeResult(result)).toMatch(/^valid: 12 events/);
  });

  it('detects a lost event (no fate)', () => {
    const h = cleanHistory(2, 3);
    const fates = h.fates.filter((f) => f.eventId !== 'e-1-2');
    const result = checkHistory({ ...h, fates });
    expect(kinds(result)).toEqual(['lost']);
    expect(result.counts.silentlySkipped).toBe(1);
    expect(result.counts.lost).toBe(0);
    expect(result.anomalies[0]).toMatchObject({ eventId: 'e-1-2', subscriber: 'p' });
  });

  it('detects a lost event without the store (acknowledged, no fate)', () => {
    const h = cleanHistory(1, 3);
    const result = checkHistory({ appends: h.appends, fates: h.fates.slice(1) });
    expect(kinds(result)).toEqual(['lost']);
  });

  it('detects a lost write (acknowledged, not stored)', () => {
    const h = cleanHistory(1, 3);
    const stored = h.stored.filter((r) => r.eventId !== 'e-0-3');
    const fates = h.fates.filter((f) => f.eventId !== 'e-0-3');
    const result = checkHistory({ ...h, stored, fates });
    expect(kinds(result)).toEqual(['lost-write']);
    expect(result.counts.lost).toBe(1);
  });

  it('detects a duplicated event (two fates, or applied and dead-lettered)', () => {
    const h = cleanHistory(2, 2);
    const twice = checkHistory({
      ...h,
      fates: [...h.fates, { subscriber: 'p', eventId: 'e-0-1', fate: 'applied', seq: 99 }],
    });
    expect(kinds(twice)).toContain('duplicate');
    expect(twice.counts.duplicated).toBe(1);
    const both = checkHistory({
      ...h,
      fates: [...h.fates, { subscriber: 'p', eventId: 'e-1-2', fate: 'dead-lettered' }],
    });
    expect(kinds(both)).toEqual(['duplicate']);
  });

  it('detects a reordered event (against the store order and per stream)', () => {
    const h = cleanHistory(1, 3);
    const fates = h.fates.map((f) =>
      f.eventId === 'e-0-1' ? { ...f, seq: 10 } : f.eventId === 'e-0-3' ? { ...f, seq: 1 } : f,
    );
    const result = checkHistory({ ...h, fates });
    expect(kinds(result)).toEqual(['reordered', 'stream-reordered']);
    expect(result.counts.reordered).toBeGreaterThan(0);
    // Without the store, the per-stream check still sees it.
    const withoutStore = checkHistory({
      appends: h.appends,
      fates: fates.map((f, i) => ({ ...f, version: [1, 2, 3][i] as number })),
    });
    expect(kinds(withoutStore)).toEqual(['stream-reordered']);
  });

  it('detects phantom events (never appended) in the store and at a subscriber', () => {
    const h = cleanHistory(1, 2);
    const read = checkHistory({
      ...h,
      fates: [...h.fates, { subscriber: 'p', eventId: 'ghost', fate: 'applied', seq: 3 }],
    });
    expect(kinds(read)).toEqual(['phantom-read']);
    const write = checkHistory({
      ...h,
      stored: [...h.stored, { eventId: 'ghost', streamId: 's9', version: 1 }],
      fates: [...h.fates, { subscriber: 'p', eventId: 'ghost', fate: 'applied', seq: 3 }],
    });
    expect(kinds(write)).toEqual(['phantom-write']);
    expect(write.counts.phantom).toBe(1);
    // Fixtures may be allowed: then they must be delivered like any event.
    const allowed = checkHistory({
      ...h,
      allowForeignEvents: true,
      stored: [...h.stored, { eventId: 'fixture', streamId: 's9', version: 1 }],
    });
    expect(kinds(allowed)).toEqual(['lost']);
  });

  it('detects an aborted read (fate for a failed append) and an aborted write made visible', () => {
    const h = cleanHistory(1, 2);
    const appends: AppendRecord[] = [
      ...h.appends,
      { op: 3, streamId: 's0', eventIds: ['bad'], outcome: 'fail', error: 'conflict' },
    ];
    const read = checkHistory({
      appends,
      stored: h.stored,
      fates: [...h.fates, { subscriber: 'p', eventId: 'bad', fate: 'applied', seq: 3 }],
    });
    expect(kinds(read)).toEqual(['aborted-read']);
    const visible = checkHistory({
      appends,
      stored: [...h.stored, { eventId: 'bad', streamId: 's0', version: 3 }],
      fates: h.fates,
    });
    expect(kinds(visible)).toEqual(['aborted-write-visible']);
  });

  it('resolves unknown outcomes with the store: committed → exactly once, absent → never', () => {
    const appends: AppendRecord[] = [
      { op: 1, streamId: 's', eventIds: ['a'], outcome: 'ok' },
      { op: 2, streamId: 's', eventIds: ['u1'], outcome: 'unknown' },
      { op: 3, streamId: 't', eventIds: ['u2'], outcome: 'pending' },
    ];
    const stored: StoredRecord[] = [
      { eventId: 'a', streamId: 's', version: 1 },
      { eventId: 'u1', streamId: 's', version: 2 },
    ];
    const good = checkHistory({
      appends,
      stored,
      fates: [
        { subscriber: 'p', eventId: 'a', fate: 'applied', seq: 1 },
        { subscriber: 'p', eventId: 'u1', fate: 'applied', seq: 2 },
      ],
    });
    expect(good.anomalies).toEqual([]);
    expect(good.counts).toMatchObject({ unknownCommitted: 1, events: 2, appendsUnknown: 2 });
    const missed = checkHistory({
      appends,
      stored,
      fates: [{ subscriber: 'p', eventId: 'a', fate: 'applied', seq: 1 }],
    });
    expect(kinds(missed)).toEqual(['lost']);
    const absentApplied = checkHistory({
      appends,
      stored,
      fates: [
        { subscriber: 'p', eventId: 'a', fate: 'applied', seq: 1 },
        { subscriber: 'p', eventId: 'u1', fate: 'applied', seq: 2 },
        { subscriber: 'p', eventId: 'u2', fate: 'applied', seq: 3 },
      ],
    });
    expect(kinds(absentApplied)).toEqual(['aborted-read']);
    // Without the store: an unknown outcome may have at most one fate.
    const noStore = checkHistory({
      appends,
      fates: [
        { subscriber: 'p', eventId: 'a', fate: 'applied', seq: 1 },
        { subscriber: 'p', eventId: 'u2', fate: 'applied', seq: 2 },
        { subscriber: 'p', eventId: 'u2', fate: 'applied', seq: 3 },
      ],
    });
    expect(kinds(noStore)).toEqual(['duplicate']);
  });

  it('detects stream version gaps and duplicate stored ids', () => {
    const h = cleanHistory(1, 3);
    const gap = checkHistory({
      ...h,
      stored: h.stored.map((r) => (r.version === 3 ? { ...r, version: 4 } : r)),
    });
    expect(kinds(gap)).toEqual(['stream-version-gap']);
    const twice = checkHistory({ ...h, stored: [...h.stored, h.stored[0] as StoredRecord] });
    expect(kinds(twice)).toEqual(['duplicate-write']);
  });

  it('accepts dead-lettered, parked and skipped fates as the one fate, and redrives of them', () => {
    const h = cleanHistory(1, 3);
    const fates: FateRecord[] = [
      { subscriber: 'p', eventId: 'e-0-1', fate: 'applied', seq: 1 },
      { subscriber: 'p', eventId: 'e-0-2', fate: 'dead-lettered' },
      { subscriber: 'p', eventId: 'e-0-3', fate: 'parked' },
      { subscriber: 'p', eventId: 'e-0-2', fate: 'applied', redrive: true, seq: 2 },
      { subscriber: 'p', eventId: 'e-0-3', fate: 'applied', redrive: true, seq: 3 },
    ];
    const result = checkHistory({
      ...h,
      fates,
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    expect(result.anomalies).toEqual([]);
    expect(result.counts).toMatchObject({ applied: 1, deadLettered: 1, parked: 1, redriven: 2 });
  });

  it('detects a redrive of an event that was not dead-lettered, a double redrive and redrives out of order', () => {
    const h = cleanHistory(1, 3);
    const base: FateRecord[] = [
      { subscriber: 'p', eventId: 'e-0-1', fate: 'applied', seq: 1 },
      { subscriber: 'p', eventId: 'e-0-2', fate: 'dead-lettered' },
      { subscriber: 'p', eventId: 'e-0-3', fate: 'parked' },
    ];
    const notDead = checkHistory({
      ...h,
      fates: [
        ...base,
        { subscriber: 'p', eventId: 'e-0-1', fate: 'applied', redrive: true, seq: 5 },
      ],
    });
    expect(kinds(notDead)).toEqual(['redrive-without-dead-letter']);
    const twice = checkHistory({
      ...h,
      fates: [
        ...base,
        { subscriber: 'p', eventId: 'e-0-2', fate: 'applied', redrive: true, seq: 5 },
        { subscriber: 'p', eventId: 'e-0-2', fate: 'applied', redrive: true, seq: 6 },
      ],
    });
    expect(kinds(twice)).toEqual(['duplicate']);
    const backwards = checkHistory({
      ...h,
      fates: [
        ...base,
        { subscriber: 'p', eventId: 'e-0-3', fate: 'applied', redrive: true, seq: 5 },
        { subscriber: 'p', eventId: 'e-0-2', fate: 'applied', redrive: true, seq: 6 },
      ],
    });
    expect(kinds(backwards)).toEqual(['stream-reordered']);
  });

  it('detects an event that overtook a dead-lettered one of its stream (per-stream parking)', () => {
    const h = cleanHistory(1, 3);
    const fates: FateRecord[] = [
      { subscriber: 'p', eventId: 'e-0-1', fate: 'applied', seq: 1 },
      { subscriber: 'p', eventId: 'e-0-2', fate: 'dead-lettered' },
      { subscriber: 'p', eventId: 'e-0-3', fate: 'applied', seq: 3 },
    ];
    const parking = checkHistory({
      ...h,
      fates,
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    expect(kinds(parking)).toEqual(['overtook-dead-letter']);
    // With dlqOrdering 'none' that is allowed.
    expect(checkHistory({ ...h, fates }).anomalies).toEqual([]);
    // Once the dead letter is redriven, later versions flow in the main order again…
    const redriven: FateRecord[] = [
      { subscriber: 'p', eventId: 'e-0-1', fate: 'applied', seq: 1 },
      { subscriber: 'p', eventId: 'e-0-2', fate: 'dead-lettered' },
      { subscriber: 'p', eventId: 'e-0-2', fate: 'applied', redrive: true, seq: 2 },
      { subscriber: 'p', eventId: 'e-0-3', fate: 'applied', seq: 3 },
    ];
    const spec = [{ name: 'p', perStreamParking: true }];
    expect(checkHistory({ ...h, fates: redriven, subscribers: spec }).anomalies).toEqual([]);
    // …but not before it was redriven.
    const early = redriven.map((f) => (f.redrive ? { ...f, seq: 4 } : f));
    expect(kinds(checkHistory({ ...h, fates: early, subscribers: spec }))).toEqual([
      'overtook-dead-letter',
    ]);
  });

  it('detects subscribers that disagree on the order', () => {
    const appends: AppendRecord[] = [
      { op: 1, streamId: 'x', eventIds: ['x1'], outcome: 'ok' },
      { op: 2, streamId: 'y', eventIds: ['y1'], outcome: 'ok' },
    ];
    const result = checkHistory({
      appends,
      fates: [
        { subscriber: 'a', eventId: 'x1', fate: 'applied', seq: 1 },
        { subscriber: 'a', eventId: 'y1', fate: 'applied', seq: 2 },
        { subscriber: 'b', eventId: 'y1', fate: 'applied', seq: 1 },
        { subscriber: 'b', eventId: 'x1', fate: 'applied', seq: 2 },
      ],
    });
    expect(kinds(result)).toEqual(['divergent-order']);
  });

  it('honours expects (filtered or late subscribers) and explicit subscriber lists', () => {
    const h = cleanHistory(2, 2);
    const onlyS0 = h.fates.filter((f) => f.eventId.startsWith('e-0-'));
    const result = checkHistory({
      ...h,
      fates: onlyS0,
      subscribers: [{ name: 'p', expects: (e) => e.streamId === 's0' }],
    });
    expect(result.anomalies).toEqual([]);
    // A subscriber that recorded nothing at all is still checked when listed.
    const silent = checkHistory({ ...h, subscribers: ['p', 'q'] });
    expect(silent.counts.silentlySkipped).toBe(4);
  });

  it('treats a retried append (same ids twice) as one event with the strongest outcome', () => {
    const appends: AppendRecord[] = [
      { op: 1, streamId: 's', eventIds: ['a'], outcome: 'unknown' },
      { op: 2, streamId: 's', eventIds: ['a'], outcome: 'ok' },
    ];
    const result = checkHistory({
      appends,
      stored: [{ eventId: 'a', streamId: 's', version: 1 }],
      fates: [{ subscriber: 'p', eventId: 'a', fate: 'applied', seq: 1 }],
    });
    expect(result.anomalies).toEqual([]);
    expect(result.counts.events).toBe(1);
  });

  it('caps the anomaly list but keeps exact counts', () => {
    const h = cleanHistory(10, 10);
    const result = checkHistory({ ...h, fates: [], subscribers: ['p'], maxAnomalies: 5 });
    expect(result.anomalies).toHaveLength(5);
    expect(result.counts.silentlySkipped).toBe(100);
    expect(result.counts.anomalies).toBe(100);
    expect(describeResult(result)).toMatch(/^INVALID/);
  });

  it('finds every single injected fault in random clean histories (property)', () => {
    type Fault = 'drop' | 'duplicate' | 'swap' | 'phantom' | 'fail-applied' | 'lose-write';
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 2, max: 6 }),
        fc.constantFrom<Fault>(
          'drop',
          'duplicate',
          'swap',
          'phantom',
          'fail-applied',
          'lose-write',
        ),
        fc.nat(),
        (streams, perStream, fault, pick) => {
          const h = cleanHistory(streams, perStream);
          expect(checkHistory(h).valid).toBe(true);
          const fates = [...h.fates];
          let stored = [...h.stored];
          const appends = [...h.appends];
          const i = pick % fates.length;
          const target = fates[i] as FateRecord;
          switch (fault) {
            case 'drop':
              fates.splice(i, 1);
              break;
            case 'duplicate':
              fates.push({ ...target, seq: fates.length + 10 });
              break;
            case 'swap': {
              // Swap with an event of the same stream, so both checks must see it.
              const same = fates.findIndex(
                (f, j) => j !== i && f.eventId.split('-')[1] === target.eventId.split('-')[1],
              );
              const other = fates[same] as FateRecord;
              fates[i] = { ...target, seq: other.seq as number };
              fates[same] = { ...other, seq: target.seq as number };
              break;
            }
            case 'phantom':
              fates.push({ subscriber: 'p', eventId: 'ghost', fate: 'applied', seq: 1000 });
              break;
            case 'fail-applied':
              appends.push({ op: 999, streamId: 's0', eventIds: ['failed'], outcome: 'fail' });
              fates.push({ subscriber: 'p', eventId: 'failed', fate: 'skipped' });
              break;
            case 'lose-write':
              stored = stored.filter((r) => r.eventId !== target.eventId);
              break;
          }
          const result = checkHistory({ appends, stored, fates });
          expect(result.valid).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('History', () => {
  it('records appends with their outcomes and classifies errors', async () => {
    const history = new History();
    const ok = await history.append('s', ['a'], async () => 1);
    expect(ok).toEqual({ outcome: 'ok', value: 1 });
    const conflict = Object.assign(new Error('conflict'), { code: 'ES_OPTIMISTIC_LOCK' });
    const failed = await history.append('s', ['b'], async () => {
      throw conflict;
    });
    expect(failed.outcome).toBe('fail');
    const lost = await history.append('s', ['c'], async () => {
      throw Object.assign(new Error('gone'), { code: 'ES_POSTGRES_EVENT_STORE' });
    });
    expect(lost.outcome).toBe('unknown');
    const pending = history.invoke('s', ['d']);
    expect(history.outcomeCounts()).toEqual({ pending: 1, ok: 1, fail: 1, unknown: 1 });
    expect(history.acknowledgedEventIds()).toEqual(['a']);
    pending.ok();
    expect(() => pending.fail()).toThrow(/completed twice/);
    expect(history.appends.map((a) => a.outcome)).toEqual(['ok', 'fail', 'unknown', 'ok']);
    expect(history.appends[1]?.error).toMatch(/ES_OPTIMISTIC_LOCK/);
  });

  it('checks its own fates', () => {
    const history = new History();
    history.invoke('s', ['a']).ok();
    history.invoke('s', ['b']).ok();
    history.fate({
      subscriber: 'p',
      eventId: 'a',
      fate: 'applied',
      seq: 1,
      streamId: 's',
      version: 1,
    });
    expect(history.check().counts.silentlySkipped).toBe(1);
    history.fates([{ subscriber: 'p', eventId: 'b', fate: 'skipped', seq: 2 }]);
    expect(history.check().valid).toBe(true);
    expect(history.fatesOf('p')).toHaveLength(2);
    expect(history.fatesOf('q')).toHaveLength(0);
  });
});
