import type { EntityManager } from '@mikro-orm/core';
import type { Attachment } from '../entities/attachment.entity.js';
import { AttachmentStorage, contentFromRow } from './attachment-storage.js';

/**
 * the bytes of new rows, until `AttachmentContentWriter` writes them right after each row's INSERT: the ORM would
 * inline them into that INSERT's text as hex (twice their size, then parsed back by the database)
 */
const unwritten = new WeakMap<Attachment, Buffer>();

/** Bytes in the attachment row (`chatter_attachment.content`): no extra moving part; the default. */
export class DatabaseAttachmentStorage extends AttachmentStorage {
  readonly kind = 'database';

  async put(attachment: Attachment, content: Buffer): Promise<void> {
    unwritten.set(attachment, content);
    attachment.storageKey = null;
  }

  async get(em: EntityManager, attachment: Attachment): Promise<Buffer> {
    const pending = unwritten.get(attachment);
    return pending ? Buffer.from(pending) : contentFromRow(em, attachment);
  }

  async delete(): Promise<void> {
    // the bytes go with the row
  }
}

/** the bytes `put` kept for a row just inserted, once: the caller writes them into the row */
export function takeUnwrittenContent(attachment: Attachment): Buffer | undefined {
  const content = unwritten.get(attachment);
  unwritten.delete(attachment);
  return content;
}
