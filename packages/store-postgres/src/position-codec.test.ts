import { isEventSourceError } from '@es/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePosition,
  encodePosition,
  encodeTrustedPosition,
  isPostgresPosition,
} from './position-codec.js';

const MAX_XID8 = 2n ** 64n - 1n;
const xid8 = fc.bigInt({ min: 0n, max: MAX_XID8 });
const position = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });

function compareTuples(a: [bigint, number], b: [bigint, number]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] - b[1];
}

describe('position codec (B8)', () => {
  it('encodes both halves as 20 zero-padded digits joined by "-"', () => {
    expect(encodePosition('754', 12)).toBe('00000000000000000754-00000000000000000012');
    expect(encodePosition(0n, 0)).toBe('00000000000000000000-00000000000000000000');
    expect(encodePosition(MAX_XID8, Number.MAX_SAFE_INTEGER)).toBe(
      '18446744073709551615-00009007199254740991',
    );
  });

  it('round-trips every (xid8, global position) pair', () => {
    fc.assert(
      fc.property(xid8, position, (tx, gp) => {
        const decoded = decodePosition(encodePosition(tx, gp));
        expect(decoded).toEqual({ transactionId: tx.toString(), globalPosition: gp });
        expect(encodeTrustedPosition(decoded.transactionId, gp)).toBe(encodePosition(tx, gp));
      }),
      { numRuns: 2000 },
    );
  });

  it('orders cursors as strings exactly as the tuples: a < b ⇔ enc(a) < enc(b)', () => {
    fc.assert(
      fc.property(xid8, position, xid8, position, (ta, pa, tb, pb) => {
        const expected = Math.sign(compareTuples([ta, pa], [tb, pb]));
        const a = encodePosition(ta, pa);
        const b = encodePosition(tb, pb);
        expect(Math.sign(a < b ? -1 : a > b ? 1 : 0)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('orders neighbours that differ only in width correctly (9 < 10, same transaction)', () => {
    expect(encodePosition('7', 9) < encodePosition('7', 10)).toBe(true);
    expect(encodePosition('9', 999) < encodePosition('10', 1)).toBe(true);
  });

  it('rejects malformed cursors and out-of-range parts with ES_INVALID_CONFIG', () => {
    for (const bad of [
      '',
      '0',
      '1-2',
      '00000000000000000001:00000000000000000002',
      'x'.repeat(41),
    ]) {
      expect(() => decodePosition(bad)).toThrow(
        expect.objectContaining({ code: 'ES_INVALID_CONFIG' }),
      );
      expect(isPostgresPosition(bad)).toBe(false);
    }
    expect(() => decodePosition('99999999999999999999-00000000000000000001')).toThrow(
      expect.objectContaining({ code: 'ES_INVALID_CONFIG', field: 'position' }),
    );
    expect(() =>
      decodePosition('00000000000000000001-99999999999999999999', 'readAll.fromPosition'),
    ).toThrow(expect.objectContaining({ field: 'readAll.fromPosition' }));
    for (const [tx, gp] of [
      ['-1', 1],
      ['1.5', 1],
      ['18446744073709551616', 1],
      ['1', -1],
      ['1', 1.5],
      ['1', Number.MAX_SAFE_INTEGER + 1],
    ] as const) {
      let error: unknown;
      try {
        encodePosition(tx, gp);
      } catch (e) {
        error = e;
      }
      expect(isEventSourceError(error), `${tx}, ${gp}`).toBe(true);
    }
    expect(isPostgresPosition(encodePosition('1', 2))).toBe(true);
  });
});
