import { Injectable } from '@nestjs/common';
import { AliasResolver } from './alias-resolver.js';
import { contactPolicyRefusal, DEFAULT_REFUSAL_TEXT } from './contact-policy.js';
import type { RouteDecision, RouteTarget, RoutingContext, RoutingRule } from './route.js';

/**
 * Rule 4: a recipient (To, Cc, Delivered-To, Resent-*, the envelope) that is an alias. Each matching alias whose
 * contact policy admits the sender creates its record (or posts on its forced thread); refused ones are answered
 * politely, once per sender per day.
 */
@Injectable()
export class AliasRule implements RoutingRule {
  constructor(private readonly aliases: AliasResolver) {}

  async route({ em, mail, lookups }: RoutingContext): Promise<RouteDecision | undefined> {
    const matches = this.aliases.matchingIn(await lookups.aliases(), mail.recipients);
    if (matches.length === 0) return undefined;
    const targets: RouteTarget[] = [];
    const refusals: string[] = [];
    let answer: string | undefined;
    for (const { alias, address } of matches) {
      const refusal = await contactPolicyRefusal(em, alias, mail.sender);
      if (refusal) {
        refusals.push(refusal);
        answer ??= alias.bounceMessage ?? DEFAULT_REFUSAL_TEXT;
        continue;
      }
      const forced = alias.forceThreadId !== null ? { model: alias.model, id: alias.forceThreadId } : undefined;
      const via = forced ? `alias ${address} → ${alias.model} ${alias.forceThreadId} (forced thread)` : `alias ${address} → new ${alias.model}`;
      targets.push({ kind: 'new', model: alias.model, defaults: { ...alias.defaults }, via, forcedThread: forced });
    }
    if (targets.length === 0) return { rule: 'alias', status: 'rejected', reason: refusals.join('; '), answer };
    return { rule: 'alias', status: 'delivered', reason: [...targets.map((t) => t.via), ...refusals].join('; '), targets };
  }
}
