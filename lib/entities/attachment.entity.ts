import { Entity, ManyToOne, PrimaryKey, Property, Index } from '@mikro-orm/decorators/legacy';
import type { Opt } from '@mikro-orm/core';
import { Message } from './message.entity.js';

/** A file on a record, usually carried by a message; `cid` keeps inline images working. */
@Entity({ tableName: 'chatter_attachment' })
@Index({ properties: ['resModel', 'resId'] })
export class Attachment {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 128 })
  resModel!: string;

  @Property({ type: 'string', length: 64 })
  resId!: string;

  @ManyToOne(() => Message, { nullable: true, deleteRule: 'cascade' })
  message: Message | null = null;

  @Property({ type: 'string', length: 512 })
  name!: string;

  @Property({ type: 'string', length: 255 })
  mimetype: Opt<string> = 'application/octet-stream';

  @Property({ type: 'integer' })
  size!: number;

  /** bytes kept in the database; null when stored elsewhere under `storageKey` */
  @Property({ type: 'blob', nullable: true, lazy: true })
  content: Buffer | null = null;

  @Property({ type: 'string', length: 512, nullable: true })
  storageKey: string | null = null;

  /** Content-ID of an inline image (without angle brackets) */
  @Property({ type: 'string', length: 255, nullable: true })
  cid: string | null = null;

  /** sha256, hex */
  @Property({ type: 'string', length: 64 })
  checksum!: string;

  @Property({ type: 'Date' })
  createdAt: Opt<Date> = new Date();
}
