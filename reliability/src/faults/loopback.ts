/**
 * The fault tools only ever touch this machine: every target must be a loopback address.
 *
 * @module
 */

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|::1|\[::1\]|localhost)$/i;

/** True for `127.x.x.x`, `::1` and `localhost`. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * Throws unless `host` is a loopback address: load and fault tests never run against another
 * machine.
 */
export function assertLoopback(host: string, what: string): void {
  if (!isLoopback(host)) {
    throw new Error(
      `${what}: refusing to inject faults or load against ${JSON.stringify(host)}; only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed`,
    );
  }
}

/** Throws unless the host of the PostgreSQL URL is a loopback address; returns the URL parsed. */
export function assertLoopbackUrl(url: string, what: string): URL {
  const parsed = new URL(url);
  assertLoopback(parsed.hostname, what);
  return parsed;
}
