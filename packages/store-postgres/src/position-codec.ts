/**
 * The PostgreSQL subscription cursor: `(transaction id, global position)` as one string whose
 * lexicographic order is the tuple order.
 *
 * Format: the `xid8` transaction id and the global position, each as a 20-digit zero-padded
 * decimal, joined by `-`, for example `00000000000000000754-00000000000000000012`. Twenty digits
 * hold every `xid8` (up to 2^64 − 1) and every `bigint` position, so both halves have a fixed width
 * and comparing two cursors as strings (by code units, as JavaScript's `<` does) compares the
 * transaction ids first and the positions second.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';

/** Digits of each half of a cursor. */
export const POSITION_PART_DIGITS = 20;

const POSITION = /^(\d{20})-(\d{20})$/;
const DECIMAL = /^\d{1,20}$/;
const MAX_XID8 = 18446744073709551615n;

/** A decoded cursor. */
export interface DecodedPosition {
  /** The `xid8` transaction id, as a decimal string without leading zeros. */
  readonly transactionId: string;
  /** The global position. */
  readonly globalPosition: number;
}

/**
 * Encodes `(transactionId, globalPosition)` as an order-preserving cursor string.
 *
 * @param transactionId - the `xid8` as a decimal string (as PostgreSQL prints it) or a bigint
 * @param globalPosition - a non-negative safe integer
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when a part is not a non-negative integer in range
 * @example
 * ```ts
 * encodePosition('754', 12); // '00000000000000000754-00000000000000000012'
 * ```
 */
export function encodePosition(transactionId: string | bigint, globalPosition: number): string {
  const tx = typeof transactionId === 'bigint' ? transactionId.toString() : transactionId;
  if (!DECIMAL.test(tx) || (tx.length === 20 && BigInt(tx) > MAX_XID8)) {
    throw new InvalidConfigError('position.transactionId', 'must be an xid8 (0 … 2^64−1)', tx);
  }
  if (!Number.isSafeInteger(globalPosition) || globalPosition < 0) {
    throw new InvalidConfigError(
      'position.globalPosition',
      'must be a safe integer >= 0',
      globalPosition,
    );
  }
  return `${tx.padStart(20, '0')}-${String(globalPosition).padStart(20, '0')}`;
}

/**
 * Encodes without validation: for values that come straight from the database.
 *
 * @internal
 */
export function encodeTrustedPosition(transactionId: string, globalPosition: number): string {
  return `${transactionId.padStart(20, '0')}-${String(globalPosition).padStart(20, '0')}`;
}

/**
 * Decodes a cursor made by {@link encodePosition}.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when `position` is not such a cursor
 * @example
 * ```ts
 * decodePosition('00000000000000000754-00000000000000000012');
 * // { transactionId: '754', globalPosition: 12 }
 * ```
 */
export function decodePosition(position: string, field = 'position'): DecodedPosition {
  const match = POSITION.exec(position);
  if (match === null) {
    throw new InvalidConfigError(
      field,
      'must be a cursor of this store: two 20-digit decimals joined by "-"',
      position,
    );
  }
  const tx = match[1] as string;
  const gp = Number(match[2]);
  if (BigInt(tx) > MAX_XID8 || !Number.isSafeInteger(gp)) {
    throw new InvalidConfigError(field, 'holds a part out of range', position);
  }
  return { transactionId: tx.replace(/^0+(?=\d)/, ''), globalPosition: gp };
}

/** True when `value` is a cursor in the format of {@link encodePosition}. */
export function isPostgresPosition(value: unknown): value is string {
  return typeof value === 'string' && POSITION.test(value);
}
