import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { Message } from '../entities/message.entity.js';
import { Notification } from '../entities/notification.entity.js';
import type { Partner } from '../entities/partner.entity.js';
import { computeRecipients, type Recipient } from './recipients.js';

/**
 * Turns a posted message into one Notification per recipient, inside the post's transaction:
 * inbox recipients get a `sent` inbox notification; email recipients a `ready` one.
 */
@Injectable()
export class NotificationService {
  async notify(em: EntityManager, message: Message, mentioned: Partner[] = []): Promise<Recipient[]> {
    const recipients = await computeRecipients(em, message, mentioned);
    for (const r of recipients) {
      em.persist(
        em.create(Notification, {
          message,
          partner: r.partner,
          notificationType: r.channel,
          status: r.channel === 'inbox' ? 'sent' : 'ready',
        }),
      );
    }
    return recipients;
  }
}
