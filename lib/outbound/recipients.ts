import type { EntityManager } from '@mikro-orm/core';
import { Follower } from '../entities/follower.entity.js';
import type { Message } from '../entities/message.entity.js';
import { Partner } from '../entities/partner.entity.js';

export interface Recipient {
  partner: Partner;
  /** how this partner hears about the message */
  channel: 'inbox' | 'email';
  /** why: a follower of the subtype, or named in the message */
  reason: 'follower' | 'mention';
}

/**
 * Who hears about a message (Odoo's `_notify_get_recipients`): followers subscribed to its subtype ∪ mentioned
 * partners; never the author, inactive or blacklisted partners, nor anyone already among an inbound mail's To/Cc.
 * Internal messages reach internal users only. Customers always get email; users choose email or inbox.
 */
export async function computeRecipients(em: EntityManager, message: Message, mentioned: Partner[]): Promise<Recipient[]> {
  const out = new Map<number, Recipient>();
  const alreadyAddressed = new Set([...(message.incomingTo ?? []), ...(message.incomingCc ?? [])].map((e) => e.toLowerCase()));
  const authorId = message.author?.id;
  const admit = (partner: Partner, reason: Recipient['reason']) => {
    if (out.has(partner.id) || partner.id === authorId) return;
    if (!partner.active || partner.blacklisted) return;
    if (alreadyAddressed.has(partner.email)) return;
    if (message.isInternal && !partner.isInternal) return;
    const channel = partner.isInternal && partner.notificationPreference === 'inbox' ? 'inbox' : 'email';
    out.set(partner.id, { partner, channel, reason });
  };
  if (message.subtype) {
    const followers = await em.find(
      Follower,
      { resModel: message.resModel, resId: message.resId, subtypes: message.subtype.id },
      { populate: ['partner'], orderBy: { id: 'asc' } },
    );
    for (const f of followers) admit(f.partner, 'follower');
  }
  for (const p of mentioned) admit(p, 'mention');
  return [...out.values()];
}
