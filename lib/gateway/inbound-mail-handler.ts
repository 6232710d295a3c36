import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { InboundEmail } from '../entities/inbound-email.entity.js';
import type { Message } from '../entities/message.entity.js';
import { Partner } from '../entities/partner.entity.js';
import { BounceRecorder } from '../router/bounce-recorder.js';
import { InboundRouter } from '../router/inbound-router.js';
import { MailDelivery, type DeferredWrites, type PreparedTarget } from '../router/mail-delivery.js';
import type { ThreadRef } from '../model-registry.js';
import type { RouteDecision } from '../router/route.js';
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

/** A routed mail whose new partner and records are persisted, waiting for the batch's flush to be delivered. */
export interface PlannedMail {
  row: InboundEmail;
  mail: InboundMail;
  decision: RouteDecision;
  author: Partner | null;
  targets: PreparedTarget[];
}

/**
 * One parsed mail, inside the caller's transaction, in two steps so that a batch writes in a few flushes:
 * `plan` routes it and persists what it creates (the sender's partner, new records); after the caller flushed,
 * `complete` applies a bounce, posts it where it goes and answers the sender, and returns the row's final status and
 * reason, which the caller writes with the rest of its batch.
 */
@Injectable()
export class InboundMailHandler {
  constructor(
    private readonly router: InboundRouter,
    private readonly delivery: MailDelivery,
    private readonly bounces: BounceRecorder,
    private readonly answers: SenderAnswers,
  ) {}

  /** routes with `routingEm` (its own unit of work: rules load partial rows), persists with `em` (the batch's) */
  async plan(routingEm: EntityManager, em: EntityManager, lookups: RoutingLookups, row: InboundEmail, mail: InboundMail): Promise<PlannedMail> {
    const decision = await this.router.route({ em: routingEm, row, mail, lookups });
    const author = decision.targets?.length ? await this.delivery.author(em, lookups, mail) : null;
    const targets: PreparedTarget[] = [];
    for (const target of decision.targets ?? []) targets.push(await this.delivery.prepare(em, mail, target, author));
    return { row, mail, decision, author, targets };
  }

  /** the threads `plan`'s targets post on (once the batch's new records have their ids) */
  threadsOf(planned: PlannedMail): ThreadRef[] {
    return planned.targets.map((t) => this.delivery.threadOf(t));
  }

  /** `later`: the messages, the relays' notifications and the new followers, which the caller writes together */
  async complete(em: EntityManager, lookups: RoutingLookups, { row, mail, decision, author, targets }: PlannedMail, later?: DeferredWrites): Promise<HandledMail> {
    let reason = decision.reason;
    const posted: Message[] = [];
    let thread: { model: string; id: string } | undefined;
    if (decision.bounce && decision.status === 'bounced') {
      const recorded = await this.bounces.record(em, decision.bounce, lookups);
      reason = recorded.reason;
      lookups.rememberBounced(recorded.partners);
    } else if (mail.sender && !mail.bounce && lookups.mayHaveBounced(mail.sender)) {
      // any other mail from an address proves it works again (the unit of work's copy too, or its flush undoes this)
      await em.nativeUpdate(Partner, { email: mail.sender, bounceCount: { $gt: 0 } }, { bounceCount: 0 });
      const partner = lookups.partner(mail.sender);
      if (partner) partner.bounceCount = 0;
    }
    for (const [i, prepared] of targets.entries()) {
      const { ref, message } = await this.delivery.deliver(em, lookups, mail, prepared, author, i === 0, later);
      posted.push(message);
      thread ??= ref;
      // "alias support@example.test → new ticket" becomes "… → new ticket 7"
      const target = prepared.target;
      if (target.kind === 'new' && !target.forcedThread) reason = reason.replace(target.via, `${target.via} ${ref.id}`);
    }
    if (targets.length && mail.autoReply) reason += ` (auto-reply, ${mail.autoReplyReason}: nobody notified)`;
    let answered = false;
    if (decision.answer) {
      const notAnswered = await this.answers.answer(em, lookups, row, mail, decision.answer);
      reason += notAnswered ? ` (not answered: ${notAnswered})` : ' (sender answered)';
      answered = !notAnswered;
    }
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
      postedMessageId: null, // the message's id comes with the batch's flush
      answeredAt: row.answeredAt,
    };
    return { result, posted, answered };
  }
}
