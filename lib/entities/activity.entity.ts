import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { ActivityType } from './activity-type.entity.js';
import { Partner } from './partner.entity.js';

/**
 * Planned work on a record, assigned to someone (Odoo's `mail.activity`). Marking it done posts an `activity`
 * message and removes the row; its state (overdue / today / planned) is computed from `deadline`, never stored.
 */
@Entity({ tableName: 'chatter_activity' })
@Index({ properties: ['resModel', 'resId'] })
@Index({ properties: ['assignee', 'deadline'] })
export class Activity {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  resModel!: string;

  @Property({ type: 'string', length: 64 })
  resId!: string;

  @ManyToOne(() => ActivityType, { deleteRule: 'restrict' })
  activityType!: ActivityType;

  @Property({ type: 'string', length: 256, nullable: true })
  summary: string | null = null;

  /** sanitized HTML */
  @Property({ type: 'text' })
  note: Opt<string> = '';

  /** a calendar day, `YYYY-MM-DD`: a deadline has no time and no time zone */
  @Property({ type: 'date' })
  deadline!: string;

  @ManyToOne(() => Partner, { deleteRule: 'cascade' })
  assignee!: Partner;

  @ManyToOne(() => Partner, { nullable: true, deleteRule: 'set null' })
  createdBy: Partner | null = null;

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();
}
