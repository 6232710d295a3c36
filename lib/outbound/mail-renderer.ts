import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { AttachmentService } from '../attachment/attachment.service.js';
import { Attachment } from '../entities/attachment.entity.js';
import { Message } from '../entities/message.entity.js';
import { ModelRegistry, coercePk } from '../model-registry.js';
import type { Envelope } from '../transport/mail-transports.js';
import type { MimeAttachment, MimeMail } from '../transport/mime-composer.js';
import { bounceAddress } from './bounce-address.js';
import { defaultLayout } from './default-layout.js';
import { htmlToText } from './html-to-text.js';
import { OutboundConfig } from './outbound.config.js';
import type { OutboxRow } from './outbox-store.js';
import type { MailLayoutContext } from './outgoing.options.js';
import { addressOf, nameOf } from './sender-identity.js';
import { threadHeaders } from './thread-headers.js';
import { signUnfollowToken, unfollowUrl } from './unfollow-token.js';

/** What every mail about one message shares, loaded once per message and kept for the next batches. */
interface MessageContext {
  message: Message;
  recordName: string;
  recordUrl?: string;
  /** Message-ID, In-Reply-To, References, X-Chatter-Objects, Auto-Submitted */
  headers: Record<string, string>;
  /** the same objects for every recipient: their encoded form is computed once */
  attachments: (MimeAttachment & { size: number })[];
}

/** One mail ready for a transport. */
export interface RenderedOutgoingMail {
  mail: MimeMail;
  envelope: Envelope;
}

const CACHE_SIZE = 32;

/**
 * Turns outbox rows into nodemailer messages: the body through the model's layout (or the row's own body), the text
 * part, attachments (inline images keep their `cid:`), the thread headers as they were stored and the
 * VERP envelope sender.
 */
@Injectable()
export class MailRenderer {
  private readonly contexts = new Map<number, MessageContext>();

  constructor(
    private readonly config: OutboundConfig,
    private readonly models: ModelRegistry,
    private readonly attachments: AttachmentService,
  ) {}

  /** loads what the rows' messages share (message, record name and URL, attachment bytes), once per message */
  async prepare(em: EntityManager, rows: OutboxRow[]): Promise<void> {
    const missing = [...new Set(rows.filter((r) => r.message !== null).map((r) => r.message!))].filter((id) => !this.contexts.has(id));
    if (missing.length === 0) return;
    const messages = await em.find(Message, { id: { $in: missing } }, { populate: ['author'] });
    const files = await em.find(Attachment, { message: { $in: missing } }, { orderBy: { id: 'asc' } });
    for (const message of messages) {
      const ref = { model: message.resModel, id: message.resId };
      const model = this.models.find(ref.model);
      const record = model ? await em.findOne(model.entity as never, { [model.meta.primaryKeys[0]]: coercePk(model, ref.id) } as never).catch(() => null) : null;
      const recordName = model && record ? this.models.displayName(model, record) : `${ref.model} #${ref.id}`;
      const recordUrl = record ? this.config.recordUrl?.(ref, record) : undefined;
      const attachments = [];
      for (const file of files.filter((f) => f.message?.id === message.id)) {
        const content = await this.attachments.storage.get(em, file);
        const inline = !!file.cid && message.body.includes(`cid:${file.cid}`);
        attachments.push({ filename: file.name, content, contentType: file.mimetype, ...(inline ? { cid: file.cid! } : {}), size: file.size });
      }
      const system = !message.author || message.messageType === 'notification' || message.messageType === 'tracking';
      const headers = await threadHeaders(em, message, { system });
      this.remember(message.id, { message, recordName, recordUrl, attachments, headers });
    }
  }

  /** the mail for one row (after `prepare`) */
  async render(row: OutboxRow): Promise<RenderedOutgoingMail> {
    const to = addressOf(row.emailTo);
    const ctx = row.message !== null ? this.contexts.get(row.message) : undefined;
    if (row.message !== null && !ctx) throw new Error(`message ${row.message} of outgoing mail ${row.id} was not prepared (deleted?)`);
    const { 'Message-ID': messageId, ...headers } = { ...ctx?.headers, ...row.headers };
    let html: string;
    let text: string;
    let attachments: MimeAttachment[] = [];
    if (row.bodyHtml !== null || !ctx) {
      html = row.bodyHtml ?? '';
      text = row.bodyText ?? htmlToText(html);
    } else {
      const body = await (this.config.layoutFor(row.resModel) ?? defaultLayout)(this.layoutContext(row, ctx, to));
      html = body.html;
      text = body.text ?? htmlToText(body.html);
      attachments = ctx.attachments;
    }
    const domain = this.config.domain;
    return {
      mail: {
        from: row.emailFrom,
        to: row.emailTo,
        replyTo: row.replyTo,
        subject: row.subject,
        messageId: messageId ?? `<outgoing-${row.id}.${row.createdAt.getTime()}@${domain.name}>`,
        headers,
        html,
        text,
        attachments,
      },
      envelope: { from: row.mailFrom ?? bounceAddress(row.id, domain.name, this.config.secret, domain.bounce), to: [to] },
    };
  }

  private layoutContext(row: OutboxRow, ctx: MessageContext, to: string): MailLayoutContext {
    const m = ctx.message;
    const base = this.config.baseUrl();
    const partnerId = row.partner;
    return {
      model: m.resModel,
      resId: m.resId,
      recordName: ctx.recordName,
      subject: row.subject,
      message: { id: m.id, type: m.messageType, isInternal: m.isInternal, createdAt: m.createdAt, subject: m.subject },
      bodyHtml: m.body,
      author: m.author ? { name: m.author.name, email: m.author.email } : null,
      recipient: { partnerId, name: nameOf(row.emailTo) || to, email: to },
      attachments: ctx.attachments.map((a) => ({ name: a.filename, mimetype: a.contentType, size: a.size, inline: !!a.cid })),
      recordUrl: ctx.recordUrl,
      unfollowUrl:
        base && partnerId !== null ? unfollowUrl(base, signUnfollowToken({ model: m.resModel, id: m.resId, partnerId }, this.config.secret)) : undefined,
    };
  }

  private remember(id: number, ctx: MessageContext): void {
    this.contexts.delete(id);
    this.contexts.set(id, ctx);
    while (this.contexts.size > CACHE_SIZE) this.contexts.delete(this.contexts.keys().next().value!);
  }
}
