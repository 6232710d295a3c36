import type { EntityManager } from '@mikro-orm/core';
import { Message } from '../entities/message.entity.js';

/** how many ancestors References carries (the inbound router matches on the last 32 as well) */
const MAX_REFERENCES = 32;

/**
 * The headers that thread a notification in the recipient's mail client and bring replies back to the record:
 * our Message-ID, In-Reply-To (the parent) and References (the parent chain, root first: RFC 5322 §3.6.4's parent's
 * References plus the parent's id, never our own), plus `X-Chatter-Objects` and, for system mail, `Auto-Submitted`.
 * A message without a parent hangs under the thread's first message (Odoo does the same), so every mail about one
 * record lands in one conversation; the first message itself has neither header.
 * Values are single lines here; the composer folds long ones between ids.
 */
export async function threadHeaders(em: EntityManager, message: Message, options: { system: boolean }): Promise<Record<string, string>> {
  const chain = (await ancestors(em, message)).filter(isMessageId);
  const own = oneLine(message.messageId);
  // a message that came in by mail keeps its sender's id, as Odoo does; one that is not a valid msg-id is not sent on
  // (the renderer gives the mail an id of its own: replies still come back through the signed Reply-To)
  const headers: Record<string, string> = isMessageId(own) ? { 'Message-ID': own } : {};
  if (chain.length) {
    headers['In-Reply-To'] = chain[chain.length - 1];
    headers.References = chain.join(' ');
  }
  headers['X-Chatter-Objects'] = oneLine(`${message.resModel}-${message.resId}`);
  if (options.system) headers['Auto-Submitted'] = 'auto-generated';
  return headers;
}

/** Message-IDs of the parent chain, root first (at most MAX_REFERENCES); the thread's first message when there is no parent */
async function ancestors(em: EntityManager, message: Message): Promise<string[]> {
  const ids: string[] = [];
  const seen = new Set<number>([message.id]);
  let parentId = message.parent?.id;
  while (parentId !== undefined && !seen.has(parentId) && ids.length < MAX_REFERENCES) {
    seen.add(parentId);
    const parent = await em.findOne(Message, parentId, { fields: ['messageId', 'parent'] });
    if (!parent) break;
    ids.unshift(oneLine(parent.messageId));
    parentId = parent.parent?.id;
  }
  if (ids.length === 0 && message.parent === null) {
    const first = await em.findOne(
      Message,
      { resModel: message.resModel, resId: message.resId, id: { $ne: message.id } },
      { fields: ['messageId'], orderBy: { id: 'asc' } },
    );
    if (first && first.id < message.id) ids.push(oneLine(first.messageId));
  }
  return ids;
}

const ATOMS = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const MSG_ID = new RegExp(`^<${ATOMS}@(?:${ATOMS}|\\[[\\x21-\\x5a\\x5e-\\x7e]*\\])>$`);

/** RFC 5322 §3.6.4's msg-id, `<dot-atom-text@dot-atom-text>` (or a domain literal); the obsolete forms are not sent */
export function isMessageId(value: string): boolean {
  return MSG_ID.test(value);
}

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}
