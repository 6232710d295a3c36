import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { Message } from '../entities/message.entity.js';
import { Notification } from '../entities/notification.entity.js';
import { OutgoingMail } from '../entities/outgoing-mail.entity.js';
import { Partner } from '../entities/partner.entity.js';
import type { BounceReport } from '../gateway/bounce-detector.js';
import { InboundConfig } from '../gateway/inbound-config.js';
import type { RoutingLookups } from './routing-lookups.js';

/**
 * Applies a bounce to what we sent: the OutgoingMail (by its VERP id, else by the original Message-ID and the
 * failed recipient) goes to `exception`, its Notification to `bounce` with the reason (the red envelope), and the
 * partner's bounce count goes up, once per mail we sent; past the threshold the partner is blacklisted for
 * notifications. A report that matches no mail of ours marks nobody.
 */
@Injectable()
export class BounceRecorder {
  constructor(private readonly config: InboundConfig) {}

  /** returns what was marked, in words, and the partners whose bounce count went up */
  async record(em: EntityManager, report: BounceReport, lookups: RoutingLookups): Promise<{ reason: string; partners: string[] }> {
    const failed = report.recipients.filter((r) => r.action === 'failed');
    const emails = new Set(failed.map((r) => r.email));
    const reasonFor = (email: string | undefined) => {
      const r = failed.find((f) => f.email === email) ?? failed[0];
      return r ? [r.status, r.diagnostic].filter(Boolean).join(' ').slice(0, 1000) || report.reason : report.reason;
    };
    const marked: string[] = [];
    const partners = new Map<number, Partner>();

    const outgoing: OutgoingMail[] = [];
    if (report.verpId && /^\d{1,15}$/.test(report.verpId)) {
      const mail = await em.findOne(OutgoingMail, { id: Number(report.verpId) }, { populate: ['notification', 'partner'] });
      if (mail) outgoing.push(mail);
    }
    if (outgoing.length === 0 && report.originalMessageId) {
      const known = lookups.message(report.originalMessageId);
      const message = known ? em.getReference(Message, known.id) : null;
      if (message) {
        const mails = await em.find(OutgoingMail, { message }, { populate: ['notification', 'partner'] });
        const matching = mails.filter((m) => m.partner && emails.has(m.partner.email));
        outgoing.push(...(matching.length ? matching : mails.length === 1 && emails.size <= 1 ? mails : []));
        if (outgoing.length === 0) {
          const notifications = await em.find(Notification, { message, notificationType: 'email' }, { populate: ['partner'] });
          for (const n of notifications.filter((n) => emails.has(n.partner.email) || (notifications.length === 1 && emails.size === 0))) {
            if (n.status === 'bounce') {
              marked.push(`notification ${n.id} of message ${message.id} already bounced (not counted again)`);
              continue;
            }
            this.markNotification(n, reasonFor(n.partner.email));
            partners.set(n.partner.id, n.partner);
            marked.push(`notification ${n.id} of message ${message.id}`);
          }
        }
      }
    }
    for (const mail of outgoing) {
      // each mail we sent bounces once: a second report about it (a retry, a copy, a forgery) counts nothing more
      if (mail.failureType === 'mail_bounce') {
        marked.push(`outgoing mail ${mail.id} already bounced (not counted again)`);
        continue;
      }
      const reason = reasonFor(mail.partner?.email);
      mail.state = 'exception';
      mail.failureType = 'mail_bounce';
      mail.failureReason = reason;
      // a sender still holding the mail (an MTA can bounce before the sender records "sent") must not overwrite
      // this: its outcome is written only where its claim token still is
      mail.claimToken = null;
      marked.push(`outgoing mail ${mail.id}`);
      if (mail.notification) {
        this.markNotification(mail.notification, reason);
        marked.push(`notification ${mail.notification.id}`);
      }
      const partner = mail.partner ?? mail.notification?.partner;
      if (partner) partners.set(partner.id, partner);
    }
    // a report about no mail we sent counts against nobody (anyone can write a DSN naming any address)
    for (const partner of partners.values()) {
      partner.bounceCount += 1;
      if (partner.bounceCount >= this.config.bounceThreshold && !partner.blacklisted) {
        partner.blacklisted = true;
        marked.push(`partner ${partner.email} blacklisted after ${partner.bounceCount} bounces`);
      } else {
        marked.push(`partner ${partner.email} bounce count ${partner.bounceCount}`);
      }
    }
    const who = failed.map((r) => r.email).join(', ') || 'an unnamed recipient';
    const what = marked.length ? marked.join('; ') : 'no mail of ours found to mark';
    const reason = `bounce (${report.kind}) for ${who}: ${report.reason.slice(0, 200)} → ${what}`;
    return { reason, partners: [...partners.values()].map((p) => p.email) };
  }

  private markNotification(n: Notification, reason: string): void {
    n.status = 'bounce';
    n.failureType = 'mail_bounce';
    n.failureReason = reason;
  }
}
