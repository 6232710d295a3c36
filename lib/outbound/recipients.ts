import type { EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { Follower } from '../entities/follower.entity.js';
import type { Message } from '../entities/message.entity.js';
import type { NotificationPreference } from '../entities/partner.entity.js';

/** What recipient computation needs of a partner (a `Partner` entity has all of it). */
export interface RecipientPartner {
  id: number;
  email: string;
  name: string;
  active: boolean;
  blacklisted: boolean;
  notificationPreference: NotificationPreference;
  /** a host user (sees internal messages) rather than a customer */
  isInternal: boolean;
}

export interface Recipient {
  partner: RecipientPartner;
  /** how this partner hears about the message */
  channel: 'inbox' | 'email';
  /** why: a follower of the subtype, or named in the message */
  reason: 'follower' | 'mention';
}

/**
 * Who hears about a message (Odoo's `_notify_get_recipients`): followers subscribed to its subtype ∪ mentioned
 * partners; never the author, inactive or blacklisted partners, nor anyone already among an inbound mail's To/Cc.
 * Internal messages reach internal users only. Customers always get email; users choose email or inbox.
 * Followers are read as plain rows in one query: a record with 1,000 followers must not load 2,000 entities into the
 * post's unit of work (its flush would then diff them all).
 */
export async function computeRecipients(em: EntityManager, message: Message, mentioned: RecipientPartner[], followers?: RecipientPartner[]): Promise<Recipient[]> {
  const out = new Map<number, Recipient>();
  const alreadyAddressed = new Set([...(message.incomingTo ?? []), ...(message.incomingCc ?? [])].map((e) => e.toLowerCase()));
  const authorId = message.author?.id;
  const admit = (partner: RecipientPartner, reason: Recipient['reason']) => {
    if (out.has(partner.id) || partner.id === authorId) return;
    if (!partner.active || partner.blacklisted) return;
    if (alreadyAddressed.has(partner.email)) return;
    if (message.isInternal && !partner.isInternal) return;
    const channel = partner.isInternal && partner.notificationPreference === 'inbox' ? 'inbox' : 'email';
    out.set(partner.id, { partner, channel, reason });
  };
  if (message.subtype) {
    for (const partner of followers ?? (await followersOf(em, message))) admit(partner, 'follower');
  }
  for (const p of mentioned) admit(p, 'mention');
  return [...out.values()];
}

/** aliased, so the rows read the same whatever the host's naming strategy */
export const PARTNER_FIELDS = ['p.id as id', 'p.email as email', 'p.name as name', 'p.userId as userId', 'p.active as active', 'p.blacklisted as blacklisted', 'p.notificationPreference as preference'];

async function followersOf(em: EntityManager, message: Message): Promise<RecipientPartner[]> {
  const rows = await (em as SqlEntityManager)
    .createQueryBuilder(Follower, 'f')
    .select(PARTNER_FIELDS as never)
    .join('f.partner', 'p')
    .join('f.subtypes', 's')
    .where({ resModel: message.resModel, resId: message.resId, subtypes: message.subtype!.id })
    .orderBy({ id: 'asc' })
    .execute<Record<string, unknown>[]>('all', false);
  return rows.map(recipientPartner);
}

/** a row selected with PARTNER_FIELDS */
export function recipientPartner(row: Record<string, unknown>): RecipientPartner {
  return {
    id: Number(row.id),
    email: String(row.email),
    name: String(row.name),
    active: truthy(row.active),
    blacklisted: truthy(row.blacklisted),
    notificationPreference: row.preference === 'inbox' ? 'inbox' : 'email',
    isInternal: row.userId !== null && row.userId !== undefined,
  };
}

/** SQLite gives booleans as 0/1 */
function truthy(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't';
}
