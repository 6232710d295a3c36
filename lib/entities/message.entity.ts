import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Partner } from './partner.entity.js';
import { Subtype } from './subtype.entity.js';

/**
 * comment: a discussion message (emails followers) · note: internal · email: came in by mail ·
 * notification: written by the system (e.g. "Ticket created") · tracking: field changes · activity: an activity done
 */
export type MessageType = 'comment' | 'note' | 'email' | 'notification' | 'tracking' | 'activity';
export const MESSAGE_TYPES: readonly MessageType[] = ['comment', 'note', 'email', 'notification', 'tracking', 'activity'];

/** One entry of a record's thread (Odoo's `mail.message`). Its attachments, tracking values and notifications point at it. */
@Entity({ tableName: 'chatter_message' })
@Index({ name: 'chatter_message_thread_idx', properties: ['resModel', 'resId', 'id'] })
export class Message {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  resModel!: string;

  @Property({ type: 'string', length: 64 })
  resId!: string;

  @Enum({ items: [...MESSAGE_TYPES], length: 16 })
  messageType!: MessageType;

  @ManyToOne(() => Subtype, { nullable: true, deleteRule: 'set null' })
  subtype: Subtype | null = null;

  @ManyToOne(() => Partner, { nullable: true, deleteRule: 'set null' })
  author: Partner | null = null;

  /** the From header as received or as we wrote it */
  @Property({ type: 'string', length: 512, nullable: true })
  emailFrom: string | null = null;

  @Property({ type: 'string', length: 998, nullable: true })
  subject: string | null = null;

  /** sanitized HTML */
  @Property({ type: 'text' })
  body: Opt<string> = '';

  /** plain-text excerpt for lists */
  @Property({ type: 'string', length: 256 })
  preview: Opt<string> = '';

  /** RFC 5322 Message-ID with angle brackets */
  @Property({ type: 'string', length: 998, unique: true })
  messageId!: string;

  @ManyToOne(() => Message, { nullable: true, deleteRule: 'set null' })
  parent: Message | null = null;

  @Property({ type: 'boolean' })
  isInternal: Opt<boolean> = false;

  /** To/Cc of an inbound mail, as addresses; their owners are not emailed again */
  @Property({ type: 'json', nullable: true })
  incomingTo: string[] | null = null;

  @Property({ type: 'json', nullable: true })
  incomingCc: string[] | null = null;

  /** quoted history trimmed from an inbound body, kept (sanitized HTML) */
  @Property({ type: 'text', nullable: true, lazy: true })
  trimmedBody: string | null = null;

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();
}
