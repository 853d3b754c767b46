/**
 * Sweeps overdue holds right after they run out, so watchers see the tickets come back on time rather
 * than at the next sale or the next expire-holds run. Only for long-running processes (the shim): a
 * Lambda container freezes between invocations. Expiry times are grouped by whole second, so there is one
 * timer per second however many holds a sale places, and sweeps never overlap.
 */
export class HoldExpiryTimer {
  private readonly due = new Map<number, NodeJS.Timeout>();
  private sweeping: Promise<void> | undefined;
  private sweepAgain = false;

  constructor(
    private readonly sweep: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    /** After the second boundary, so the database's clock agrees the hold is overdue. */
    private readonly graceMs = 300,
  ) {}

  holdRunsOutAt(at: Date): void {
    const second = Math.ceil(at.getTime() / 1000);
    if (this.due.has(second)) return;
    const timer = setTimeout(
      () => {
        this.due.delete(second);
        this.run();
      },
      Math.max(0, second * 1000 + this.graceMs - Date.now()),
    );
    timer.unref();
    this.due.set(second, timer);
  }

  close(): void {
    for (const timer of this.due.values()) clearTimeout(timer);
    this.due.clear();
  }

  private run(): void {
    if (this.sweeping) {
      this.sweepAgain = true;
      return;
    }
    this.sweeping = this.sweep()
      .catch(this.onError)
      .finally(() => {
        this.sweeping = undefined;
        if (this.sweepAgain) {
          this.sweepAgain = false;
          this.run();
        }
      });
  }
}
