import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { InboundEmail } from '../entities/inbound-email.entity.js';
import type { Message } from '../entities/message.entity.js';
import { Partner } from '../entities/partner.entity.js';
import { BounceRecorder } from '../router/bounce-recorder.js';
import { InboundRouter } from '../router/inbound-router.js';
import { MailDelivery } from '../router/mail-delivery.js';
import type { RoutingLookups } from '../router/routing-lookups.js';
import { SenderAnswers } from '../router/sender-answers.js';
import type { InboundMail } from './inbound-mail.js';

/** The ledger columns processing sets when a mail ends. */
export type InboundResult = Pick<
  InboundEmail,
  'status' | 'decision' | 'reason' | 'error' | 'processedAt' | 'sender' | 'subject' | 'autoReply' | 'resModel' | 'resId' | 'postedMessageId' | 'answeredAt'
>;

/** What one mail did: the row's final values, and what to announce once the transaction commits. */
export interface HandledMail {
  result: InboundResult;
  posted: Message[];
  answered: boolean;
}

/**
 * One parsed mail, inside the caller's transaction: route it, apply a bounce, post it where it goes, answer the
 * sender; returns the row's final status and reason, which the caller writes with the rest of its batch.
 */
@Injectable()
export class InboundMailHandler {
  constructor(
    private readonly router: InboundRouter,
    private readonly delivery: MailDelivery,
    private readonly bounces: BounceRecorder,
    private readonly answers: SenderAnswers,
  ) {}

  async handle(em: EntityManager, lookups: RoutingLookups, row: InboundEmail, mail: InboundMail): Promise<HandledMail> {
    const decision = await this.router.route({ em, row, mail, lookups });
    let reason = decision.reason;
    const posted: Message[] = [];
    let thread: { model: string; id: string } | undefined;
    if (decision.bounce && decision.status === 'bounced') {
      const recorded = await this.bounces.record(em, decision.bounce, lookups);
      reason = recorded.reason;
      lookups.rememberBounced(recorded.partners);
    } else if (mail.sender && !mail.bounce && lookups.mayHaveBounced(mail.sender)) {
      // any other mail from an address proves it works again
      await em.nativeUpdate(Partner, { email: mail.sender, bounceCount: { $gt: 0 } }, { bounceCount: 0 });
    }
    if (decision.targets?.length) {
      const author = await this.delivery.author(em, mail);
      for (const [i, target] of decision.targets.entries()) {
        const { ref, message } = await this.delivery.deliver(em, lookups, mail, target, author, i === 0);
        posted.push(message);
        thread ??= ref;
        // "alias support@example.test → new ticket" becomes "… → new ticket 7"
        if (target.kind === 'new' && !target.forcedThread) reason = reason.replace(target.via, `${target.via} ${ref.id}`);
      }
      if (mail.autoReply) reason += ` (auto-reply, ${mail.autoReplyReason}: nobody notified)`;
    }
    let answered = false;
    if (decision.answer) {
      const notAnswered = await this.answers.answer(em, lookups, row, mail, decision.answer);
      reason += notAnswered ? ` (not answered: ${notAnswered})` : ' (sender answered)';
      answered = !notAnswered;
    }
    await em.flush();
    const result: InboundResult = {
      status: decision.status,
      decision: decision.rule,
      reason,
      error: null,
      processedAt: new Date(),
      sender: mail.sender,
      subject: mail.subject.slice(0, 998) || null,
      autoReply: mail.autoReply,
      resModel: thread?.model ?? null,
      resId: thread?.id ?? null,
      postedMessageId: posted[0]?.id ?? null,
      answeredAt: row.answeredAt,
    };
    return { result, posted, answered };
  }
}
