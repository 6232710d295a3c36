import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import { Follower } from '../entities/follower.entity.js';
import { Message } from '../entities/message.entity.js';
import { Partner } from '../entities/partner.entity.js';
import { InboundConfig } from '../gateway/inbound-config.js';
import { ModelRegistry, coercePk, type ThreadRef } from '../model-registry.js';
import { verifyReplyAddress } from '../outbound/reply-address.js';
import { parseMessageId } from '../thread/message-id.js';
import { AliasResolver } from './alias-resolver.js';
import { inBatchMessage, type InBatchParent, type ParentMessage, type RouteDecision, type RoutingContext, type RoutingRule } from './route.js';
import { replyPolicyRefusal, type SenderLookups } from './reply-policy.js';
import { MAX_REFERENCES, type PlannedMessage } from './routing-lookups.js';

interface DecideExtra {
  inBatch?: InBatchParent;
  plannedParent?: PlannedMessage;
  /** the signed reply address was issued to another partner (in words) */
  someoneElse?: string;
}

const NOT_A_PARTICIPANT = 'Your message could not be delivered: only the participants of this conversation can reply to it.';
const SOMEONE_ELSES_ADDRESS = 'Your message could not be delivered: the reply address it was sent to belongs to someone else.';

/**
 * Rule 3: a reply. First a signed reply address (`catchall+<token>@`, a forged or altered one is refused); then
 * In-Reply-To and the last 32 References, matched against the Message-IDs we stored (and, for ours whose tag verifies,
 * the thread they name). Whichever names the thread, the model's reply policy decides whether the sender may post
 * there (`reply-policy.ts`); a refused reply also addressed to an alias is left to the alias rule. A reply that is
 * addressed to an alias of another model is left to it as well (a forward → a new record). A reply to an internal
 * note stays internal.
 */
@Injectable()
export class ReplyRule implements RoutingRule {
  constructor(
    private readonly config: ChatterConfig,
    private readonly models: ModelRegistry,
    private readonly aliases: AliasResolver,
    private readonly inbound: InboundConfig,
  ) {}

  async route(ctx: RoutingContext): Promise<RouteDecision | undefined> {
    const signed = await this.bySignedAddress(ctx);
    if (signed) return signed;
    const { em, mail, lookups } = ctx;
    const candidates = [...mail.inReplyTo, ...mail.references.slice(-MAX_REFERENCES).reverse()];
    if (candidates.length === 0) return undefined;
    for (const id of new Set(candidates)) {
      const parent = lookups.message(id);
      const header = mail.inReplyTo.includes(id) ? 'In-Reply-To' : 'References';
      if (parent && this.models.find(parent.resModel)) {
        const ref = { model: parent.resModel, id: parent.resId };
        return this.decide(ctx, ref, parent, `reply to message ${parent.id} via ${header}`);
      }
      const planned = lookups.plannedMessage(id);
      if (planned) {
        // its message gets its id when the batch writes it; the reason names it then
        const ref = { model: planned.resModel, id: planned.resId };
        const inBatch = { messageId: id, isInternal: planned.isInternal };
        return this.decide(ctx, ref, null, `reply to message ${inBatchMessage(id)} via ${header}`, { inBatch, plannedParent: planned });
      }
      // only an id whose tag verifies names its thread: record ids are sequential, so a made-up one would open any
      const ours = parseMessageId(id, this.config.secret, this.models.all().map((m) => m.name));
      if (ours && this.config.domains.some((d) => d.name === ours.domain) && (await this.exists(em, ours))) {
        return this.decide(ctx, { model: ours.model, id: ours.id }, null, `reply to ${ours.model} ${ours.id} via ${header} (thread named in our Message-ID)`);
      }
    }
    return undefined;
  }

  /**
   * A reply address is looked for where the mail was delivered: the envelope recipients when the ingress knows them,
   * otherwise To and Cc — never in headers a sender writes freely (Delivered-To, X-Original-To…).
   */
  private async bySignedAddress(ctx: RoutingContext): Promise<RouteDecision | undefined> {
    const { em, mail, row } = ctx;
    const deliveredTo = row.recipients?.length ? row.recipients.map((a) => a.toLowerCase()) : [...mail.to, ...mail.cc];
    for (const address of deliveredTo) {
      const [local, domain] = address.split('@');
      const ours = this.config.domains.find((d) => d.name === domain);
      if (!ours || !local.startsWith(`${ours.catchall.toLowerCase()}+`)) continue;
      const check = verifyReplyAddress(local, this.config.secret);
      if ('error' in check) {
        return {
          rule: 'reply',
          status: 'rejected',
          reason: `refused: reply address ${address} is not valid (${check.error}; forged or altered)`,
          answer: 'Your message could not be delivered: the reply address it was sent to is not valid. Please reply to the original notification again.',
        };
      }
      const ref: ThreadRef = { model: check.model, id: check.id };
      if (Date.now() - check.issuedAt.getTime() > this.inbound.replyTokenMaxAgeMs) {
        const days = Math.round(this.inbound.replyTokenMaxAgeMs / 86_400_000);
        return {
          rule: 'reply',
          status: 'rejected',
          reason: `refused: reply address of ${ref.model} ${ref.id} was issued on ${check.issuedAt.toISOString().slice(0, 10)}, more than ${days} days ago (expired)`,
          answer: 'Your message could not be delivered: the notification you replied to is too old. Please reply to a recent one.',
        };
      }
      if (!(await this.exists(em, ref))) {
        return { rule: 'reply', status: 'rejected', reason: `refused: reply address for ${ref.model} ${ref.id}, which no longer exists` };
      }
      const issuedTo = await em.findOne(Partner, { id: check.partnerId }, { fields: ['id', 'email'] });
      // the address names the thread; whether this sender may post there is the reply policy's question
      const someoneElse = !mail.sender || issuedTo?.email !== mail.sender
        ? `reply address of ${ref.model} ${ref.id} was issued to partner ${check.partnerId}, not to ${mail.sender ?? 'this sender'}`
        : undefined;
      const parent = await this.parentIn(em, ref, mail.inReplyTo);
      return this.decide(ctx, ref, parent, `reply to ${ref.model} ${ref.id} via signed reply address (partner ${check.partnerId})`, { someoneElse });
    }
    return undefined;
  }

  private async decide(ctx: RoutingContext, ref: ThreadRef, parent: ParentMessage | null, via: string, extra: DecideExtra = {}): Promise<RouteDecision | undefined> {
    const { inBatch, plannedParent, someoneElse } = extra;
    // addressed to an alias of another model too: a forward, which the alias rule turns into a new record
    const aliases = this.aliases.matchingIn(await ctx.lookups.aliases(), ctx.mail.recipients);
    if (aliases.length && aliases.every((a) => a.alias.model !== ref.model)) return undefined;
    const internal = parent?.isInternal ?? inBatch?.isInternal ?? false;
    const refusal = await replyPolicyRefusal(ctx.em, this.senderLookups(ctx), this.models.find(ref.model)?.options.replies, {
      ref,
      parentId: parent?.id ?? null,
      parentInternal: internal,
      plannedParent: plannedParent && { sender: plannedParent.sender, recipients: plannedParent.recipients },
      sender: ctx.mail.sender,
    });
    if (refusal) {
      // also addressed to an alias: the alias decides (a new record under its contact policy), never the thread
      if (aliases.length) return undefined;
      const reason = someoneElse ? `refused: ${someoneElse}; ${refusal.replace(/^refused: /, '')}` : refusal;
      return { rule: 'reply', status: 'rejected', reason, answer: someoneElse ? SOMEONE_ELSES_ADDRESS : NOT_A_PARTICIPANT };
    }
    return {
      rule: 'reply',
      status: 'delivered',
      reason: internal ? `${via} (internal note: stays internal)` : via,
      targets: [{ kind: 'thread', ref, parent, internal, via, ...(inBatch ? { inBatch } : {}) }],
    };
  }

  private senderLookups({ em, lookups }: RoutingContext): SenderLookups {
    return {
      partner: async (email) => {
        const inBatch = lookups.partner(email);
        return inBatch !== undefined ? inBatch : em.findOne(Partner, { email }, { fields: ['id', 'active', 'userId'] });
      },
      follows: async (ref, partnerId) =>
        lookups.followers?.has(ref) ? lookups.followers.follows(ref, partnerId) : (await em.count(Follower, { resModel: ref.model, resId: ref.id, partner: partnerId })) > 0,
    };
  }

  private async parentIn(em: EntityManager, ref: ThreadRef, ids: string[]): Promise<ParentMessage | null> {
    if (ids.length === 0) return null;
    return em.findOne(Message, { messageId: { $in: ids }, resModel: ref.model, resId: ref.id }, { fields: ['id', 'isInternal', 'messageId'] });
  }

  private async exists(em: EntityManager, ref: ThreadRef): Promise<boolean> {
    const model = this.models.find(ref.model);
    if (!model) return false;
    try {
      const pk = model.meta.primaryKeys[0];
      return (await em.count(model.entity as any, { [pk]: coercePk(model, ref.id) } as any)) > 0;
    } catch {
      return false;
    }
  }
}
