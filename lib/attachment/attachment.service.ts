import { BadRequestException, Injectable, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { MikroORM, type EntityManager } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import { Attachment } from '../entities/attachment.entity.js';
import type { Message } from '../entities/message.entity.js';
import { ModelRegistry, type ThreadRef } from '../model-registry.js';
import type { AttachmentStorage } from './attachment-storage.js';

/** A file to store: its bytes and how to present it (`cid` for an inline image, without angle brackets). */
export interface NewAttachment {
  name: string;
  content: Buffer;
  mimetype?: string;
  cid?: string | null;
}

/**
 * Attachments of records and messages, their bytes kept by the configured `AttachmentStorage`.
 * An upload lands on the record first (no message); posting with `attachmentIds` moves it onto the message
 * (Odoo's composer does the same with its temporary attachments).
 */
@Injectable()
export class AttachmentService {
  constructor(
    private readonly orm: MikroORM,
    private readonly config: ChatterConfig,
    private readonly models: ModelRegistry,
  ) {}

  get storage(): AttachmentStorage {
    return this.config.attachments.storage;
  }

  /** the largest upload, in bytes */
  get maxBytes(): number {
    return this.config.attachments.maxBytes;
  }

  /** A new row on the record (and on `message` when given), its bytes stored now; persisted with `em`, not flushed. */
  async create(em: EntityManager, ref: ThreadRef, file: NewAttachment, message: Message | null = null): Promise<Attachment> {
    if (!Buffer.isBuffer(file.content)) throw new BadRequestException(`attachment "${file.name}" has no content`);
    const attachment = em.create(Attachment, {
      resModel: ref.model,
      resId: ref.id,
      message,
      name: cleanName(file.name),
      mimetype: cleanMimetype(file.mimetype),
      size: file.content.length,
      cid: file.cid ? file.cid.replace(/^<|>$/g, '').slice(0, 255) : null,
      checksum: createHash('sha256').update(file.content).digest('hex'),
    });
    await this.storage.put(attachment, file.content);
    em.persist(attachment);
    return attachment;
  }

  /** Stores an uploaded file on a record, not yet on a message. Enforces the size limit (413). */
  async upload(ref: ThreadRef, file: NewAttachment): Promise<Attachment> {
    if (file.content.length > this.maxBytes) throw new PayloadTooLargeException(`attachment is larger than ${this.maxBytes} bytes`);
    const em = this.orm.em.fork();
    await this.models.load(em, ref);
    const attachment = await this.create(em, ref, file);
    await em.flush();
    return attachment;
  }

  /**
   * Moves uploaded attachments onto `message`: each must be on the same record and on no message yet, so a post can
   * never pick up another record's (or another message's) files.
   */
  async claim(em: EntityManager, ref: ThreadRef, ids: number[], message: Message): Promise<Attachment[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    if (unique.some((id) => !Number.isSafeInteger(id))) throw new BadRequestException('attachmentIds must be attachment ids');
    const found = await em.find(Attachment, { id: { $in: unique }, resModel: ref.model, resId: ref.id, message: null });
    const missing = unique.filter((id) => !found.some((a) => a.id === id));
    if (missing.length) throw new BadRequestException(`attachment(s) ${missing.join(', ')} are not uploads waiting on ${ref.model} ${ref.id}`);
    for (const attachment of found) attachment.message = message;
    return found;
  }

  /** every attachment of a record (on its messages or uploaded on it), oldest first */
  async list(ref: ThreadRef): Promise<Attachment[]> {
    const em = this.orm.em.fork();
    await this.models.load(em, ref);
    return em.find(Attachment, { resModel: ref.model, resId: ref.id }, { orderBy: { id: 'asc' }, populate: ['message'] });
  }

  /** an attachment and its bytes; 404 when unknown */
  async open(id: number): Promise<{ attachment: Attachment; content: Buffer }> {
    const em = this.orm.em.fork();
    const attachment = await em.findOne(Attachment, id);
    if (!attachment) throw new NotFoundException(`attachment ${id} not found`);
    return { attachment, content: await this.storage.get(em, attachment) };
  }

  /** the inline image `cid:<cid>` of a message; 404 when it has none */
  async openInline(messageId: number, cid: string): Promise<{ attachment: Attachment; content: Buffer }> {
    const em = this.orm.em.fork();
    const attachment = await em.findOne(Attachment, { message: messageId, cid: cid.replace(/^<|>$/g, '') });
    if (!attachment) throw new NotFoundException(`message ${messageId} has no inline image "${cid}"`);
    return { attachment, content: await this.storage.get(em, attachment) };
  }

  /** Deletes an attachment: the row, then the bytes kept outside the database. */
  async remove(id: number): Promise<void> {
    const em = this.orm.em.fork();
    const attachment = await em.findOne(Attachment, id);
    if (!attachment) throw new NotFoundException(`attachment ${id} not found`);
    const key = attachment.storageKey;
    await em.remove(attachment).flush();
    if (key) await this.storage.delete(key);
  }

  /** Removes the stored bytes of rows already deleted (keys read before the delete). Missing files are fine. */
  async deleteStored(keys: string[]): Promise<void> {
    for (const key of keys) await this.storage.delete(key);
  }
}

/** a file name without path parts or control characters, never empty */
function cleanName(name: string | undefined): string {
  const base = String(name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean || 'attachment';
}

/** a `type/subtype` MIME type, else `application/octet-stream` (a client's Content-Type is only a hint) */
function cleanMimetype(mimetype: string | undefined): string {
  const value = String(mimetype ?? '').split(';')[0].trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(value) ? value : 'application/octet-stream';
}
