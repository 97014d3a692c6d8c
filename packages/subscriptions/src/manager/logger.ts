/**
 * The logger the manager reports through.
 *
 * @module
 */

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Where the manager reports what it does (state changes, retries of infrastructure operations,
 * failures). Any subset of the methods may be given; `console` fits, and so do pino and winston
 * loggers wrapped as `(message, fields) => logger.warn(fields, message)`.
 */
export interface SubscriptionLogger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const noop = (): void => {};

/**
 * Fills the missing methods of a partial logger with no-ops and shields the manager from a
 * logger that throws.
 *
 * @internal
 */
export function toLogger(logger: Partial<SubscriptionLogger> | undefined): SubscriptionLogger {
  if (logger === undefined) return { debug: noop, info: noop, warn: noop, error: noop };
  const wrap =
    (method: keyof SubscriptionLogger) =>
    (message: string, fields?: LogFields): void => {
      const fn = logger[method];
      if (typeof fn !== 'function') return;
      try {
        fn.call(logger, message, fields);
      } catch {
        // A failing logger must never break a subscription.
      }
    };
  return { debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
