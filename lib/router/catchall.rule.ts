import { Injectable } from '@nestjs/common';
import { ChatterConfig } from '../chatter.config.js';
import type { RouteDecision, RoutingContext, RoutingRule } from './route.js';

/** Rule 5: a mail to the catch-all address that is not a reply: it is for replies only, write to an alias. */
@Injectable()
export class CatchallRule implements RoutingRule {
  constructor(private readonly config: ChatterConfig) {}

  async route({ mail }: RoutingContext): Promise<RouteDecision | undefined> {
    const catchalls = this.config.domains.map((d) => `${d.catchall}@${d.name}`.toLowerCase());
    const hit = mail.recipients.find((r) => catchalls.includes(r));
    if (!hit) return undefined;
    return {
      rule: 'catchall',
      status: 'rejected',
      reason: `catchall misuse: ${hit} only takes replies to our notifications and this mail is not one; write to an alias instead`,
      answer: `Your message to ${hit} was not delivered: this address only receives replies to our notifications. Please write to one of our contact addresses instead.`,
    };
  }
}
