import type { EntityManager } from '@mikro-orm/core';
import { Attachment } from '../entities/attachment.entity.js';

/**
 * Where attachment bytes live. `put` fills a new (not yet flushed) row: either its `content` (the database) or its
 * `storageKey` (anywhere else). `get` reads them back; `delete` removes what lives outside the row (the row itself is
 * the caller's). Rows written before a switch of storage keep working: a row without `storageKey` is read from
 * its `content`.
 */
export abstract class AttachmentStorage {
  abstract readonly kind: string;
  abstract put(attachment: Attachment, content: Buffer): Promise<void>;
  abstract get(em: EntityManager, attachment: Attachment): Promise<Buffer>;
  abstract delete(storageKey: string): Promise<void>;
}

/** the bytes kept in the row itself (a lazy column, loaded on demand) */
export async function contentFromRow(em: EntityManager, attachment: Attachment): Promise<Buffer> {
  if (attachment.content) return Buffer.from(attachment.content);
  const row = await em.findOne(Attachment, attachment.id, { populate: ['content'] as never, refresh: true });
  if (!row?.content) throw new Error(`attachment ${attachment.id} has no content`);
  return Buffer.from(row.content);
}
