/**
 * Wakes `PostgresEventBus` listeners after autocommit appends, at most one `NOTIFY` in flight.
 *
 * @module
 * @internal
 */

/**
 * Sends a wake-up after an append committed, coalescing concurrent requests: while one `NOTIFY`
 * is in flight, any number of further requests cause exactly one more after it. Every append
 * that commits before a `NOTIFY` starts is covered by it, so no wake-up is lost, and a burst of
 * concurrent appends costs two statements instead of one per append.
 *
 * A `NOTIFY` inside the append's own transaction would be atomic with it, but PostgreSQL
 * serialises the commits of notifying transactions (`PreCommit_Notify` holds an exclusive lock
 * on the notification queue through the WAL flush), so concurrent writers lose group commit.
 * Sending it after the commit trades that for one case: a process that dies between the commit
 * and the `NOTIFY` wakes nobody, and listeners find the event on their next poll. A failed
 * `NOTIFY` is handed to `onError` and never fails the append.
 */
export class CoalescedNotifier {
  #inFlight: Promise<void> | undefined;
  #again = false;

  /**
   * @param send - sends one `NOTIFY` (its own statement, outside any transaction)
   * @param onError - receives a failed send (the next request tries again)
   */
  constructor(
    private readonly send: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** An append committed: make sure a `NOTIFY` starts after this moment. */
  request(): void {
    if (this.#inFlight !== undefined) {
      this.#again = true;
      return;
    }
    this.#inFlight = this.#run();
  }

  /** Settles when no `NOTIFY` is in flight (for `close`); never rejects. */
  drain(): Promise<void> {
    return this.#inFlight ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.send();
      } catch (error) {
        try {
          this.onError(error);
        } catch {
          // A throwing error callback must not break the loop or leave a rejection behind.
        }
      }
    } while (this.#again);
    this.#inFlight = undefined;
  }
}
