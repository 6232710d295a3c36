import { Injectable } from '@nestjs/common';
import { ChatterConfig } from '../chatter.config.js';
import type { RouteDecision, RoutingContext, RoutingRule } from './route.js';

/**
 * Guard before routing: our own mail coming back (a notification whose Message-ID we generated and stored, or a mail
 * sent from one of our system addresses) is dropped; a mail whose Message-ID is already in a thread is a duplicate
 * whatever the mailbox (Message-IDs are unique in the chatter).
 */
@Injectable()
export class OwnMailRule implements RoutingRule {
  constructor(private readonly config: ChatterConfig) {}

  async route({ mail, lookups }: RoutingContext): Promise<RouteDecision | undefined> {
    const posted = lookups.message(mail.messageId);
    if (posted && posted.messageType !== 'email') {
      return { rule: 'own-mail', status: 'ignored', reason: `dropped: our own ${posted.messageType} (message ${posted.id} on ${posted.resModel} ${posted.resId}) came back` };
    }
    if (posted) {
      return { rule: 'duplicate', status: 'ignored', reason: `duplicate: already posted as message ${posted.id} on ${posted.resModel} ${posted.resId}` };
    }
    if (mail.sender && this.isSystemAddress(mail.sender)) {
      return { rule: 'own-mail', status: 'ignored', reason: `dropped: sent from our own address ${mail.sender}` };
    }
    return undefined;
  }

  private isSystemAddress(address: string): boolean {
    const [local, domain] = address.split('@');
    const base = local.split('+')[0];
    return this.config.domains.some((d) => {
      const from = d.defaultFrom.includes('@') ? d.defaultFrom.toLowerCase() : undefined;
      if (from && (from === address || from.endsWith(`<${address}>`))) return true;
      return domain === d.name && [d.catchall, d.bounce, from ? '' : d.defaultFrom].filter(Boolean).map((l) => l.toLowerCase()).includes(base);
    });
  }
}
