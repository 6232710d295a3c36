import { BadRequestException, Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { Partner } from '../entities/partner.entity.js';
import { ChatterConfig } from '../chatter.config.js';
import type { ActorRef } from '../chatter.options.js';
import { actorFromContext } from './actor.js';
import { isValidEmail, normalizeEmail } from './email-address.js';

/** What a caller may pass where a partner is expected. */
export type PartnerLike = Partner | number | { email: string; name?: string; userId?: string | number };

export { isValidEmail, normalizeEmail } from './email-address.js';

/** whether an assignee field holds someone (an empty one resolves to nobody without asking the host) */
export function isAssigned(value: unknown): boolean {
  return value !== null && value !== undefined && value !== '';
}

/** Finds or creates partners (contacts) by email, and maps host users to them. */
@Injectable()
export class PartnerService {
  constructor(private readonly options: ChatterConfig) {}

  /** the acting user: `runAsActor()` first, then the host's `users.currentActor()` */
  currentActor(): ActorRef | null {
    const fromContext = actorFromContext();
    if (fromContext !== undefined) return fromContext;
    return this.options.users?.currentActor?.() ?? null;
  }

  async resolveAssignee(value: unknown): Promise<ActorRef | undefined> {
    if (!isAssigned(value)) return undefined;
    if (this.options.users?.resolveUser) return (await this.options.users.resolveUser(value)) ?? undefined;
    return typeof value === 'string' && isValidEmail(value) ? { email: value, userId: value } : undefined;
  }

  /** the partner for `who`, created (and persisted, not flushed) when missing */
  async resolve(em: EntityManager, who: PartnerLike): Promise<Partner> {
    if (who instanceof Partner) return who;
    if (typeof who === 'number') {
      const found = await em.findOne(Partner, who);
      if (!found) throw new BadRequestException(`partner ${who} does not exist`);
      return found;
    }
    if (!who?.email || !isValidEmail(who.email)) throw new BadRequestException(`"${who?.email ?? ''}" is not a valid email address`);
    return this.adopt(em, who, await em.findOne(Partner, { email: normalizeEmail(who.email) }));
  }

  /**
   * The partner for `who` when its lookup was done already: `existing` (upgraded to a user, named) or, when null, a new
   * one (persisted, not flushed).
   */
  adopt(em: EntityManager, who: { email: string; name?: string; userId?: string | number }, existing: Partner | null): Partner {
    const userId = who.userId === undefined || who.userId === null ? null : String(who.userId);
    if (existing) {
      // a customer who becomes a user is upgraded; a known name is not overwritten by a guess
      if (userId && existing.userId !== userId) existing.userId = userId;
      if (who.name && existing.name === existing.email) existing.name = who.name;
      return existing;
    }
    const email = normalizeEmail(who.email);
    // a plain instance, as for messages: the entity factory's hydration cost ~3× more (an inbound batch makes many)
    const partner = Object.assign(new Partner(), {
      email,
      name: who.name?.trim() || email,
      userId,
      notificationPreference: userId ? (this.options.users?.defaultPreference ?? 'email') : 'email',
    });
    em.persist(partner);
    return partner;
  }

  async findByEmails(em: EntityManager, emails: string[]): Promise<Partner[]> {
    if (emails.length === 0) return [];
    return em.find(Partner, { email: { $in: emails.map(normalizeEmail) } });
  }
}
