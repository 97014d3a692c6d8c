/**
 * Reporting of errors thrown by user callbacks (listeners, `onRetry`). A failing callback must
 * never break a retry loop or a circuit breaker, but its error must not vanish either.
 *
 * @internal
 * @module
 */

/** Handler for an error thrown by a user callback. */
export type CallbackErrorHandler = (error: unknown, source: string) => void;

/**
 * Default handler: emits a Node process warning (`process.on('warning', …)` sees it; the default
 * Node handler prints it to stderr) with code `ES_CALLBACK_FAILED`.
 */
export const reportCallbackError: CallbackErrorHandler = (error, source) => {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  try {
    process.emitWarning(`${source} threw and was ignored: ${detail}`, {
      type: 'EventSourceWarning',
      code: 'ES_CALLBACK_FAILED',
    });
  } catch {
    // Reporting must never throw into the caller.
  }
};

/** Calls `handler` and swallows anything it throws (the last line of defence). */
export function safeReport(handler: CallbackErrorHandler, error: unknown, source: string): void {
  try {
    handler(error, source);
  } catch {
    // A failing error handler must not break the breaker or the retry loop either.
  }
}
