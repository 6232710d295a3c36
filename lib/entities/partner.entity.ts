import { Entity, PrimaryKey, Property, Enum, Index } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

export type NotificationPreference = 'email' | 'inbox';

/** A contact (Odoo's `res.partner`): a host user when `userId` is set, else a customer. */
@Entity({ tableName: 'chatter_partner' })
export class Partner {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** normalized: trimmed, lower-cased */
  @Property({ type: 'string', length: 320, unique: true })
  email!: string;

  @Property({ type: 'string', length: 256 })
  name!: string;

  /** the host's user id; null for customers (Odoo's "share" partners) */
  @Index()
  @Property({ type: 'string', length: 128, nullable: true })
  userId: string | null = null;

  @Enum({ items: ['email', 'inbox'], length: 8 })
  notificationPreference: Opt<NotificationPreference> = 'email';

  @Property({ type: 'integer' })
  bounceCount: Opt<number> = 0;

  @Property({ type: 'boolean' })
  blacklisted: Opt<boolean> = false;

  @Property({ type: 'boolean' })
  active: Opt<boolean> = true;

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();

  /** internal users see notes and internal subtypes; customers never do */
  get isInternal(): Opt<boolean> {
    return this.userId !== null;
  }
}
