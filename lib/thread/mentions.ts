import type { EntityManager } from '@mikro-orm/core';
import { Partner } from '../entities/partner.entity.js';
import { normalizeEmail } from './partner.service.js';

/**
 * Who a posted body mentions, two ways:
 * - `@alice@example.test` in the text (the `@` starts the text or follows a space, `(`, `>` or a quote);
 * - a link to a partner, Odoo's markup: `<a data-oe-model="res.partner" data-oe-id="3">@Alice</a>`
 *   (`partner` is accepted for `res.partner`), which is what a composer with an autocomplete inserts.
 */
export interface Mentions {
  emails: string[];
  partnerIds: number[];
}

const EMAIL_MENTION = /(?:^|[\s(>"'])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;
const LINK = /<a\b[^>]*>/gi;
const ATTRIBUTE = (name: string) => new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i');

export function parseMentions(body: string, html = true): Mentions {
  const partnerIds = new Set<number>();
  if (html) {
    for (const [tag] of body.matchAll(LINK)) {
      const model = attribute(tag, 'data-oe-model');
      const id = attribute(tag, 'data-oe-id');
      if ((model === 'res.partner' || model === 'partner') && id && /^\d{1,15}$/.test(id)) partnerIds.add(Number(id));
    }
  }
  // tags become spaces so that attribute values are not read as text
  const text = html ? body.replace(/<[^>]*>/g, ' ').replace(/&#0*64;|&commat;/gi, '@') : body;
  const emails = new Set<string>();
  for (const match of text.matchAll(EMAIL_MENTION)) emails.add(normalizeEmail(match[1].replace(/\.+$/, '')));
  return { emails: [...emails], partnerIds: [...partnerIds] };
}

/**
 * The partners a body mentions, among those that exist: an unknown address or id is ignored (a mention never
 * creates a contact; name new people explicitly with `partnerIds`). Inactive partners are left to the recipient rules.
 */
export async function mentionedPartners(em: EntityManager, body: string, html = true): Promise<Partner[]> {
  const { emails, partnerIds } = parseMentions(body, html);
  if (emails.length === 0 && partnerIds.length === 0) return [];
  const or = [
    ...(emails.length ? [{ email: { $in: emails } }] : []),
    ...(partnerIds.length ? [{ id: { $in: partnerIds } }] : []),
  ];
  return em.find(Partner, { $or: or }, { orderBy: { id: 'asc' } });
}

function attribute(tag: string, name: string): string | undefined {
  const m = ATTRIBUTE(name).exec(tag);
  return m ? (m[1] ?? m[2] ?? m[3]).trim().toLowerCase() : undefined;
}
