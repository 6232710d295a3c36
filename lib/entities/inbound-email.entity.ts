import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export type InboundSourceKind = 'imap' | 'pipe' | 'smtp' | 'http';
export const INBOUND_SOURCE_KINDS: readonly InboundSourceKind[] = ['imap', 'pipe', 'smtp', 'http'];

/**
 * received → processing → delivered (posted in a thread) · bounced (a bounce, recorded) · rejected (refused, no route)
 * · failed (an error: see `error`, reprocess after a fix) · ignored (duplicate, our own mail, a delay notice)
 */
export type InboundStatus = 'received' | 'processing' | 'delivered' | 'bounced' | 'rejected' | 'failed' | 'ignored';
export const INBOUND_STATUSES: readonly InboundStatus[] = ['received', 'processing', 'delivered', 'bounced', 'rejected', 'failed', 'ignored'];

/** The routing rule that decided (DESIGN §3 order), or the guard that stopped the mail. */
export type InboundDecision =
  | 'duplicate' | 'own-mail' | 'bounce' | 'reply' | 'alias' | 'catchall' | 'fallback' | 'no-route' | 'loop' | 'error';

/**
 * The inbound ledger (Rails' InboundEmail): every raw mail is written here, and committed, before any ingress
 * acknowledges it. Processing runs from this row, so a mail can be reprocessed without the mail server, and the
 * decision and its reason stay for audit. `(sourceKind, sourceKey)` is unique: the same mail delivered twice by the
 * same source is one row.
 */
@Entity({ tableName: 'chatter_inbound_email' })
@Unique({ name: 'chatter_inbound_email_source_uniq', properties: ['sourceKind', 'sourceKey'] })
@Index({ name: 'chatter_inbound_email_status_idx', properties: ['status', 'id'] })
@Index({ name: 'chatter_inbound_email_message_id_idx', properties: ['messageId'] })
@Index({ name: 'chatter_inbound_email_sender_idx', properties: ['sender', 'receivedAt'] })
export class InboundEmail {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Enum({ items: [...INBOUND_SOURCE_KINDS], length: 8 })
  sourceKind!: InboundSourceKind;

  /** what makes a delivery unique within its source: `mailbox:uidvalidity:uid` for IMAP, else `sha256:<hash>` */
  @Property({ type: 'string', length: 512 })
  sourceKey!: string;

  /** the IMAP mailbox (or another ingress's name for a scope); duplicates are detected per mailbox */
  @Property({ type: 'string', length: 255 })
  mailbox: Opt<string> = '';

  /** the raw RFC 822 bytes, byte for byte; null once purged or when kept under `storageKey` */
  @Property({ type: 'blob', nullable: true, lazy: true })
  raw: Buffer | null = null;

  @Property({ type: 'string', length: 512, nullable: true })
  storageKey: string | null = null;

  @Property({ type: 'integer' })
  size!: number;

  /** sha256 of the raw bytes, hex */
  @Property({ type: 'string', length: 64 })
  sha256!: string;

  /** the mail's Message-ID with angle brackets; synthesised from the hash when it has none */
  @Property({ type: 'string', length: 998 })
  messageId!: string;

  /** envelope recipients given by the ingress (SMTP RCPT TO, the MTA's recipient) */
  @Property({ type: 'json', nullable: true })
  recipients: string[] | null = null;

  /** the envelope sender (SMTP MAIL FROM, the MTA's `${sender}`; '' for the null sender `<>`), when the ingress knows it */
  @Property({ type: 'string', length: 998, nullable: true })
  envelopeFrom: string | null = null;

  /** the sending client's IP address (the SMTP listener's peer, or what a relay reports), for SPF */
  @Property({ type: 'string', length: 64, nullable: true })
  clientIp: string | null = null;

  /** model to create records in when nothing else routes the mail (an IMAP mailbox's fallback) */
  @Property({ type: 'string', length: 128, nullable: true })
  fallbackModel: string | null = null;

  @Enum({ items: [...INBOUND_STATUSES], length: 16 })
  status: Opt<InboundStatus> = 'received';

  @Property({ type: 'string', length: 32, nullable: true })
  decision: InboundDecision | null = null;

  /** why, in words: "reply to message 42 via References", "refused: sender not a follower" */
  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  /** the normalized sender address, once parsed (loop protection counts by it) */
  @Property({ type: 'string', length: 320, nullable: true })
  sender: string | null = null;

  @Property({ type: 'string', length: 998, nullable: true })
  subject: string | null = null;

  /** the thread the mail went to (first one when an alias fan-out created several records) */
  @Property({ type: 'string', length: 128, nullable: true })
  resModel: string | null = null;

  @Property({ type: 'string', length: 64, nullable: true })
  resId: string | null = null;

  /** the chatter Message posted from this mail */
  @Property({ type: 'integer', nullable: true })
  postedMessageId: number | null = null;

  @Property({ type: 'boolean' })
  autoReply: Opt<boolean> = false;

  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  @Property({ type: 'integer' })
  attempts: Opt<number> = 0;

  // dates are `type: 'Date'`, the same column as 'datetime', which MikroORM 7 takes for changed at every SQLite flush
  /** when we answered the sender (a refusal notice); at most one answer per sender per day */
  @Property({ type: 'Date', nullable: true })
  answeredAt: Date | null = null;

  @Property({ type: 'Date' })
  receivedAt: Opt<Date> = new Date();

  /** when processing was last claimed; a claim older than the lease is taken over (a crashed worker) */
  @Property({ type: 'Date', nullable: true })
  claimedAt: Date | null = null;

  @Property({ type: 'Date', nullable: true })
  processedAt: Date | null = null;

  /** when the raw bytes were purged by retention */
  @Property({ type: 'Date', nullable: true })
  purgedAt: Date | null = null;
}
