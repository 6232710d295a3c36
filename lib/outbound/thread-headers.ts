import type { EntityManager } from '@mikro-orm/core';
import { Message } from '../entities/message.entity.js';

/** how many ancestors References carries (the inbound router matches on the last 32 as well) */
const MAX_REFERENCES = 32;

/**
 * The headers that thread a notification in the recipient's mail client and bring replies back to the record:
 * our Message-ID, In-Reply-To (the parent) and References (the parent chain, root first, then our own id), plus
 * `X-Chatter-Objects` and, for system mail, `Auto-Submitted`. A message without a parent hangs under the thread's first
 * message (Odoo does the same), so every mail about one record lands in one conversation.
 * Values are single lines: they are written as they are, never folded (some clients break folded References).
 */
export async function threadHeaders(em: EntityManager, message: Message, options: { system: boolean }): Promise<Record<string, string>> {
  const chain = await ancestors(em, message);
  const headers: Record<string, string> = { 'Message-ID': oneLine(message.messageId) };
  if (chain.length) {
    headers['In-Reply-To'] = chain[chain.length - 1];
    headers.References = [...chain, headers['Message-ID']].join(' ');
  } else {
    headers.References = headers['Message-ID'];
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

function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ').trim();
}
