import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

/** A kind of planned work (Odoo's `mail.activity.type`): To-Do, Call, Meeting… with a default delay for the deadline. */
@Entity({ tableName: 'chatter_activity_type' })
@Unique({ properties: ['name', 'resModel'] })
export class ActivityType {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  name!: string;

  /** the summary an activity of this type gets when it is scheduled without one */
  @Property({ type: 'string', length: 256, nullable: true })
  summary: string | null = null;

  /** a new activity is due this many days after the day it is scheduled */
  @Property({ type: 'integer' })
  delayDays: Opt<number> = 0;

  /** null: offered on every model */
  @Property({ type: 'string', length: 128, nullable: true })
  resModel: string | null = null;

  @Property({ type: 'integer' })
  sequence: Opt<number> = 10;

  @Property({ type: 'boolean' })
  active: Opt<boolean> = true;
}

/** Built-in activity types, created at boot when missing (Odoo's defaults). */
export const BUILTIN_ACTIVITY_TYPES = {
  todo: { name: 'To-Do', delayDays: 5, sequence: 0 },
  email: { name: 'Email', delayDays: 2, sequence: 10 },
  call: { name: 'Call', delayDays: 2, sequence: 20 },
  meeting: { name: 'Meeting', delayDays: 0, sequence: 30 },
} as const;
export type BuiltinActivityType = keyof typeof BUILTIN_ACTIVITY_TYPES;
