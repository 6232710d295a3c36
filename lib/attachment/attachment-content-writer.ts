import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MikroORM, type EventArgs, type EventSubscriber } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { Attachment } from '../entities/attachment.entity.js';
import { takeUnwrittenContent } from './database-attachment-storage.js';

/**
 * Writes the bytes of an attachment kept in the database right after its row's INSERT, in the same transaction, as a
 * bound parameter. Through the unit of work they would be inlined into the INSERT's text as hex: for a batch of mail
 * with a few MB of attachments that doubled what crossed to PostgreSQL and was its largest single cost.
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

  async afterCreate({ entity, em, meta }: EventArgs<Attachment>): Promise<void> {
    const content = takeUnwrittenContent(entity);
    if (!content) return;
    const column = (field: keyof Attachment) => meta!.properties[field].fieldNames[0];
    // the flush runs in its transaction and has set it on `em`
    await (em as SqlEntityManager)
      .getKysely<any>()
      .updateTable(meta!.tableName)
      .set({ [column('content')]: content })
      .where(column('id'), '=', entity.id)
      .execute();
  }
}
