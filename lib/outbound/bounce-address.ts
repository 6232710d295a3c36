/**
 * VERP: every mail goes out with its own envelope sender `bounce+{outgoingMailId}@domain`, so a bounce names the mail it
 * is about even when the bouncing server quotes nothing of it.
 */
export function bounceAddress(outgoingMailId: number, domain: string, localPart = 'bounce'): string {
  return `${localPart}+${outgoingMailId}@${domain}`;
}

/**
 * The outgoing mail id in a VERP address (`bounce+42@example.test`, with or without angle brackets or domain), or
 * undefined when it is not one. `localPart` is the alias domain's bounce local part.
 */
export function parseBounceAddress(address: string, localPart = 'bounce'): { outgoingMailId: number } | undefined {
  const local = address.trim().replace(/^<|>$/g, '').replace(/@[^@]*$/, '').toLowerCase();
  const prefix = `${localPart.toLowerCase()}+`;
  if (!local.startsWith(prefix)) return undefined;
  const id = local.slice(prefix.length);
  if (!/^\d{1,15}$/.test(id)) return undefined;
  return { outgoingMailId: Number(id) };
}
