import type { Opt } from '@mikro-orm/core';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

/** Who may write to an alias: anyone, known partners only, or followers (Odoo's `alias_contact`). */
export type AliasContactPolicy = 'everyone' | 'partners' | 'followers';
export const ALIAS_CONTACT_POLICIES: readonly AliasContactPolicy[] = ['everyone', 'partners', 'followers'];

/**
 * A stored inbound alias (Odoo's `mail.alias`): `name@domain` creates records of `model` (or posts on a forced thread).
 * Aliases can also be declared in code with `@Chatter({ alias })`; a stored one with the same address wins.
 */
@Entity({ tableName: 'chatter_alias' })
@Unique({ name: 'chatter_alias_address_uniq', properties: ['name', 'domain'] })
export class Alias {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** the local part, lower-cased, e.g. `support` */
  @Property({ type: 'string', length: 128 })
  name!: string;

  /** lower-cased; empty: the default (first) domain */
  @Property({ type: 'string', length: 255 })
  domain: Opt<string> = '';

  /** the `@Chatter({ model })` of the records it creates */
  @Property({ type: 'string', length: 128 })
  model!: string;

  /** values for new records, before subject and sender are filled in */
  @Property({ type: 'json', nullable: true })
  defaults: Opt<Record<string, unknown>> | null = null;

  /** post every mail on this record instead of creating one */
  @Property({ type: 'string', length: 64, nullable: true })
  forceThreadId: string | null = null;

  @Enum({ items: [...ALIAS_CONTACT_POLICIES], length: 16 })
  contactPolicy: Opt<AliasContactPolicy> = 'everyone';

  /** match the local part on any domain (`support@` of a domain we do not list) */
  @Property({ type: 'boolean' })
  localPartOnly: Opt<boolean> = false;

  /** the text sent to refused senders; a polite default otherwise */
  @Property({ type: 'text', nullable: true })
  bounceMessage: string | null = null;

  @Property({ type: 'boolean' })
  active: Opt<boolean> = true;

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();
}
