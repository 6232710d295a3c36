import { Injectable } from '@nestjs/common';
import { AliasRule } from './alias.rule.js';
import { BounceRule } from './bounce.rule.js';
import { CatchallRule } from './catchall.rule.js';
import { DuplicateRule } from './duplicate.rule.js';
import { FallbackRule } from './fallback.rule.js';
import { LoopGuard } from './loop-guard.js';
import { OwnMailRule } from './own-mail.rule.js';
import { ReplyRule } from './reply.rule.js';
import type { RouteDecision, RoutingContext, RoutingRule } from './route.js';

/**
 * Odoo's `message_route`, as a readable sequence (DESIGN §3): duplicate → our own mail → bounce → reply → alias →
 * catchall → fallback (or no route). The first rule that decides wins; then the loop guard checks every target.
 */
@Injectable()
export class InboundRouter {
  private readonly rules: RoutingRule[];

  constructor(
    duplicate: DuplicateRule,
    ownMail: OwnMailRule,
    bounce: BounceRule,
    reply: ReplyRule,
    alias: AliasRule,
    catchall: CatchallRule,
    fallback: FallbackRule,
    private readonly loops: LoopGuard,
  ) {
    this.rules = [duplicate, ownMail, bounce, reply, alias, catchall, fallback];
  }

  async route(ctx: RoutingContext): Promise<RouteDecision> {
    let decision: RouteDecision | undefined;
    for (const rule of this.rules) {
      decision = await rule.route(ctx);
      if (decision) break;
    }
    decision ??= { rule: 'no-route', status: 'rejected', reason: 'no route' };
    if (!decision.targets?.length) return decision;
    const kept = [];
    const refusals: string[] = [];
    for (const target of decision.targets) {
      const loop = this.loops.check(ctx.lookups, ctx.mail.sender, target);
      if (loop) refusals.push(loop);
      else kept.push(target);
    }
    if (kept.length === 0) {
      return {
        rule: 'loop',
        status: 'rejected',
        reason: refusals.join('; '),
        answer: 'Your message was not delivered: we received too many messages from you in a short time. Please try again later.',
      };
    }
    return refusals.length ? { ...decision, targets: kept, reason: `${decision.reason}; ${refusals.join('; ')}` } : decision;
  }
}
