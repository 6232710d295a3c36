import { randomBytes } from 'node:crypto';
import type { ThreadRef } from '../model-registry.js';
import { signedTag, tagMatches } from '../signed-tag.js';

/**
 * Our Message-IDs name the thread they belong to, so a reply that lost its References can still be placed:
 * `<{random}.{time}-chatter-{model}-{id}-{tag}@{domain}>` (Odoo's `<rand.time-openerp-{id}-{model}@domain>`).
 * The tag is an HMAC over the rest, so the thread an id names is believed only when we wrote the id: record ids are
 * sequential, and a guessed `<x-chatter-ticket-2@…>` must not open ticket 2 to anyone.
 */
export function generateMessageId(ref: ThreadRef, domain: string, secret: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  const left = `${randomBytes(9).toString('base64url')}.${Date.now()}-chatter-${safe(ref.model)}-${safe(ref.id)}`;
  return `<${left}-${tag(secret, left, domain)}@${domain}>`;
}

const OURS = /^<([A-Za-z0-9_-]+\.\d+-chatter-[A-Za-z0-9_.-]+)-([0-9a-f]{20})@([^<>@\s]+)>$/;
const TAG_HEX = 20;

/**
 * The thread named in one of our Message-IDs, when its tag verifies. `models` are the registered model names
 * (a name may hold `-` or `.`, so the longest that fits wins); the id is what follows it.
 */
export function parseMessageId(messageId: string, secret: string, models: readonly string[]): (ThreadRef & { domain: string }) | undefined {
  const m = OURS.exec(messageId.trim());
  if (!m) return undefined;
  const [, left, given, domainAsWritten] = m;
  const domain = domainAsWritten.toLowerCase();
  if (!tagMatches(given, tag(secret, left, domain))) return undefined;
  const named = left.replace(/^[A-Za-z0-9_-]+\.\d+-chatter-/, '');
  const model = [...models].sort((a, b) => b.length - a.length).find((name) => named.startsWith(`${name}-`) && named.length > name.length + 1);
  return model ? { model, id: named.slice(model.length + 1), domain } : undefined;
}

function tag(secret: string, left: string, domain: string): string {
  return signedTag(secret, 'message-id', `${left}@${domain.toLowerCase()}`, TAG_HEX);
}
