import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Chatter } from '../lib/index.js';

/** A sales lead (Odoo's `crm.lead`, in small). */
@Chatter({ model: 'lead', track: ['stage', 'expectedRevenue'], primaryEmail: 'contactEmail', alias: { name: 'sales' } })
@Entity({ tableName: 'lead' })
export class Lead {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 512 })
  name!: string;

  @Property({ type: 'string', length: 32 })
  stage: Opt<string> = 'new';

  @Property({ type: 'float', nullable: true })
  expectedRevenue: number | null = null;

  @Property({ type: 'string', length: 320, nullable: true })
  contactEmail: string | null = null;

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();
}
