import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MikroORM, type ChangeSet, type EventArgs, type EventSubscriber } from '@mikro-orm/core';
import { Attachment } from '../entities/attachment.entity.js';
import { Message } from '../entities/message.entity.js';
import { chatterPlatform } from './chatter-migrator.js';
import { updateRows, type RowUpdate } from './row-updates.js';

/** the columns that can be large: a mail's bodies, an attachment's bytes */
const LARGE_PROPERTIES = new Map<Function, string[]>([
  [Message, ['body', 'trimmedBody']],
  [Attachment, ['content']],
]);

/** a text from this size on is held out of the INSERT on PostgreSQL (bytes always are) */
const LARGE_TEXT = 16 * 1024;

/** an entity's values held out of its INSERT, until its `afterCreate` */
const heldOut = new WeakMap<object, Record<string, unknown>>();

/**
 * Writes large column values as bound parameters, right after their row's INSERT and in the same transaction. The
 * ORM inlines every value into the statement's text: bytes as hex (twice their size), and PostgreSQL parses a long
 * literal slowly — a 1.4 MB mail body (with its trimmed copy) took 150–190 ms to insert that way, 15–20 ms bound.
 * `beforeCreate` empties those values (the INSERT writes the empty value); the first `afterCreate` of the flush for
 * such a row (all rows of its entity are inserted by then) puts them back, on the entities and in their snapshots,
 * and writes them together (`updateRows`).
 */
@Injectable()
export class LargeValueWriter implements EventSubscriber, OnModuleInit {
  private readonly postgres: boolean;

  constructor(private readonly orm: MikroORM) {
    this.postgres = chatterPlatform(orm) === 'postgresql';
  }

  onModuleInit(): void {
    this.orm.em.getEventManager().registerSubscriber(this);
  }

  getSubscribedEntities() {
    return [...LARGE_PROPERTIES.keys()] as never;
  }

  beforeCreate({ entity, meta }: EventArgs<any>): void {
    const held: Record<string, unknown> = {};
    for (const prop of LARGE_PROPERTIES.get(meta!.class) ?? []) {
      const value = entity[prop];
      if (!(Buffer.isBuffer(value) ? value.length > 0 : this.postgres && typeof value === 'string' && value.length >= LARGE_TEXT)) continue;
      held[prop] = value;
      entity[prop] = meta!.properties[prop].nullable ? null : '';
    }
    if (Object.keys(held).length) heldOut.set(entity, held);
  }

  async afterCreate({ entity, em, meta }: EventArgs<any>): Promise<void> {
    // the first entity of the flush with held values writes them all; the others find theirs written (and a flush
    // of many rows without large values does not scan its change sets once per row)
    if (!heldOut.has(entity)) return;
    const rows: RowUpdate[] = [];
    for (const changeSet of em.getUnitOfWork().getChangeSets() as ChangeSet<any>[]) {
      const held = changeSet.meta.class === meta!.class ? heldOut.get(changeSet.entity) : undefined;
      if (!held || changeSet.entity.id == null) continue;
      heldOut.delete(changeSet.entity);
      // the entity keeps its values, and its snapshot (the INSERT's payload) agrees, so no later flush rewrites them
      Object.assign(changeSet.entity, held);
      Object.assign(changeSet.payload, held);
      rows.push({ id: changeSet.entity.id, values: held });
    }
    if (rows.length) await updateRows(em, meta!, rows);
  }
}
