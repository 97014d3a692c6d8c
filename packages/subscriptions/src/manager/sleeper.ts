/**
 * The one place a subscription's loop waits: poll intervals, retry backoff, breaker recovery and
 * pauses. Internal to the manager.
 *
 * @module
 * @internal
 */

/** Why a {@link Sleeper.sleep} ended. */
export type WakeReason = 'timeout' | 'notify' | 'interrupt';

/**
 * A single-waiter sleep that can be cut short. {@link Sleeper.notify} (new events were appended)
 * ends only sleeps that asked for it (the idle wait of a live subscription), so a notification
 * never shortens a retry backoff; {@link Sleeper.interrupt} (stop, pause, resume, a redrive that
 * needs the loop) ends any sleep. A notification that arrives while nobody sleeps is remembered in
 * {@link Sleeper.dirty}, so the loop re-reads instead of sleeping: no wake-up is ever lost.
 *
 * One timer per sleep, none when `ms` is `Infinity`, and every timer is cleared when the sleep ends.
 */
export class Sleeper {
  /** A notification arrived since the loop last cleared the flag. */
  dirty = false;
  private resolveSleep: ((reason: WakeReason) => void) | null = null;
  private wakeOnNotify = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onTimeout = (): void => {
    this.timer = undefined;
    this.settle('timeout');
  };

  /** True while a sleep is pending. */
  get sleeping(): boolean {
    return this.resolveSleep !== null;
  }

  /**
   * Sleeps up to `ms` milliseconds (`Infinity`: until woken). When `wakeOnNotify` is true and a
   * notification is already pending ({@link Sleeper.dirty}), resolves at once with `'notify'`.
   */
  sleep(ms: number, wakeOnNotify: boolean): Promise<WakeReason> {
    if (wakeOnNotify && this.dirty) return Promise.resolve('notify');
    if (this.resolveSleep !== null) this.settle('interrupt');
    this.wakeOnNotify = wakeOnNotify;
    return new Promise<WakeReason>((resolve) => {
      this.resolveSleep = resolve;
      if (ms !== Number.POSITIVE_INFINITY) this.timer = setTimeout(this.onTimeout, Math.max(0, ms));
    });
  }

  /** New events may be available: marks {@link Sleeper.dirty} and ends an idle sleep. */
  notify(): void {
    this.dirty = true;
    if (this.wakeOnNotify) this.settle('notify');
  }

  /** Ends any pending sleep at once. */
  interrupt(): void {
    this.settle('interrupt');
  }

  private settle(reason: WakeReason): void {
    const resolve = this.resolveSleep;
    if (resolve === null) return;
    this.resolveSleep = null;
    this.wakeOnNotify = false;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    resolve(reason);
  }
}
