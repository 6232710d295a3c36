import type { OutboxStore, SendOutcome } from './outbox-store.js';

/**
 * a group is committed when this many mails are waiting, or this long after its first one. The time bound is what
 * limits duplicates after a crash; the size bound only caps a group — at 20, a 1,000-mail fan-out on SQLite paid ~50
 * fsyncs (each blocking the event loop) and fanout-1000 fell from ~0.9 to ~0.78 of raw nodemailer.
 */
const GROUP_SIZE = 100;
const GROUP_MS = 15;

/**
 * Records sent mails as they are accepted, in small groups (group commit): a sender that dies mid-batch leaves only
 * the mails accepted in the last few milliseconds `sending` — all that can reach a recipient twice when their claim
 * expires — rather than every mail of the batch sent so far. Groups keep SQLite's one writer from becoming the
 * bottleneck of a large fan-out.
 */
export class OutcomeRecorder {
  private pending: SendOutcome[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private error: unknown;

  constructor(
    private readonly store: OutboxStore,
    private readonly token: string,
  ) {}

  add(outcome: SendOutcome): void {
    this.pending.push(outcome);
    if (this.flushing) return;
    if (this.pending.length >= GROUP_SIZE) this.start();
    else this.timer ??= setTimeout(() => this.start(), GROUP_MS);
  }

  /** resolves when everything added is committed; rejects with the first failed write */
  async flush(): Promise<void> {
    for (;;) {
      if (!this.flushing && this.pending.length) this.start();
      if (!this.flushing) break;
      await this.flushing;
    }
    if (this.error) throw this.error;
  }

  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushing) return;
    this.flushing = this.write().finally(() => {
      this.flushing = undefined;
      // what arrived during the write waits for its own group
      if (this.pending.length) this.add(this.pending.pop()!);
    });
  }

  private async write(): Promise<void> {
    const group = this.pending;
    this.pending = [];
    try {
      await this.store.record(this.token, group);
    } catch (error) {
      // left `sending` under our claim: the stale-claim sweep takes them back
      this.error ??= error;
    }
  }
}
