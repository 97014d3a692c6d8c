/**
 * Enforces `processingTimeoutMs` and `infrastructureTimeoutMs` with one timer per subscription
 * (and per limit) instead of one per call.
 *
 * @module
 * @internal
 */

/**
 * Watches the call in flight of one kind (a subscription has one for handler calls and one for
 * infrastructure operations: one call of each kind is in flight at a time). {@link HandlerWatchdog.begin} and
 * {@link HandlerWatchdog.end} only record the start time and a call number; a single timer, armed
 * when a call begins and none is armed, fires at most once per timeout period, checks whether the
 * call in flight has run for `timeoutMs`, and either reports it or re-arms for the rest of that
 * call's budget. A fast catch-up therefore costs one clock read per event, not a timer per event.
 */
export class HandlerWatchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private callId = 0;
  private startedAt = 0;
  private active = false;
  private readonly fire = (): void => {
    this.timer = undefined;
    if (!this.active) return;
    const elapsed = this.clock() - this.startedAt;
    if (elapsed >= this.timeoutMs) {
      this.active = false;
      this.onTimeout(this.callId, elapsed);
    } else {
      this.arm(this.timeoutMs - elapsed);
    }
  };

  /**
   * @param timeoutMs - the budget of one call (> 0)
   * @param clock - the clock the budget is measured with
   * @param onTimeout - called once for a call that exceeded its budget
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly clock: () => number,
    private readonly onTimeout: (callId: number, elapsedMs: number) => void,
  ) {}

  /** A call starts (or resumes after a pause, with a fresh budget); returns its call number. */
  begin(): number {
    this.startedAt = this.clock();
    this.active = true;
    if (this.timer === undefined) this.arm(this.timeoutMs);
    return ++this.callId;
  }

  /** The call in flight ended (settled or timed out) or pauses. */
  end(): void {
    this.active = false;
  }

  /** Clears the timer; the watchdog can be used again afterwards. */
  dispose(): void {
    this.active = false;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.fire, ms);
  }
}
