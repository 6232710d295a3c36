import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';

/**
 * A named email template for a model (Odoo's `mail.template`): `subject` and `body` are Liquid sources rendered
 * from the record in a sandbox. A template without a model serves every model.
 */
@Entity({ tableName: 'chatter_mail_template' })
@Unique({ properties: ['name', 'resModel'] })
export class MailTemplate {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  name!: string;

  /** null: any model */
  @Property({ type: 'string', length: 128, nullable: true })
  resModel: string | null = null;

  /** Liquid source of the subject (plain text) */
  @Property({ type: 'text' })
  subject: Opt<string> = '';

  /** Liquid source of the body (HTML; values are escaped unless piped through `raw`) */
  @Property({ type: 'text' })
  body: Opt<string> = '';

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'Date', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
