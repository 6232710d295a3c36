import type { OutboxStore, SendOutcome } from './outbox-store.js';

/**
 * a group is committed when this many mails are waiting, or this long after its first one. The time bound is what
 * limits duplicates after a crash; the size bound only caps a group — at 20, a 1,000-mail fan-out on SQLite paid ~50
 * fsyncs (each blocking the event loop) and fanout-1000 fell from ~0.9 to ~0.78 of raw nodemailer.
 */
const GROUP_SIZE = 100;
const GROUP_MS = 15;
/** first and longest pause between tries of a group write that failed */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1_000;

/**
 * Records sent mails as they are accepted, in small groups (group commit): a sender that dies mid-batch leaves only
 * the mails accepted in the last few milliseconds `sending` — all that can reach a recipient twice when their claim
 * expires — rather than every mail of the batch sent so far. Groups keep SQLite's one writer from becoming the
 * bottleneck of a large fan-out.
 *
 * A group write that fails (the database restarting, a connection cut) is tried again while `keepTrying()` says so
 * (the sender: while its claim holds and it is not shutting down): the server has taken those mails, and a claim
 * that expires with them still `sending` sends them a second time. Once the claim expired another sender may own
 * them, and the write would match nothing (the claim token differs).
 */
export class OutcomeRecorder {
  private pending: SendOutcome[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private error: unknown;

  constructor(
    private readonly store: OutboxStore,
    private readonly token: string,
    private readonly keepTrying: () => boolean = () => false,
    private readonly warn: (message: string) => void = () => undefined,
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
    for (let pause = RETRY_FIRST_MS; ; pause = Math.min(pause * 2, RETRY_MAX_MS)) {
      try {
        await this.store.record(this.token, group);
        return;
      } catch (error) {
        if (!this.keepTrying()) {
          // left `sending` under our claim: the stale-claim sweep takes them back
          this.error ??= error;
          return;
        }
        if (pause === RETRY_FIRST_MS) this.warn(`could not record outgoing mail(s) ${ids(group)} as sent (${(error as Error).message}): trying again while the claim holds`);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }
}

function ids(group: SendOutcome[]): string {
  const shown = group.slice(0, 10).map((o) => o.mail.id).join(', ');
  return group.length > 10 ? `${shown} … (${group.length})` : shown;
}
