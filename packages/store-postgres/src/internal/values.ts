/**
 * Normalising values read from any driver, and the SQL fragments that make them
 * driver-independent.
 *
 * @module
 * @internal
 */

/** SQL: a `timestamptz` column as epoch milliseconds (`float8`), parser-independent. */
export function msOf(column: string): string {
  return `(extract(epoch FROM ${column}) * 1000)::float8`;
}

/** SQL: the `bigint` parameter `$n` (epoch milliseconds) as an exact `timestamptz`. */
export function timestampParam(n: number): string {
  return `(TIMESTAMPTZ 'epoch' + $${n}::bigint * INTERVAL '1 millisecond')`;
}

/** A driver value (`number`, decimal `string` or `bigint`) as a number. */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A driver value as a number, or null. */
export function toNumberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/** Epoch milliseconds (as any driver returns a float8) as a `Date`. */
export function toDate(value: unknown): Date {
  return new Date(toNumber(value));
}

/** Epoch milliseconds, or null, as a `Date` or null. */
export function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** A driver value as a string, or null. */
export function toStringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** A `json`/`jsonb` value as an object, whether the driver parsed it or not. */
export function toJsonObject(value: unknown): Record<string, unknown> {
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
}

/** Whole milliseconds from a clock, checked. */
export function nowMs(clock: () => number): number {
  const ms = clock();
  if (!Number.isFinite(ms)) throw new TypeError(`clock() returned ${String(ms)}`);
  return Math.round(ms);
}

const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;
/** `\u0000` and the lone-surrogate escapes `JSON.stringify` writes (`\ud800`…`\udfff`). */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;

/**
 * JSON text (as `JSON.stringify` writes it) made storable in `jsonb`: every NUL character and
 * every lone surrogate (in keys or values) becomes U+FFFD. PostgreSQL rejects both escapes.
 * `JSON.stringify` writes paired surrogates as characters and escapes only lone ones, and an
 * escaped backslash (`\\u0000` is the text `\u0000`) is left alone.
 */
export function storableJson(json: string): string {
  return json.includes('\\u') ? json.replace(UNSTORABLE_ESCAPE, '$1\uFFFD') : json;
}

/** True when JSON text holds a NUL character (not the escaped text `\\u0000`). */
export function jsonHasNul(json: string): boolean {
  if (!json.includes('\\u0000')) return false;
  NUL_ESCAPE.lastIndex = 0;
  const found = NUL_ESCAPE.test(json);
  NUL_ESCAPE.lastIndex = 0;
  return found;
}

/** `text` with every NUL character replaced by U+FFFD (PostgreSQL `text` rejects NUL). */
export function textWithoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

/** Like {@link textWithoutNul}, for nullable values. */
export function textOrNullWithoutNul(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : textWithoutNul(text);
}
