/**
 * `String(value)`, safe for values whose conversion throws (a throwing `toString`, a revoked proxy,
 * a null-prototype object); plain objects that would print as `[object Object]` are shown as JSON
 * when possible. Never throws.
 */
export function safeString(value: unknown): string {
  let text: string;
  try {
    text = String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return '[unprintable value]';
    }
  }
  if (text === '[object Object]') {
    try {
      const json = JSON.stringify(value);
      if (typeof json === 'string') return json;
    } catch {
      // keep the plain form
    }
  }
  return text;
}

/** `value instanceof type`, false instead of throwing (revoked proxies throw on prototype reads). */
export function safeInstanceOf(
  value: unknown,
  type: abstract new (...args: never[]) => unknown,
): boolean {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}
