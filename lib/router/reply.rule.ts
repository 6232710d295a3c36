import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import { Follower } from '../entities/follower.entity.js';
import { Message } from '../entities/message.entity.js';
import { Partner } from '../entities/partner.entity.js';
import { ModelRegistry, coercePk, type ThreadRef } from '../model-registry.js';
import { verifyReplyAddress } from '../outbound/reply-address.js';
import { parseMessageId } from '../thread/message-id.js';
import { AliasResolver } from './alias-resolver.js';
import { inBatchMessage, type InBatchParent, type ParentMessage, type RouteDecision, type RoutingContext, type RoutingRule } from './route.js';
import { MAX_REFERENCES } from './routing-lookups.js';

/**
 * Rule 3: a reply. First a signed reply address (`catchall+<token>@`): a forged or altered token is refused, and a
 * valid one is accepted only from the partner it was issued to (or a follower of the record). Then In-Reply-To and
 * the last 32 References, matched against the Message-IDs we stored (and, for ours, the thread they name).
 * A reply that is also addressed to an alias of another model is left to the alias rule (a forward → a new record).
 * A reply to an internal note stays internal.
 */
@Injectable()
export class ReplyRule implements RoutingRule {
  constructor(
    private readonly config: ChatterConfig,
    private readonly models: ModelRegistry,
    private readonly aliases: AliasResolver,
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
        return this.decide(ctx, { model: parent.resModel, id: parent.resId }, parent, `reply to message ${parent.id} via ${header}`);
      }
      const planned = lookups.plannedMessage(id);
      if (planned) {
        // its message gets its id when the batch writes it; the reason names it then
        const ref = { model: planned.resModel, id: planned.resId };
        return this.decide(ctx, ref, null, `reply to message ${inBatchMessage(id)} via ${header}`, { messageId: id, isInternal: planned.isInternal });
      }
      const ours = parseMessageId(id);
      if (ours && this.config.domains.some((d) => d.name === ours.domain) && (await this.exists(em, ours))) {
        return this.decide(ctx, { model: ours.model, id: ours.id }, null, `reply to ${ours.model} ${ours.id} via ${header} (thread named in our Message-ID)`);
      }
    }
    return undefined;
  }

  private async bySignedAddress(ctx: RoutingContext): Promise<RouteDecision | undefined> {
    const { em, mail } = ctx;
    for (const address of mail.recipients) {
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
      if (!(await this.exists(em, ref))) {
        return { rule: 'reply', status: 'rejected', reason: `refused: reply address for ${ref.model} ${ref.id}, which no longer exists` };
      }
      const issuedTo = await em.findOne(Partner, { id: check.partnerId }, { fields: ['id', 'email'] });
      if (!mail.sender || issuedTo?.email !== mail.sender) {
        const follows = mail.sender ? await em.count(Follower, { resModel: ref.model, resId: ref.id, partner: { email: mail.sender } }) : 0;
        if (!follows) {
          return {
            rule: 'reply',
            status: 'rejected',
            reason: `refused: reply address of ${ref.model} ${ref.id} was issued to partner ${check.partnerId}, not to ${mail.sender ?? 'this sender'}, who does not follow it`,
            answer: 'Your message could not be delivered: the reply address it was sent to belongs to someone else.',
          };
        }
      }
      const parent = await this.parentIn(em, ref, mail.inReplyTo);
      return this.decide(ctx, ref, parent, `reply to ${ref.model} ${ref.id} via signed reply address (partner ${check.partnerId})`);
    }
    return undefined;
  }

  private async decide(ctx: RoutingContext, ref: ThreadRef, parent: ParentMessage | null, via: string, inBatch?: InBatchParent): Promise<RouteDecision | undefined> {
    // addressed to an alias of another model too: a forward, which the alias rule turns into a new record
    const aliases = this.aliases.matchingIn(await ctx.lookups.aliases(), ctx.mail.recipients);
    if (aliases.length && aliases.every((a) => a.alias.model !== ref.model)) return undefined;
    const internal = parent?.isInternal ?? inBatch?.isInternal ?? false;
    return {
      rule: 'reply',
      status: 'delivered',
      reason: internal ? `${via} (internal note: stays internal)` : via,
      targets: [{ kind: 'thread', ref, parent, internal, via, ...(inBatch ? { inBatch } : {}) }],
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
