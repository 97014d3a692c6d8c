/**
 * Length limits for the text a DLQ entry stores.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';

/**
 * The marker that ends a truncated text: `… [truncated N chars]`, where N counts the UTF-16 code
 * units that were cut.
 */
export function truncationMarker(removed: number): string {
  return `… [truncated ${removed} chars]`;
}

/**
 * Cuts `text` to at most `maxLength` UTF-16 code units. A longer text keeps its beginning and ends
 * with {@link truncationMarker} (the result, marker included, is never longer than `maxLength`);
 * a surrogate pair is never split. Texts that fit are returned unchanged.
 *
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` when `maxLength` is not an integer ≥ 0.
 * @example
 * ```ts
 * truncateText('x'.repeat(100), 40); // 'x'.repeat(18) + '… [truncated 82 chars]'
 * ```
 */
export function truncateText(text: string, maxLength: number): string {
  if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
    throw new InvalidConfigError('truncateText.maxLength', 'must be an integer >= 0', maxLength);
  }
  if (text.length <= maxLength) return text;
  let kept = maxLength - truncationMarker(text.length - maxLength).length;
  while (kept > 0) {
    if (isHighSurrogateAt(text, kept - 1)) {
      kept--;
      continue;
    }
    const marker = truncationMarker(text.length - kept);
    if (kept + marker.length <= maxLength) return text.slice(0, kept) + marker;
    kept--;
  }
  // No room for the marker next to any text: cut hard.
  return text.slice(0, isHighSurrogateAt(text, maxLength - 1) ? maxLength - 1 : maxLength);
}

function isHighSurrogateAt(text: string, index: number): boolean {
  if (index < 0) return false;
  const unit = text.charCodeAt(index);
  return unit >= 0xd800 && unit <= 0xdbff;
}
