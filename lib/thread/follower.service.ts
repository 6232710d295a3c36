import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { Follower } from '../entities/follower.entity.js';
import type { Partner } from '../entities/partner.entity.js';
import type { Subtype } from '../entities/subtype.entity.js';
import type { ThreadRef } from '../model-registry.js';
import { SubtypeService } from './subtype.service.js';

/** Who follows a record and for which subtypes (Odoo's `_message_subscribe`). */
@Injectable()
export class FollowerService {
  constructor(private readonly subtypes: SubtypeService) {}

  /**
   * Makes `partner` follow the thread. Without `subtypes`, a new follower gets the default ones and an existing
   * follower keeps theirs; with them, they replace the follower's set. Customers never get internal subtypes.
   * `following`: whether they follow already, when the caller knows (no look-up when they do not).
   */
  async follow(em: EntityManager, ref: ThreadRef, partner: Partner, subtypes?: Subtype[], following?: boolean): Promise<Follower> {
    let follower: Follower | null = partner.id && following !== false
      ? await em.findOne(Follower, { resModel: ref.model, resId: ref.id, partner }, { populate: ['subtypes'] })
      : null;
    const wanted = (subtypes ?? (follower ? undefined : await this.subtypes.defaults(em, ref.model, partner.isInternal)))?.filter(
      (s) => partner.isInternal || !s.internal,
    );
    if (!follower) {
      follower = em.create(Follower, { resModel: ref.model, resId: ref.id, partner });
      em.persist(follower);
    }
    if (wanted) follower.subtypes.set(wanted);
    return follower;
  }

  async unfollow(em: EntityManager, ref: ThreadRef, partnerId: number): Promise<boolean> {
    const follower = await em.findOne(Follower, { resModel: ref.model, resId: ref.id, partner: partnerId });
    if (!follower) return false;
    em.remove(follower);
    return true;
  }

  list(em: EntityManager, ref: ThreadRef): Promise<Follower[]> {
    return em.find(Follower, { resModel: ref.model, resId: ref.id }, { populate: ['partner', 'subtypes'], orderBy: { id: 'asc' } });
  }
}
