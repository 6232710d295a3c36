import type { EntityManager } from '@mikro-orm/core';
import type { Attachment } from '../entities/attachment.entity.js';
import { AttachmentStorage, contentFromRow } from './attachment-storage.js';

/** Bytes in the attachment row (`chatter_attachment.content`): no extra moving part; the default. */
export class DatabaseAttachmentStorage extends AttachmentStorage {
  readonly kind = 'database';

  async put(attachment: Attachment, content: Buffer): Promise<void> {
    attachment.content = content;
    attachment.storageKey = null;
  }

  get(em: EntityManager, attachment: Attachment): Promise<Buffer> {
    return contentFromRow(em, attachment);
  }

  async delete(): Promise<void> {
    // the bytes go with the row
  }
}
