import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import type { Message } from '../entities/message.entity.js';
import { Notification } from '../entities/notification.entity.js';
import type { Partner } from '../entities/partner.entity.js';
import { OutboxSender } from './outbox-sender.js';
import { OutboxService } from './outbox.service.js';
import { bulkInsert } from '../schema/bulk-insert.js';
import { computeRecipients, type Recipient, type RecipientPartner } from './recipients.js';

/** mails queued per message, until `dispatch` after commit decides how they go out */
const queued = new WeakMap<Message, number>();

/**
 * Notifications computed for messages that are not flushed yet, to be written together once they are (`writePending`):
 * a batch of inbound mails relays its replies in one flush and a few inserts instead of a flush and three statements
 * each.
 */
export class PendingNotifications {
  readonly items: { message: Message; recipients: Recipient[] }[] = [];
}

/**
 * Turns a posted message into one Notification per recipient, inside the post's transaction: inbox recipients get a
 * `sent` inbox notification; email recipients a `ready` one and an OutgoingMail (the transactional outbox).
 * After commit, `dispatch` starts the sending.
 */
@Injectable()
export class NotificationService {
  constructor(
    private readonly outbox: OutboxService,
    private readonly sender: OutboxSender,
  ) {}

  /**
   * `followers`: the thread's followers of the message's subtype, when the caller read them already. `pending`: only
   * compute the recipients and add them there; the caller writes them with `writePending` after its flush.
   */
  async notify(
    em: EntityManager,
    message: Message,
    mentioned: Partner[] = [],
    followers?: RecipientPartner[],
    pending?: PendingNotifications,
  ): Promise<Recipient[]> {
    const recipients = await computeRecipients(em, message, mentioned, followers);
    if (recipients.length === 0) return recipients;
    if (pending) {
      pending.items.push({ message, recipients });
      return recipients;
    }
    // rows go in bulk (a post to 1,000 followers is 2,000 rows): the message needs its id first
    await em.flush();
    await this.write(em, [{ message, recipients }]);
    return recipients;
  }

  /** the notifications (and outbox mails) put off by `notify`, once their messages are flushed */
  async writePending(em: EntityManager, pending: PendingNotifications): Promise<void> {
    await this.write(em, pending.items);
    pending.items.length = 0;
  }

  private async write(em: EntityManager, items: { message: Message; recipients: Recipient[] }[]): Promise<void> {
    if (items.length === 0) return;
    const now = new Date();
    const rows = items.flatMap(({ message, recipients }) =>
      recipients.map((r) => ({
        message: message.id,
        partner: r.partner.id,
        notificationType: r.channel,
        status: r.channel === 'inbox' ? ('sent' as const) : ('ready' as const),
        failureType: null,
        failureReason: null,
        isRead: false,
        readAt: null,
        createdAt: now,
      })),
    );
    const emailed = items
      .map(({ message, recipients }) => ({ message, byEmail: recipients.filter((r) => r.channel === 'email') }))
      .filter(({ byEmail }) => byEmail.length > 0);
    // the outbox rows point at their notification: ask the insert for the ids only when there are some
    const inserted = await bulkInsert(em, Notification, rows, emailed.length ? ['id', 'message', 'partner'] : []);
    if (emailed.length === 0) return;
    const notificationOf = new Map(inserted.map((row) => [`${Number(row.message)}:${Number(row.partner)}`, Number(row.id)]));
    const counts = await this.outbox.queueNotificationMailsOf(
      em,
      emailed.map(({ message, byEmail }) => ({
        message,
        recipients: byEmail.map((r) => ({ partner: r.partner, notificationId: notificationOf.get(`${message.id}:${r.partner.id}`)! })),
      })),
    );
    for (const [i, { message }] of emailed.entries()) queued.set(message, (queued.get(message) ?? 0) + counts[i]);
  }

  /**
   * Call after the transaction that wrote `message` committed: a small fan-out is sent right away by this process,
   * a large one is drained through the job queue (other replicas help). Without mails, nothing happens.
   */
  dispatch(message: Message): void {
    const count = queued.get(message) ?? 0;
    queued.delete(message);
    if (count === 0) return;
    this.sender.sendMessage(message.id, count);
  }
}
