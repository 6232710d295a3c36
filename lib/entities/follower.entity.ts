import { Collection, type Opt } from '@mikro-orm/core';
import { Entity, ManyToMany, ManyToOne, PrimaryKey, Property, Unique, Index } from '@mikro-orm/decorators/legacy';
import { Partner } from './partner.entity.js';
import { Subtype } from './subtype.entity.js';

/** A partner following a record, for some subtypes (Odoo's `mail.followers`). */
@Entity({ tableName: 'chatter_follower' })
@Unique({ properties: ['resModel', 'resId', 'partner'] })
@Index({ properties: ['partner'] })
export class Follower {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  resModel!: string;

  @Property({ type: 'string', length: 64 })
  resId!: string;

  @ManyToOne(() => Partner, { deleteRule: 'cascade' })
  partner!: Partner;

  @ManyToMany({ entity: () => Subtype, pivotTable: 'chatter_follower_subtype', joinColumn: 'follower_id', inverseJoinColumn: 'subtype_id' })
  subtypes = new Collection<Subtype>(this);

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();
}
