import { randomBytes } from 'node:crypto';
import type { ThreadRef } from '../model-registry.js';

/**
 * Our Message-IDs name the thread they belong to, so a reply that lost its References can still be placed:
 * `<{random}.{time}-chatter-{model}-{id}@{domain}>` (Odoo's `<rand.time-openerp-{id}-{model}@domain>`).
 */
export function generateMessageId(ref: ThreadRef, domain: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `<${randomBytes(9).toString('base64url')}.${Date.now()}-chatter-${safe(ref.model)}-${safe(ref.id)}@${domain}>`;
}

const OURS = /^<[^>]*-chatter-([A-Za-z0-9_.-]+?)-([A-Za-z0-9_.]+)@([^>]+)>$/;

/** the thread named in one of our Message-IDs, if it is one */
export function parseMessageId(messageId: string): (ThreadRef & { domain: string }) | undefined {
  const m = OURS.exec(messageId.trim());
  return m ? { model: m[1], id: m[2], domain: m[3].toLowerCase() } : undefined;
}
