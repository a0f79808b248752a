/**
 * Backpressure for pulled sources. RxJS cannot slow a producer down, but `readParallel` pulls its
 * lines through an async iterator: when a slow consumer (the training loop) closes the gate, the
 * reader stops reading until it opens again, so an epoch never piles up in memory.
 *
 * @example
 * const gate = new FlowGate();
 * readParallel({ source, target, gate })   // pauses while gate.close() is in force
 */
export class FlowGate {
  private closed = false;
  private waiters: (() => void)[] = [];

  /** Asks the source to stop after the item it is producing. */
  close(): void {
    this.closed = true;
  }

  /** Lets the source go on; also call it on teardown so a paused reader can finish and close its files. */
  open(): void {
    this.closed = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Whether the source is being held back. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves at once while open, else when `open()` is called. */
  async pass(): Promise<void> {
    if (this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
