import { signedTag, tagMatches } from '../signed-tag.js';

const TAG_HEX = 12;

/**
 * VERP: every mail goes out with its own envelope sender `bounce+{outgoingMailId}-{tag}@domain`, so a bounce names the
 * mail it is about even when the bouncing server quotes nothing of it. The tag (an HMAC of the id, lower-case hex:
 * some MTAs lower-case the local part) makes the address unguessable: outgoing ids are sequential, and a forged
 * bounce must not mark, count against or blacklist anyone.
 */
export function bounceAddress(outgoingMailId: number, domain: string, secret: string, localPart = 'bounce'): string {
  return `${localPart}+${outgoingMailId}-${bounceTag(outgoingMailId, secret)}@${domain}`;
}

/**
 * The outgoing mail id in a VERP address (`bounce+42-…@example.test`, with or without angle brackets or domain):
 * undefined when it is no bounce address at all, `error` when it is one that we did not issue.
 */
export function parseBounceAddress(address: string, secret: string, localPart = 'bounce'): { outgoingMailId: number } | { error: string } | undefined {
  const local = address.trim().replace(/^<|>$/g, '').replace(/@[^@]*$/, '').toLowerCase();
  const prefix = `${localPart.toLowerCase()}+`;
  if (!local.startsWith(prefix)) return undefined;
  return verifyVerpId(local.slice(prefix.length), secret);
}

/** `42-{tag}` (the part after `bounce+`) → the outgoing mail id, or why it is not one of ours */
export function verifyVerpId(value: string, secret: string): { outgoingMailId: number } | { error: string } {
  const m = /^(\d{1,15})-([0-9a-f]+)$/.exec(value.toLowerCase());
  if (!m) return { error: /^\d{1,15}$/.test(value) ? 'unsigned' : 'malformed' };
  const id = Number(m[1]);
  if (!tagMatches(m[2], bounceTag(id, secret))) return { error: 'bad signature' };
  return { outgoingMailId: id };
}

function bounceTag(outgoingMailId: number, secret: string): string {
  return signedTag(secret, 'bounce', String(outgoingMailId), TAG_HEX);
}
