import { Injectable } from '@nestjs/common';
import { InboundConfig } from '../gateway/inbound-config.js';
import { ModelRegistry } from '../model-registry.js';
import type { RouteDecision, RoutingContext, RoutingRule } from './route.js';

/** Rule 6: the mailbox's fallback model (or the module's), if any, gets a new record; else there is no route. */
@Injectable()
export class FallbackRule implements RoutingRule {
  constructor(
    private readonly config: InboundConfig,
    private readonly models: ModelRegistry,
  ) {}

  async route({ row, mail }: RoutingContext): Promise<RouteDecision | undefined> {
    const model = row.fallbackModel ?? this.config.fallbackModel;
    if (model && this.models.find(model)) {
      const via = `fallback model ${model}${row.fallbackModel ? ` of mailbox ${row.mailbox || row.sourceKind}` : ''} → new ${model}`;
      return { rule: 'fallback', status: 'delivered', reason: via, targets: [{ kind: 'new', model, defaults: {}, via }] };
    }
    const to = mail.recipients.slice(0, 5).join(', ') || 'no recipient';
    return { rule: 'no-route', status: 'rejected', reason: `no route: not a reply to our mail, no alias among ${to}, and no fallback model` };
  }
}
