import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/core';
import { MailboxState } from '../entities/mailbox-state.entity.js';

export interface ImapCursor {
  uidValidity: string | null;
  lastUid: number;
  resyncBelowUid: number;
}

/**
 * The persisted fetch position of each mailbox (`chatter_mailbox_state`), and its lease: a replica fetches a mailbox
 * only while it holds an unexpired lease on its row, so N replicas ticking at once make one fetch. Every call runs
 * in its own EntityManager fork.
 */
export class ImapCursorStore {
  constructor(private readonly orm: MikroORM) {}

  /** the state row, created on first use */
  async load(name: string): Promise<MailboxState> {
    const em = this.orm.em.fork();
    const found = await em.findOne(MailboxState, { name });
    if (found) return found;
    try {
      await em.persist(em.create(MailboxState, { name })).flush();
    } catch (error) {
      // another replica created it between our read and our insert
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
    return this.orm.em.fork().findOneOrFail(MailboxState, { name });
  }

  /** takes (or renews) the lease when it is free, expired or already ours */
  async acquire(name: string, owner: string, leaseMs: number): Promise<boolean> {
    await this.load(name);
    const now = new Date();
    const taken = await this.orm.em.fork().nativeUpdate(
      MailboxState,
      { name, $or: [{ leaseOwner: null }, { leaseUntil: null }, { leaseUntil: { $lt: now } }, { leaseOwner: owner }] },
      { leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) },
    );
    return taken === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(MailboxState, { name, leaseOwner: owner }, { leaseOwner: null, leaseUntil: null });
  }

  /** moves the cursor; also renews the lease, and refuses (false) when the lease was lost to another replica */
  async save(name: string, owner: string, cursor: ImapCursor, leaseMs: number): Promise<boolean> {
    const updated = await this.orm.em.fork().nativeUpdate(
      MailboxState,
      { name, leaseOwner: owner },
      { ...cursor, leaseUntil: new Date(Date.now() + leaseMs) },
    );
    return updated === 1;
  }

  async recordAttempt(name: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(MailboxState, { name }, { lastFetchAt: new Date() });
  }

  /** a fetch that ran to the end; `problem` notes mails it had to leave behind */
  async recordSuccess(name: string, received: number, problem: string | null = null): Promise<void> {
    const now = new Date();
    await this.orm.em.fork().nativeUpdate(MailboxState, { name }, { lastSuccessAt: now, lastReceived: received, lastError: problem, lastErrorAt: problem ? now : null });
  }

  async recordError(name: string, message: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(MailboxState, { name }, { lastError: message.slice(0, 4000), lastErrorAt: new Date() });
  }
}
