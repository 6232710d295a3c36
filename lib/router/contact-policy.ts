import type { EntityManager } from '@mikro-orm/core';
import { Follower } from '../entities/follower.entity.js';
import { Partner } from '../entities/partner.entity.js';
import type { ResolvedAlias } from './alias-resolver.js';

/**
 * Who may write to an alias (Odoo's `alias_contact`): `everyone`; `partners`, senders we already know as a partner;
 * `followers`, followers of the alias's forced thread, or — for an alias that creates records — followers of at
 * least one record of its model (its existing contacts). Returns the refusal in words, or undefined when allowed.
 */
export async function contactPolicyRefusal(em: EntityManager, alias: ResolvedAlias, sender: string | null): Promise<string | undefined> {
  if (alias.contactPolicy === 'everyone') return undefined;
  if (!sender) return `refused: the mail has no sender address (alias ${alias.name}@${alias.domain}, policy ${alias.contactPolicy})`;
  const partner = await em.findOne(Partner, { email: sender }, { fields: ['id', 'active'] });
  if (!partner || !partner.active) {
    return `refused: sender ${sender} is not a known partner (alias ${alias.name}@${alias.domain}, policy ${alias.contactPolicy})`;
  }
  if (alias.contactPolicy === 'partners') return undefined;
  const where = alias.forceThreadId !== null
    ? { partner: partner.id, resModel: alias.model, resId: alias.forceThreadId }
    : { partner: partner.id, resModel: alias.model };
  const follows = await em.count(Follower, where);
  return follows > 0 ? undefined : `refused: sender ${sender} is not a follower (alias ${alias.name}@${alias.domain}, policy followers)`;
}

export const DEFAULT_REFUSAL_TEXT =
  'Your message could not be delivered: this address only accepts mail from its known contacts. ' +
  'If you think this is a mistake, please contact us another way.';
