import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique, Index } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Message } from './message.entity.js';
import { Partner } from './partner.entity.js';

export type NotificationType = 'inbox' | 'email';
export type NotificationStatus = 'ready' | 'sent' | 'bounce' | 'exception' | 'canceled';
export type NotificationFailureType = 'mail_smtp' | 'mail_email_invalid' | 'mail_email_missing' | 'mail_bounce' | 'unknown';

/** A message delivered to one partner: in their inbox, or by email (Odoo's `mail.notification`). */
@Entity({ tableName: 'chatter_notification' })
@Unique({ properties: ['message', 'partner'] })
@Index({ properties: ['partner', 'isRead'] })
export class Notification {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne(() => Message, { deleteRule: 'cascade' })
  message!: Message;

  @ManyToOne(() => Partner, { deleteRule: 'cascade' })
  partner!: Partner;

  @Enum({ items: ['inbox', 'email'], length: 8 })
  notificationType!: NotificationType;

  @Enum({ items: ['ready', 'sent', 'bounce', 'exception', 'canceled'], length: 16 })
  status: Opt<NotificationStatus> = 'ready';

  @Property({ type: 'string', length: 32, nullable: true })
  failureType: NotificationFailureType | null = null;

  @Property({ type: 'text', nullable: true })
  failureReason: string | null = null;

  @Property({ type: 'boolean' })
  isRead: Opt<boolean> = false;

  @Property({ type: 'Date', nullable: true })
  readAt: Date | null = null;

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();
}
