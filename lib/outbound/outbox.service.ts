import { Injectable } from '@nestjs/common';
import { wrap, type EntityManager } from '@mikro-orm/core';
import { Alias } from '../entities/alias.entity.js';
import type { Message } from '../entities/message.entity.js';
import { OutgoingMail } from '../entities/outgoing-mail.entity.js';
import type { Partner } from '../entities/partner.entity.js';
import type { RecipientPartner } from './recipients.js';
import { ModelRegistry, type ThreadRef } from '../model-registry.js';
import { bulkInsert } from '../schema/bulk-insert.js';
import { OutboundConfig } from './outbound.config.js';
import { signReplyAddress } from './reply-address.js';
import { formatAddress, notificationFrom } from './sender-identity.js';

/** A mail that is not a message notification (auto-replies, bounce notices, digests), sent through the same outbox. */
export interface StandaloneMail {
  to: string | { email: string; name?: string };
  subject: string;
  html: string;
  /** derived from the HTML when missing */
  text?: string;
  /** default: the system's notifications address */
  from?: string;
  replyTo?: string;
  /** extra headers, written as they are (single lines) */
  headers?: Record<string, string>;
  /** `Auto-Submitted: auto-generated` (default true: the system wrote it) */
  autoSubmitted?: boolean;
  thread?: ThreadRef;
  partner?: Partner;
}

/** An email recipient of a message, with the notification the mail serves. */
export interface MailRecipient {
  partner: Pick<RecipientPartner, 'id' | 'name' | 'email'>;
  notificationId: number;
}

/** Writes outbox rows, in the caller's transaction: the mail exists if and only if what it announces was committed. */
@Injectable()
export class OutboxService {
  constructor(
    private readonly config: OutboundConfig,
    private readonly models: ModelRegistry,
  ) {}

  /**
   * One OutgoingMail per email recipient of `message` (which must be flushed), inserted in bulk: subject, From (after
   * the From rewrite) and a Reply-To signed for each recipient. The body and the thread headers (Message-ID,
   * References…) are the same for every recipient: they are rendered from the message at send time, once per batch.
   */
  async queueNotificationMails(em: EntityManager, message: Message, recipients: MailRecipient[]): Promise<number> {
    return (await this.queueNotificationMailsOf(em, [{ message, recipients }]))[0];
  }

  /** `queueNotificationMails` for several messages, in one insert; the mails queued for each */
  async queueNotificationMailsOf(em: EntityManager, items: { message: Message; recipients: MailRecipient[] }[]): Promise<number[]> {
    const aliases = new Map<string, string | null>();
    const stored = await this.storedAliases(em, items.filter((i) => i.recipients.length).map(({ message }) => ({ model: message.resModel, id: message.resId })));
    const perMessage: Record<string, unknown>[][] = [];
    for (const { message, recipients } of items) perMessage.push(recipients.length ? await this.notificationMails(em, message, recipients, aliases, stored) : []);
    await bulkInsert(em, OutgoingMail, perMessage.flat());
    return perMessage.map((rows) => rows.length);
  }

  /** the outbox rows of one message; `aliases`: the threads' reply addresses found so far; `stored`: their stored aliases */
  private async notificationMails(
    em: EntityManager,
    message: Message,
    recipients: MailRecipient[],
    aliases: Map<string, string | null>,
    stored: Map<string, string>,
  ): Promise<Record<string, unknown>[]> {
    const ref = { model: message.resModel, id: message.resId };
    const record = await this.models.load(em, ref);
    const recordName = this.models.displayName(this.models.get(ref.model), record);
    if (message.author && !wrap(message.author).isInitialized()) await wrap(message.author).init();
    const author = message.author ? { name: message.author.name, email: message.author.email } : null;
    const from = notificationFrom(author, this.fromRules());
    const key = `${ref.model}\0${ref.id}`;
    if (!aliases.has(key)) aliases.set(key, (await this.config.recordAlias?.(ref, record)) ?? stored.get(key) ?? null);
    const alias = aliases.get(key) ?? null;
    const { domain, secret } = this.config;
    const replyName = author?.name ?? this.config.systemName;
    const now = new Date();
    return recipients.map(({ partner, notificationId }) => ({
      resModel: ref.model,
      resId: ref.id,
      message: message.id,
      notification: notificationId,
      partner: partner.id,
      state: 'outgoing' as const,
      emailFrom: from,
      emailTo: formatAddress(partner.name, partner.email),
      replyTo: formatAddress(replyName, alias ?? signReplyAddress({ ...ref, partnerId: partner.id }, domain.name, secret, domain.catchall), 68),
      subject: oneLine(message.subject || recordName),
      // Message-ID, In-Reply-To, References…: derived from the message when it is sent (the same for every recipient)
      headers: {},
      bodyHtml: null,
      bodyText: null,
      mailFrom: null,
      attempts: 0,
      nextAttemptAt: now,
      claimedAt: null,
      claimToken: null,
      serverName: null,
      sentAt: null,
      failureType: null,
      failureReason: null,
      createdAt: now,
    }));
  }

  /** queues a standalone mail with `em` (persisted, flushed with the caller's transaction); send it with `OutboxSender.kick()` after commit */
  queue(em: EntityManager, mail: StandaloneMail): OutgoingMail {
    const to = typeof mail.to === 'string' ? mail.to : formatAddress(mail.to.name, mail.to.email);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(mail.headers ?? {})) headers[key] = oneLine(value);
    if (mail.autoSubmitted !== false) headers['Auto-Submitted'] = 'auto-generated';
    if (mail.thread) headers['X-Chatter-Objects'] = oneLine(`${mail.thread.model}-${mail.thread.id}`);
    const row = em.create(OutgoingMail, {
      resModel: mail.thread?.model ?? null,
      resId: mail.thread?.id ?? null,
      partner: mail.partner ?? null,
      emailFrom: mail.from ?? formatAddress(this.config.systemName, this.config.notificationsAddress),
      emailTo: to,
      replyTo: mail.replyTo ?? null,
      subject: oneLine(mail.subject),
      headers,
      bodyHtml: mail.html,
      bodyText: mail.text ?? null,
    });
    em.persist(row);
    return row;
  }

  /** per thread (`model\0id`), the first active stored alias that posts on that very record (`forceThreadId`), as an address */
  private async storedAliases(em: EntityManager, refs: ThreadRef[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (refs.length === 0) return out;
    const found = await em.find(
      Alias,
      { model: { $in: [...new Set(refs.map((r) => r.model))] }, forceThreadId: { $in: [...new Set(refs.map((r) => r.id))] }, active: true },
      { orderBy: { id: 'asc' } },
    );
    for (const alias of found) {
      const key = `${alias.model}\0${alias.forceThreadId}`;
      if (!out.has(key)) out.set(key, `${alias.name}@${alias.domain || this.config.domain.name}`);
    }
    return out;
  }

  private fromRules() {
    const c = this.config;
    return { servers: c.servers, notificationsAddress: c.notificationsAddress, forced: c.forcedFrom, systemName: c.systemName };
  }
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}
