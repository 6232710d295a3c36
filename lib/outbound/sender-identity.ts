import { allowsFrom, type OutgoingServer } from '../transport/outgoing-server.js';

/** `"Name" <address>`; the name is dropped when empty or equal to the address. Non-ASCII names are encoded on send. */
export function formatAddress(name: string | null | undefined, address: string, maxNameLength = 256): string {
  let clean = (name ?? '').replace(/[\r\n"\\<>]/g, ' ').replace(/\s+/g, ' ').trim();
  if (clean.length > maxNameLength) clean = `${clean.slice(0, maxNameLength - 1).trimEnd()}…`;
  return clean && clean.toLowerCase() !== address.toLowerCase() ? `"${clean}" <${address}>` : `<${address}>`;
}

/** the bare address of `"Name" <address>` (or of a bare address) */
export function addressOf(formatted: string): string {
  const m = /<([^<>]*)>\s*$/.exec(formatted);
  return (m ? m[1] : formatted).trim();
}

/** the display name of `"Name" <address>`, or '' */
export function nameOf(formatted: string): string {
  const m = /^\s*"?(.*?)"?\s*<[^<>]*>\s*$/.exec(formatted);
  return m ? m[1].trim() : '';
}

export interface FromRules {
  servers: OutgoingServer[];
  /** `notifications@domain`, or the full `defaultFrom` */
  notificationsAddress: string;
  /** `defaultFrom` is a full address: it replaces every From */
  forced: boolean;
  /** display name when there is no author */
  systemName: string;
}

/**
 * The From of a notification (Odoo's From rewrite): the author's own address when an outgoing server's `fromFilter`
 * allows it; otherwise the notifications address under the author's name, so SPF and DMARC pass for our domain.
 */
export function notificationFrom(author: { name: string; email: string } | null, rules: FromRules): string {
  if (!author) return formatAddress(rules.systemName, rules.notificationsAddress);
  if (!rules.forced && rules.servers.some((s) => allowsFrom(s, author.email))) return formatAddress(author.name, author.email);
  return formatAddress(author.name, rules.notificationsAddress);
}
