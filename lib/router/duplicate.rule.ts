import { Injectable } from '@nestjs/common';
import type { RouteDecision, RoutingContext, RoutingRule } from './route.js';

/**
 * Rule 1: the same Message-ID already processed in the same mailbox scope (a second ingress, a redelivery under
 * another UID) is ignored. Failed rows do not count: a mail that failed may come in again and succeed.
 */
@Injectable()
export class DuplicateRule implements RoutingRule {
  async route({ row, lookups }: RoutingContext): Promise<RouteDecision | undefined> {
    const earlier = lookups.earlierInbound(row);
    if (!earlier) return undefined;
    return {
      rule: 'duplicate',
      status: 'ignored',
      reason: `duplicate of inbound mail ${earlier.id} (${earlier.status}, via ${earlier.sourceKind}) with the same Message-ID`,
    };
  }
}
