import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

/** What kind of message a follower wants to hear about (Odoo's `mail.message.subtype`). */
@Entity({ tableName: 'chatter_subtype' })
@Unique({ properties: ['name', 'resModel'] })
export class Subtype {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  name!: string;

  /** internal subtypes are never sent to customers */
  @Property({ type: 'boolean' })
  internal: Opt<boolean> = false;

  /** followed by default when someone starts following */
  @Property({ type: 'boolean' })
  isDefault: Opt<boolean> = false;

  /** null: applies to every model */
  @Property({ type: 'string', length: 128, nullable: true })
  resModel: string | null = null;

  @Property({ type: 'integer' })
  sequence: Opt<number> = 10;
}

/** Built-in subtypes, created at boot when missing. */
export const BUILTIN_SUBTYPES = {
  discussions: { name: 'Discussions', internal: false, isDefault: true, sequence: 0 },
  note: { name: 'Note', internal: true, isDefault: false, sequence: 100 },
  activities: { name: 'Activities', internal: true, isDefault: true, sequence: 90 },
} as const;
export type BuiltinSubtype = keyof typeof BUILTIN_SUBTYPES;
