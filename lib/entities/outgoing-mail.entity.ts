import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Message } from './message.entity.js';
import { Notification } from './notification.entity.js';
import { Partner } from './partner.entity.js';

/**
 * outgoing: waiting (maybe for a retry at `nextAttemptAt`) · sending: claimed by a sender, SMTP in progress ·
 * sent: accepted by the server · exception: failed for good (see `failureType`/`failureReason`) · cancel: not sent on purpose
 */
export type OutgoingMailState = 'outgoing' | 'sending' | 'sent' | 'exception' | 'cancel';
export const OUTGOING_MAIL_STATES: readonly OutgoingMailState[] = ['outgoing', 'sending', 'sent', 'exception', 'cancel'];

/**
 * The outbox (Odoo's `mail.mail`): one row per email to one recipient, written in the same transaction as the message
 * it announces, sent after commit. A sender marks a row `sending` (with a claim token) before talking SMTP, so a row is
 * never sent by two senders at once; a claim older than the claim timeout is a crashed sender's and is retried.
 */
@Entity({ tableName: 'chatter_outgoing_mail' })
@Index({ name: 'chatter_outgoing_mail_due_idx', properties: ['state', 'nextAttemptAt'] })
@Index({ properties: ['resModel', 'resId'] })
export class OutgoingMail {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** the record the mail is about, if any */
  @Property({ type: 'string', length: 128, nullable: true })
  resModel: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  resId: string | null = null;

  /** the message it announces; its body is rendered from it at send time when `bodyHtml` is null */
  @ManyToOne(() => Message, { nullable: true, deleteRule: 'cascade' })
  message: Message | null = null;

  /** the recipient's notification, marked sent/exception with this mail */
  @ManyToOne(() => Notification, { nullable: true, deleteRule: 'cascade' })
  notification: Notification | null = null;

  /** the recipient (signs their reply address and unfollow link) */
  @ManyToOne(() => Partner, { nullable: true, deleteRule: 'set null' })
  partner: Partner | null = null;

  @Enum({ items: [...OUTGOING_MAIL_STATES], length: 16 })
  state: Opt<OutgoingMailState> = 'outgoing';

  /** the From header, after the From rewrite */
  @Property({ type: 'string', length: 512 })
  emailFrom!: string;

  /** one recipient, formatted (`"Name" <address>`) */
  @Property({ type: 'string', length: 512 })
  emailTo!: string;

  @Property({ type: 'string', length: 512, nullable: true })
  replyTo: string | null = null;

  @Property({ type: 'string', length: 998 })
  subject: Opt<string> = '';

  /** Message-ID, In-Reply-To, References, Auto-Submitted, X-Chatter-Objects…: written as they are, never folded */
  @Property({ type: 'json' })
  headers: Opt<Record<string, string>> = {};

  /** a ready body; null renders the message through the layout at send time */
  @Property({ type: 'text', nullable: true, lazy: true })
  bodyHtml: string | null = null;

  @Property({ type: 'text', nullable: true, lazy: true })
  bodyText: string | null = null;

  /** envelope sender; null means the VERP address `bounce+{id}@{domain}` */
  @Property({ type: 'string', length: 512, nullable: true })
  mailFrom: string | null = null;

  @Property({ type: 'integer' })
  attempts: Opt<number> = 0;

  @Property({ type: 'Date' })
  nextAttemptAt: Opt<Date> = new Date();

  /** when a sender claimed it (state `sending`), and which claim */
  @Property({ type: 'Date', nullable: true })
  claimedAt: Date | null = null;

  @Property({ type: 'string', length: 32, nullable: true })
  claimToken: string | null = null;

  /** the outgoing server that accepted (or refused) it */
  @Property({ type: 'string', length: 128, nullable: true })
  serverName: string | null = null;

  @Property({ type: 'Date', nullable: true })
  sentAt: Date | null = null;

  /** same vocabulary as `Notification.failureType` */
  @Property({ type: 'string', length: 32, nullable: true })
  failureType: string | null = null;

  @Property({ type: 'text', nullable: true })
  failureReason: string | null = null;

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();
}
