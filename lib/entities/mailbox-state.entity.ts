import type { Opt } from '@mikro-orm/core';
import { BigIntType } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * Where the fetch of one IMAP mailbox stands (Odoo's `fetchmail.server` state): the UID cursor under the folder's
 * UIDVALIDITY, the lease that keeps two replicas from fetching it at once, and the last outcome, for health checks.
 */
@Entity({ tableName: 'chatter_mailbox_state' })
export class MailboxState {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** the configured mailbox name */
  @Property({ type: 'string', length: 128, unique: true })
  name!: string;

  /** UIDVALIDITY the cursor belongs to (up to 2^32-1, kept as text) */
  @Property({ type: 'string', length: 20, nullable: true })
  uidValidity: string | null = null;

  /** every mail at or below this UID is in the ledger (or was deliberately left: see `onFailure`) */
  @Property({ type: new BigIntType('number') })
  lastUid: Opt<number> = 0;

  /** after a UIDVALIDITY change, mails below this UID may already be in the ledger: they are matched by Message-ID */
  @Property({ type: new BigIntType('number') })
  resyncBelowUid: Opt<number> = 0;

  @Property({ type: 'string', length: 64, nullable: true })
  leaseOwner: string | null = null;

  @Property({ type: 'Date', nullable: true })
  leaseUntil: Date | null = null;

  @Property({ type: 'Date', nullable: true })
  lastFetchAt: Date | null = null;

  @Property({ type: 'Date', nullable: true })
  lastSuccessAt: Date | null = null;

  /** mails taken into the ledger by the last successful fetch */
  @Property({ type: 'integer' })
  lastReceived: Opt<number> = 0;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'Date', nullable: true })
  lastErrorAt: Date | null = null;
}
