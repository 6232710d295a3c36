import type { OutboxStore, SendOutcome } from './outbox-store.js';

/**
 * Records sent mails as they are accepted, a few per transaction (group commit): a sender that dies mid-batch has
 * then only the mails accepted in the last few milliseconds left `sending`, which are all that can reach a
 * recipient twice when its claim expires — rather than every mail of the batch sent so far.
 */
export class OutcomeRecorder {
  private pending: SendOutcome[] = [];
  private flushing: Promise<void> | undefined;
  private error: unknown;

  constructor(
    private readonly store: OutboxStore,
    private readonly token: string,
  ) {}

  add(outcome: SendOutcome): void {
    this.pending.push(outcome);
    this.flushing ??= this.loop().finally(() => (this.flushing = undefined));
  }

  /** resolves when everything added is committed; rejects with the first failed write */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.error) throw this.error;
  }

  private async loop(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.store.record(this.token, batch);
      } catch (error) {
        // left `sending` under our claim: the stale-claim sweep takes them back
        this.error ??= error;
      }
    }
  }
}
