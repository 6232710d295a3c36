import type { EntityManager } from '@mikro-orm/core';
import type { ThreadRef } from '../model-registry.js';
import { chatterPlatform } from '../schema/chatter-migrator.js';
import { placeholders, runNative } from '../schema/native-query.js';
import { recipientPartner, type RecipientPartner } from './recipients.js';

/** values per IN list */
const CHUNK = 500;

const FOLLOWER_COLUMNS =
  'select p.id, p.email, p.name, p.user_id as "userId", p.active, p.blacklisted, p.notification_preference as preference, ' +
  'f.res_id as "resId", fs.subtype_id as "subtypeId"';

/**
 * The followers of `n` records of one model, with their subtypes. On PostgreSQL each record is one probe of the
 * follower index (`offset 0` keeps the planner from merging the probes into one scan): a young database has no
 * statistics yet, and the plain `res_id in (…)` read every follower of the model, ~2 ms a batch at 4,000.
 */
const FOLLOWERS_OF = {
  postgresql: () =>
    `${FOLLOWER_COLUMNS} from unnest(cast(? as text[])) as r(id) ` +
    'cross join lateral (select id, res_id, partner_id from chatter_follower where res_model = ? and res_id = r.id offset 0) f ' +
    'join chatter_partner p on p.id = f.partner_id left join chatter_follower_subtype fs on fs.follower_id = f.id order by f.id',
  sqlite: (n: number) =>
    `${FOLLOWER_COLUMNS} from chatter_follower f join chatter_partner p on p.id = f.partner_id ` +
    `left join chatter_follower_subtype fs on fs.follower_id = f.id where f.res_model = ? and f.res_id in (${placeholders(Array.from({ length: n }))}) order by f.id`,
};

/**
 * The followers of many threads, read in one query per model: an inbound batch posts on dozens of threads, and asking
 * each one's followers (for the recipients, and before subscribing the sender) would be two queries per mail.
 * A snapshot: followers added after `load` are in it only when its user `add`s them.
 */
export class ThreadFollowers {
  /** `model\0id` → partner id → the follower's partner and subtype ids */
  private readonly byThread = new Map<string, Map<number, { partner: RecipientPartner; subtypes: Set<number> }>>();

  static async load(em: EntityManager, refs: ThreadRef[]): Promise<ThreadFollowers> {
    const out = new ThreadFollowers();
    const ids = new Map<string, Set<string>>();
    for (const ref of refs) {
      out.byThread.set(key(ref), new Map());
      ids.set(ref.model, (ids.get(ref.model) ?? new Set()).add(ref.id));
    }
    const platform = chatterPlatform(em);
    for (const [model, set] of ids) {
      const all = [...set];
      for (let i = 0; i < all.length; i += CHUNK) {
        const list = all.slice(i, i + CHUNK);
        // a plain read with bound values (the tables are the chatter's migrations', so are their column names)
        const rows = await runNative<Record<string, unknown>>(em, FOLLOWERS_OF[platform](list.length), platform === 'postgresql' ? [list, model] : [model, ...list]);
        for (const row of rows) {
          const thread = out.byThread.get(key({ model, id: String(row.resId) }))!;
          const partner = recipientPartner(row);
          const entry = thread.get(partner.id) ?? { partner, subtypes: new Set<number>() };
          if (row.subtypeId !== null && row.subtypeId !== undefined) entry.subtypes.add(Number(row.subtypeId));
          thread.set(partner.id, entry);
        }
      }
    }
    return out;
  }

  /** `partner` followed `ref` after the load (a loaded thread only) */
  add(ref: ThreadRef, partner: RecipientPartner, subtypeIds: number[]): void {
    const thread = this.byThread.get(key(ref));
    if (!thread) return;
    const entry = thread.get(partner.id) ?? { partner, subtypes: new Set<number>() };
    for (const id of subtypeIds) entry.subtypes.add(id);
    thread.set(partner.id, entry);
  }

  /** whether `ref` was loaded */
  has(ref: ThreadRef): boolean {
    return this.byThread.has(key(ref));
  }

  /** the thread's followers subscribed to `subtypeId`, oldest first */
  of(ref: ThreadRef, subtypeId: number): RecipientPartner[] {
    return [...(this.byThread.get(key(ref))?.values() ?? [])].filter((f) => f.subtypes.has(subtypeId)).map((f) => f.partner);
  }

  /** whether partner `partnerId` follows `ref` */
  follows(ref: ThreadRef, partnerId: number): boolean {
    return this.byThread.get(key(ref))?.has(partnerId) ?? false;
  }
}

function key(ref: ThreadRef): string {
  return `${ref.model}\0${ref.id}`;
}
