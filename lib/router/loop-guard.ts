import { Injectable } from '@nestjs/common';
import { InboundConfig } from '../gateway/inbound-config.js';
import type { RouteTarget } from './route.js';
import type { RoutingLookups } from './routing-lookups.js';

/**
 * Loop protection: two robots answering each other, or a script gone wild, must not fill a thread. More than
 * `limit` delivered mails from one sender to one model (new records) or one record (replies) within the window
 * are refused — with one notice a day (Odoo: 20 mails in 120 minutes).
 */
@Injectable()
export class LoopGuard {
  constructor(private readonly config: InboundConfig) {}

  /** the refusal in words, or undefined when the sender is under the limit */
  check(lookups: RoutingLookups, sender: string | null, target: RouteTarget): string | undefined {
    if (!sender) return undefined;
    const count = lookups.loopCount(sender, target.kind === 'thread' ? { kind: 'thread', ...target.ref } : { kind: 'new', model: target.model });
    if (count < this.config.loopLimit) return undefined;
    const scope = target.kind === 'thread' ? `${target.ref.model} ${target.ref.id}` : `new ${target.model} records`;
    return `loop: ${sender} already sent ${count} mails to ${scope} within ${Math.round(this.config.loopWindowMs / 60_000)} min; refused`;
  }
}
