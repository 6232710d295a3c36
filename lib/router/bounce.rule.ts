import { Injectable } from '@nestjs/common';
import { ChatterConfig } from '../chatter.config.js';
import { verifyVerpId } from '../outbound/bounce-address.js';
import type { RouteDecision, RoutingContext, RoutingRule } from './route.js';

/**
 * Rule 2: a bounce (a DSN, a feedback report, a mailer-daemon notice) is never posted and never answered; the
 * delivery applies it to the original mail (see BounceRecorder). A delay notice changes nothing. Our VERP address
 * `bounce+{id}-{tag}@` counts only with a tag we issued, and only for a delivery report: a plain mail sent to it
 * (anyone who saw a Return-Path can write one) marks nothing. An auto-reply that came back to a VERP address
 * (vacation responders answer the envelope sender) is ignored.
 */
@Injectable()
export class BounceRule implements RoutingRule {
  constructor(private readonly config: ChatterConfig) {}

  async route({ mail }: RoutingContext): Promise<RouteDecision | undefined> {
    const bounce = mail.bounce;
    if (!bounce) return undefined;
    if (bounce.kind === 'verp' && mail.autoReply) {
      return { rule: 'bounce', status: 'ignored', reason: `auto-reply (${mail.autoReplyReason}) sent to our bounce address: ignored` };
    }
    let verified: string | undefined;
    if (bounce.verpId !== undefined) {
      const check = verifyVerpId(bounce.verpId, this.config.secret);
      if ('error' in check) {
        return { rule: 'bounce', status: 'rejected', reason: `refused: bounce address +${bounce.verpId} was not issued by us (${check.error}; forged or altered): nothing marked` };
      }
      verified = String(check.outgoingMailId);
    }
    if (bounce.kind === 'verp') {
      return { rule: 'bounce', status: 'rejected', reason: `refused: a mail to the bounce address of outgoing mail ${verified} that is no delivery report: nothing marked` };
    }
    if (bounce.temporary) {
      const who = bounce.recipients.map((r) => r.email).join(', ') || 'an unnamed recipient';
      return { rule: 'bounce', status: 'ignored', reason: `delivery delayed for ${who} (${bounce.reason}): a warning, nothing marked`, bounce };
    }
    return { rule: 'bounce', status: 'bounced', reason: `bounce (${bounce.kind})`, bounce: { ...bounce, verpId: verified } };
  }
}
