import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MikroORM, type EntityManager, type EventArgs, type EventSubscriber } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { CompiledQuery } from 'kysely';
import { Attachment } from '../entities/attachment.entity.js';
import { chatterPlatform } from '../schema/chatter-migrator.js';
import { takeUnwrittenContent } from './database-attachment-storage.js';

/** bytes per UPDATE on PostgreSQL (a mail's attachments are bounded by the inbound size limit anyway) */
const CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * Writes the bytes of attachments kept in the database right after their rows' INSERT, in the same transaction, as
 * bound parameters. Through the unit of work they would be inlined into the INSERT's text as hex: for a batch of mail
 * with a few MB of attachments that doubled what crossed to PostgreSQL and was its largest single cost. The first
 * attachment's `afterCreate` writes the bytes of every attachment the flush inserted (the inserts all ran before it):
 * one UPDATE on PostgreSQL, not one per attachment.
 */
@Injectable()
export class AttachmentContentWriter implements EventSubscriber<Attachment>, OnModuleInit {
  constructor(private readonly orm: MikroORM) {}

  onModuleInit(): void {
    this.orm.em.getEventManager().registerSubscriber(this);
  }

  getSubscribedEntities() {
    return [Attachment];
  }

  async afterCreate({ entity, em }: EventArgs<Attachment>): Promise<void> {
    const inserted = new Set([entity]);
    for (const changeSet of em.getUnitOfWork().getChangeSets()) {
      if (changeSet.type === 'create' && changeSet.entity instanceof Attachment && changeSet.entity.id != null) inserted.add(changeSet.entity);
    }
    const rows: { id: number; content: Buffer }[] = [];
    for (const attachment of inserted) {
      const content = takeUnwrittenContent(attachment);
      if (content) rows.push({ id: attachment.id, content });
    }
    if (rows.length) await writeContents(em, rows);
  }
}

/** `rows`' bytes into their rows, through `em`'s transaction (the flush has set it) */
async function writeContents(em: EntityManager, rows: { id: number; content: Buffer }[]): Promise<void> {
  const meta = em.getMetadata().get(Attachment);
  const q = (name: string) => em.getPlatform().quoteIdentifier(name);
  const [table, id, content] = [q(meta.tableName), q(meta.properties.id.fieldNames[0]), q(meta.properties.content.fieldNames[0])];
  const kysely = (em as SqlEntityManager).getKysely<any>();
  if (chatterPlatform(em) === 'sqlite') {
    // in process: small statements cost nothing to send
    for (const row of rows) await kysely.executeQuery(CompiledQuery.raw(`update ${table} set ${content} = ? where ${id} = ?`, [row.content, row.id]));
    return;
  }
  for (let i = 0; i < rows.length; ) {
    const params: unknown[] = [];
    const values: string[] = [];
    for (let bytes = 0; i < rows.length && (values.length === 0 || bytes + rows[i].content.length <= CHUNK_BYTES); i++) {
      bytes += rows[i].content.length;
      params.push(rows[i].id, rows[i].content);
      values.push(values.length ? `($${params.length - 1}, $${params.length})` : `(cast($1 as integer), cast($2 as bytea))`);
    }
    const text = `update ${table} as t set ${content} = v.content from (values ${values.join(', ')}) as v(id, content) where t.${id} = v.id`;
    await kysely.executeQuery(CompiledQuery.raw(text, params));
  }
}
