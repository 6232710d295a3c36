import type { Opt } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Chatter, Notification, Partner, type ChatterModuleOptions } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import type { Dialect } from '../support/database.js';

/** The host record of the activity, mention, template and attachment tests. */
@Chatter({ model: 'deal', assignee: 'owner', primaryEmail: 'customerEmail' })
@Entity({ tableName: 'test_deal' })
export class Deal {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 256 })
  name!: string;

  @Property({ type: 'string', length: 32 })
  stage: Opt<string> = 'new';

  @Property({ type: 'float' })
  amount: Opt<number> = 0;

  @Property({ type: 'string', length: 320, nullable: true })
  owner: string | null = null;

  @Property({ type: 'string', length: 320, nullable: true })
  customerEmail: string | null = null;
}

export const agent = { email: 'agent@example.test', name: 'Agent Smith', userId: 'agent@example.test' };
export const bob = { email: 'bob@example.test', name: 'Bob Builder', userId: 'bob@example.test' };
export const carol = { email: 'carol@example.test', name: 'Carol Inbox', userId: 'carol@example.test' };
export const customer = { email: 'alice@customer.test', name: 'Alice Customer' };

export function startDeals(dialect: Dialect, chatter: Partial<ChatterModuleOptions> & { http?: boolean } = {}): Promise<ChatterTesting> {
  return startChatter(dialect, { entities: [Deal], chatter: chatter as Partial<ChatterModuleOptions>, http: !!chatter.http });
}

export async function createDeal(t: ChatterTesting, values: Partial<Deal> = {}): Promise<Deal> {
  const em = t.em();
  const deal = em.create(Deal, { name: 'Big deal', ...values });
  await em.persist(deal).flush();
  return deal;
}

/** the partner for `who`, created when missing, with a notification preference */
export async function partner(t: ChatterTesting, who: { email: string; name?: string; userId?: string }, preference?: 'email' | 'inbox'): Promise<Partner> {
  const em = t.em();
  let p = await em.findOne(Partner, { email: who.email });
  if (!p) p = em.create(Partner, { email: who.email, name: who.name ?? who.email, userId: who.userId ?? null });
  if (preference) p.notificationPreference = preference;
  await em.persist(p).flush();
  return p;
}

/** the notifications of a message, as `email:channel:status` strings */
export async function notificationsOf(t: ChatterTesting, messageId: number): Promise<string[]> {
  const rows = await t.em().find(Notification, { message: messageId }, { populate: ['partner'], orderBy: { id: 'asc' } });
  return rows.map((n) => `${n.partner.email}:${n.notificationType}:${n.status}`).sort();
}
