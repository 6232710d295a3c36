import { Injectable } from '@nestjs/common';
import type { RouteDecision, RoutingContext, RoutingRule } from './route.js';

/**
 * Rule 2: a bounce (a DSN, a feedback report, a mailer-daemon notice, anything to our VERP `bounce+…@` address) is
 * never posted and never answered; the delivery applies it to the original mail (see BounceRecorder). A delay
 * notice changes nothing. An auto-reply that came back to a VERP address (vacation responders answer the envelope
 * sender) is ignored too.
 */
@Injectable()
export class BounceRule implements RoutingRule {
  async route({ mail }: RoutingContext): Promise<RouteDecision | undefined> {
    const bounce = mail.bounce;
    if (!bounce) return undefined;
    if (bounce.kind === 'verp' && mail.autoReply) {
      return { rule: 'bounce', status: 'ignored', reason: `auto-reply (${mail.autoReplyReason}) sent to our bounce address: ignored` };
    }
    if (bounce.temporary) {
      const who = bounce.recipients.map((r) => r.email).join(', ') || 'an unnamed recipient';
      return { rule: 'bounce', status: 'ignored', reason: `delivery delayed for ${who} (${bounce.reason}): a warning, nothing marked`, bounce };
    }
    return { rule: 'bounce', status: 'bounced', reason: `bounce (${bounce.kind})`, bounce };
  }
}
