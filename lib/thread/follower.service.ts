import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { Follower } from '../entities/follower.entity.js';
import type { Partner } from '../entities/partner.entity.js';
import type { Subtype } from '../entities/subtype.entity.js';
import type { ThreadRef } from '../model-registry.js';
import { bulkInsert, columnArrays, columnOf, insertParams, insertRows, insertSql, unnestSql, type Alongside } from '../schema/bulk-insert.js';
import { chatterPlatform } from '../schema/chatter-migrator.js';
import { runNative } from '../schema/native-query.js';
import { SubtypeService } from './subtype.service.js';

/**
 * Partners to make follow threads they do not follow yet (the records an inbound batch creates, each followed by its
 * sender), written together by `FollowerService.writePending` once the partners and records have ids. Through the
 * unit of work a follower and its subtypes cost ~4 ms per 50 (the many-to-many collection's change tracking);
 * written natively they are two INSERTs (one statement on PostgreSQL, see `followersAlongside`).
 */
export class PendingFollows {
  readonly items: { ref: ThreadRef; partnerId: number; subtypeIds: number[] }[] = [];
}

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

  /** writes `pending`'s followers and their subtypes, in `em`'s transaction (none may follow its thread already) */
  async writePending(em: EntityManager, pending: PendingFollows): Promise<void> {
    if (pending.items.length === 0) return;
    if (chatterPlatform(em) === 'postgresql') {
      const { ctes, params } = followersAlongside(em, pending.items);
      await runNative(em, `with ${ctes} select 1`, params);
      pending.items.length = 0;
      return;
    }
    const now = new Date();
    const rows = pending.items.map(({ ref, partnerId }) => ({ resModel: ref.model, resId: ref.id, partner: partnerId, createdAt: now }));
    const inserted = await bulkInsert(em, Follower, rows, ['id', 'resModel', 'resId', 'partner']);
    const key = (model: unknown, id: unknown, partnerId: unknown) => `${model}\0${id}\0${Number(partnerId)}`;
    const followerId = new Map(inserted.map((row) => [key(row.resModel, row.resId, row.partner), row.id]));
    const subtypes = em.getMetadata().get(Follower).properties.subtypes;
    const links = pending.items.flatMap(({ ref, partnerId, subtypeIds }) => subtypeIds.map((id) => [followerId.get(key(ref.model, ref.id, partnerId)), id]));
    if (links.length) await insertRows(em, subtypes.pivotTable, [subtypes.joinColumns[0], subtypes.inverseJoinColumns[0]], links, { types: ['integer', 'integer'] });
    pending.items.length = 0;
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

/**
 * PostgreSQL: the followers and their subtypes as writes that ride along another statement (see `Alongside`): the
 * subtypes' INSERT reads the followers' ids from theirs (a data-modifying WITH) instead of a second round trip; each
 * subtype finds its follower by the unique (model, record, partner). An inbound batch sends them with its messages'
 * INSERT; alone, they are one statement.
 */
export function followersAlongside(em: EntityManager, items: PendingFollows['items']): Alongside {
  const meta = em.getMetadata().get(Follower);
  const q = (name: string) => em.getPlatform().quoteIdentifier(name);
  const columns = (['resModel', 'resId', 'partner', 'createdAt'] as const).map((p) => columnOf(meta, p));
  const [model, id, partner] = columns.map((c) => q(c.name));
  const pivot = meta.properties.subtypes;
  const now = new Date();
  const types = columns.map((c) => c.type);
  const followers = insertParams(items.map(({ ref, partnerId }) => [ref.model, ref.id, partnerId, now]), types);
  const links = items.flatMap(({ ref, partnerId, subtypeIds }) => subtypeIds.map((subtypeId) => [ref.model, ref.id, partnerId, subtypeId]));
  const key = q(meta.properties[meta.primaryKeys[0]].fieldNames[0]);
  const f = 'chatter_new_followers';
  const inserted = `${f} as (${insertSql(meta.tableName, columns.map((c) => c.name), { types })} returning ${key}, ${model}, ${id}, ${partner})`;
  if (links.length === 0) return { ctes: inserted, params: followers };
  return {
    ctes:
      `${inserted}, chatter_new_follower_subtypes as (insert into ${q(pivot.pivotTable)} (${q(pivot.joinColumns[0])}, ${q(pivot.inverseJoinColumns[0])}) ` +
      `select ${f}.${key}, v.subtype_id from ${f} join ${unnestSql([...types.slice(0, 3), 'integer'])} as v(model, record, partner, subtype_id) ` +
      `on ${f}.${model} = v.model and ${f}.${id} = v.record and ${f}.${partner} = v.partner)`,
    params: [...followers, ...columnArrays(links, 4)],
  };
}
