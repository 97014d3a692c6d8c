/**
 * The "stream order" of DLQ entries, shared by every repository and by redrive:
 * `(streamId, streamPosition, firstFailedAt, id)`, entries without a stream last.
 *
 * @module
 */
import type { DLQEntry } from './dlq-repository.js';

/** The fields that place an entry in stream order. */
export type StreamOrderKey = Pick<DLQEntry, 'id' | 'streamId' | 'streamPosition' | 'firstFailedAt'>;

/**
 * Compares two strings by Unicode code point, which is the order of PostgreSQL's `COLLATE "C"`
 * on a UTF-8 database (JavaScript's `<` compares UTF-16 code units and differs for characters
 * above U+FFFF). Returns a negative number, zero or a positive number.
 *
 * @example
 * ```ts
 * ['b', 'a', 'B'].sort(compareCodePoints); // ['B', 'a', 'b']
 * ```
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (U+D800–U+DFFF) encode code points above U+FFFF: move them above U+E000–U+FFFF.
      if (x >= 0xd800 && y >= 0xd800) return fixUpSurrogate(x) - fixUpSurrogate(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

function fixUpSurrogate(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

const DECIMAL = /^[0-9]+$/;

/**
 * Compares two entry ids: decimal ids (the in-memory counter, PostgreSQL's `bigserial`)
 * numerically, anything else by code point, decimal ids first.
 */
export function compareEntryIds(a: string, b: string): number {
  if (a === b) return 0;
  const aDecimal = DECIMAL.test(a);
  const bDecimal = DECIMAL.test(b);
  if (aDecimal && bDecimal) {
    const x = stripLeadingZeros(a);
    const y = stripLeadingZeros(b);
    if (x.length !== y.length) return x.length - y.length;
    return x < y ? -1 : x > y ? 1 : a.length - b.length;
  }
  if (aDecimal !== bDecimal) return aDecimal ? -1 : 1;
  return compareCodePoints(a, b);
}

function stripLeadingZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return i === 0 ? digits : digits.slice(i);
}

/**
 * Orders entries in stream order: by `streamId` (code point order, entries without a stream last),
 * then `streamPosition` ascending (nulls last), then `firstFailedAt`, then id. This is the order of
 * `DLQRepository.listEntries` and of its `after` cursor.
 *
 * @example
 * ```ts
 * entries.sort(compareStreamOrder);
 * ```
 */
export function compareStreamOrder(a: StreamOrderKey, b: StreamOrderKey): number {
  return compareOrderKeys(
    a.streamId,
    a.streamPosition,
    a.firstFailedAt.getTime(),
    a.id,
    b.streamId,
    b.streamPosition,
    b.firstFailedAt.getTime(),
    b.id,
  );
}

/**
 * The same order as {@link compareStreamOrder} on the raw key parts (`firstFailedAt` in epoch
 * milliseconds). For repositories that keep timestamps as numbers.
 */
export function compareOrderKeys(
  aStreamId: string | null,
  aStreamPosition: number | null,
  aFirstFailedAtMs: number,
  aId: string,
  bStreamId: string | null,
  bStreamPosition: number | null,
  bFirstFailedAtMs: number,
  bId: string,
): number {
  if (aStreamId !== bStreamId) {
    if (aStreamId === null) return 1;
    if (bStreamId === null) return -1;
    return compareCodePoints(aStreamId, bStreamId);
  }
  if (aStreamPosition !== bStreamPosition) {
    if (aStreamPosition === null) return 1;
    if (bStreamPosition === null) return -1;
    return aStreamPosition - bStreamPosition;
  }
  if (aFirstFailedAtMs !== bFirstFailedAtMs) return aFirstFailedAtMs - bFirstFailedAtMs;
  return compareEntryIds(aId, bId);
}
