import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { InboundEmail } from '../entities/inbound-email.entity.js';
import { InboundConfig } from '../gateway/inbound-config.js';
import type { InboundMail } from '../gateway/inbound-mail.js';
import { OutboxService } from '../outbound/outbox.service.js';
import { textToHtml } from '../thread/html.js';
import type { RoutingLookups } from './routing-lookups.js';

const DAY_MS = 24 * 60 * 60_000;

/**
 * Answers a refused sender through the outbox (same transaction as the ledger update), at most once per sender per
 * day, and never a bounce, an auto-reply, a mail system or a mail with an empty Return-Path — so two robots cannot
 * ping-pong. Returns why it did not answer, or undefined when it did.
 */
@Injectable()
export class SenderAnswers {
  constructor(
    private readonly config: InboundConfig,
    private readonly outbox: OutboxService,
  ) {}

  async answer(em: EntityManager, lookups: RoutingLookups, row: InboundEmail, mail: InboundMail, text: string): Promise<string | undefined> {
    if (!this.config.answerRefusals) return 'answers are off';
    if (!mail.sender) return 'no sender address';
    if (mail.bounce) return 'a bounce is never answered';
    if (mail.autoReply) return 'an auto-reply is never answered';
    if (mail.fromDaemon || mail.nullReturnPath) return 'a mail system is never answered';
    const since = new Date(Date.now() - DAY_MS);
    const recent = lookups.wasAnswered(mail.sender) || (await em.count(InboundEmail, { sender: mail.sender, answeredAt: { $gte: since }, id: { $ne: row.id } })) > 0;
    if (recent) return `${mail.sender} was already answered today`;
    this.outbox.queue(em, {
      to: mail.sender,
      subject: `Not delivered: ${mail.subject || '(no subject)'}`.slice(0, 900),
      html: textToHtml(text),
      text,
      autoSubmitted: false,
      headers: { 'Auto-Submitted': 'auto-replied', 'In-Reply-To': mail.messageId, References: mail.messageId, 'X-Chatter-Inbound': String(row.id) },
    });
    row.answeredAt = new Date();
    lookups.rememberAnswered(mail.sender);
    return undefined;
  }
}
