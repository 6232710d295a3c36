import { BadRequestException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { MikroORM, type EntityManager } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import { Attachment } from '../entities/attachment.entity.js';
import { Follower } from '../entities/follower.entity.js';
import { Message, type MessageType } from '../entities/message.entity.js';
import { Notification } from '../entities/notification.entity.js';
import type { Partner } from '../entities/partner.entity.js';
import { ModelRegistry, type ThreadRef } from '../model-registry.js';
import { NotificationService, type PendingNotifications } from '../outbound/notification.service.js';
import type { ThreadFollowers } from '../outbound/thread-followers.js';
import { TrackingValue } from '../entities/tracking-value.entity.js';
import { ChatterEvents } from './events.js';
import { FollowerService } from './follower.service.js';
import { htmlToPreview, sanitizeBody, textToHtml } from './html.js';
import { generateMessageId } from './message-id.js';
import { PartnerService, type PartnerLike } from './partner.service.js';
import { SubtypeService } from './subtype.service.js';
import { mentionedPartners } from './mentions.js';
import { AttachmentService } from '../attachment/attachment.service.js';
import { bulkInsert, type InsertOptions } from '../schema/bulk-insert.js';
import { updateRows } from '../schema/row-updates.js';

export interface AttachmentInput {
  name: string;
  content: Buffer;
  mimetype?: string;
  cid?: string;
}

/** how a posted body is written */
export type BodyFormat = 'text' | 'html';

export interface PostOptions {
  /** the message, as `format` says */
  body: string;
  /**
   * `html` (default): HTML, sanitized before it is stored; `text`: plain text as a person typed it, escaped with its
   * line breaks kept (what a textarea sends)
   */
  format?: BodyFormat;
  type?: 'comment' | 'note';
  /** default: the current actor; `null` posts as the system */
  author?: PartnerLike | null;
  subject?: string;
  /** partners to notify even if they do not follow (mentions) */
  partnerIds?: number[];
  /** the same by email: found, or created with the message (nothing is created when the post is refused) */
  mentions?: PartnerLike[];
  attachments?: AttachmentInput[];
  /** files uploaded on this record beforehand (`POST /chatter/:model/:id/attachments`), moved onto the message */
  attachmentIds?: number[];
  parentId?: number;
}

/** A message of a thread page with what hangs off it. */
export interface ThreadEntry {
  message: Message;
  attachments: Attachment[];
  tracking: TrackingValue[];
  notifications: Notification[];
}

/** Everything `ThreadService` accepts as a thread: a `@Chatter()` entity or `{ model, id }`. */
export type ThreadTarget = object | ThreadRef;

/** Internal: the full set of fields a message can be written with (inbound mail and the system use more than `post`). */
export interface MessageDraft {
  type: MessageType;
  body: string;
  subtype?: 'discussions' | 'note' | 'activities' | null;
  author: Partner | null;
  emailFrom?: string | null;
  subject?: string | null;
  parent?: Message | null;
  messageId?: string;
  isInternal?: boolean;
  incomingTo?: string[] | null;
  incomingCc?: string[] | null;
  trimmedBody?: string | null;
  attachments?: AttachmentInput[];
  /** uploads waiting on the record, moved onto the message */
  attachmentIds?: number[];
  mentioned?: Partner[];
  /** notify followers (false for auto-replies and system messages) */
  notify?: boolean;
  /** the thread's followers, when the caller read them already (an inbound batch reads them for all its threads) */
  followers?: ThreadFollowers;
  /** put the notifications off until the caller has flushed its messages (see `PendingNotifications`) */
  notifyLater?: PendingNotifications;
  /** `body` went through `sanitizeBody` already (inbound mail, sanitized by the parse workers) */
  sanitized?: boolean;
  /** leave the message out of the unit of work: the caller writes it with others (`ThreadService.writePending`) */
  insertLater?: PendingMessages;
  /** the preview of `body`, when the caller computed it already */
  preview?: string;
}

/**
 * Messages written together, natively, once the caller's new records and partners have ids (an inbound batch): through
 * the unit of work a message cost ~0.2 ms, most of it the ORM inlining its body into the INSERT's text for the database
 * to parse back. Until `writePending` gives them their ids they are in no unit of work; their attachments wait here.
 */
export class PendingMessages {
  readonly items: { message: Message; attachments: AttachmentInput[] }[] = [];
}

/** Posts messages and notes, manages followers, reads threads and inboxes (Odoo's `mail.thread`, in small pieces). */
@Injectable()
export class ThreadService {
  private readonly logger = new Logger('Chatter');

  constructor(
    private readonly orm: MikroORM,
    private readonly models: ModelRegistry,
    private readonly partners: PartnerService,
    private readonly followerService: FollowerService,
    private readonly subtypes: SubtypeService,
    private readonly notifications: NotificationService,
    private readonly events: ChatterEvents,
    private readonly options: ChatterConfig,
    private readonly attachmentFiles: AttachmentService,
  ) {}

  /** Posts a message (`comment`, emails followers) or a note (internal). Returns once committed. */
  async post(target: ThreadTarget, options: PostOptions): Promise<Message> {
    const ref = this.models.ref(target);
    const type = options.type ?? 'comment';
    if (type !== 'comment' && type !== 'note') throw new BadRequestException(`type must be "comment" or "note", got ${JSON.stringify(type)}`);
    if (typeof options.body !== 'string') throw new BadRequestException('body must be a string');
    const format = options.format ?? 'html';
    if (format !== 'text' && format !== 'html') throw new BadRequestException(`format must be "text" or "html", got ${JSON.stringify(format)}`);
    const message = await this.orm.em.fork().transactional(async (em) => {
      await this.models.load(em, ref);
      const author = await this.authorFor(em, options.author);
      // named partners ∪ partners `@`-mentioned in the body (existing ones only)
      const mentioned = [
        ...(await this.loadPartners(em, options.partnerIds ?? [])),
        ...(await Promise.all((options.mentions ?? []).map((who) => this.partners.resolve(em, who)))),
        ...(await mentionedPartners(em, options.body, format === 'html')),
      ];
      const parent = options.parentId === undefined ? null : await this.parentIn(em, ref, options.parentId);
      const message = await this.write(em, ref, {
        type,
        body: format === 'text' ? textToHtml(options.body) : options.body,
        subtype: type === 'note' ? 'note' : 'discussions',
        author,
        subject: options.subject ?? null,
        parent,
        isInternal: type === 'note',
        attachments: options.attachments,
        attachmentIds: options.attachmentIds,
        mentioned,
      });
      // Odoo's auto-follow: a user who writes on a record follows it
      if (author?.isInternal) await this.followerService.follow(em, ref, author);
      return message;
    });
    this.committed(message);
    return message;
  }

  /** An internal note; shorthand for `post(target, { ...options, body, type: 'note' })`. */
  logNote(target: ThreadTarget, body: string, options: Omit<PostOptions, 'body' | 'type'> = {}): Promise<Message> {
    return this.post(target, { ...options, body, type: 'note' });
  }

  /**
   * Writes a message and its notifications with `em` (the caller's transaction). Used by `post`, by the record
   * lifecycle (creation and tracking messages) and by inbound mail. Validates and sanitizes the body.
   */
  async write(em: EntityManager, ref: ThreadRef, draft: MessageDraft): Promise<Message> {
    const body = draft.sanitized ? draft.body : sanitizeBody(draft.body);
    const attachments = draft.attachments ?? [];
    if (!body && attachments.length === 0 && !draft.attachmentIds?.length && draft.type !== 'tracking') throw new BadRequestException('body is empty');
    const max = this.options.maxBodyBytes;
    if (Buffer.byteLength(body) > max) throw new BadRequestException(`body is larger than ${max} bytes`);
    // a plain instance: its values are final already, and the entity factory's hydration cost ~3× more
    const message = Object.assign(new Message(), {
      resModel: ref.model,
      resId: ref.id,
      messageType: draft.type,
      subtype: draft.subtype ? this.subtypes.builtin(em, draft.subtype) : null,
      author: draft.author,
      emailFrom: draft.emailFrom ?? (draft.author ? formatAddress(draft.author) : null),
      subject: draft.subject?.slice(0, 998) ?? null,
      body,
      preview: draft.preview ?? htmlToPreview(body, 250),
      messageId: draft.messageId ?? generateMessageId(ref, this.options.defaultDomain.name, this.options.secret),
      parent: draft.parent ?? null,
      isInternal: draft.isInternal ?? false,
      incomingTo: draft.incomingTo ?? null,
      incomingCc: draft.incomingCc ?? null,
      trimmedBody: draft.trimmedBody ?? null,
    });
    if (draft.insertLater) {
      if (draft.attachmentIds?.length) throw new Error('ThreadService.write: uploads cannot be moved onto a message written later');
      draft.insertLater.items.push({ message, attachments });
    } else {
      em.persist(message);
      // bytes go to the configured storage (the row, or files on disk)
      for (const file of attachments) await this.attachmentFiles.create(em, ref, file, message);
      if (draft.attachmentIds?.length) await this.attachmentFiles.claim(em, ref, draft.attachmentIds, message);
    }
    if (draft.notify !== false) {
      const followers = message.subtype && draft.followers?.has(ref) ? draft.followers.of(ref, message.subtype.id) : undefined;
      await this.notifications.notify(em, message, draft.mentioned ?? [], followers, draft.notifyLater);
    }
    return message;
  }

  /**
   * Writes `pending`'s messages in `em`'s transaction (a few multi-row INSERTs) and gives them their ids, then their
   * attachments (persisted with `em`, not flushed). Their author and subtype must have ids by now; a parent, too, or
   * be one of `pending` (a reply to a mail of the same write: linked by one UPDATE once both have ids).
   * `writes` (PostgreSQL): other writes sent with the messages' INSERT, before it or reading what it returns (the
   * messages' `id` and `message_id`, as `chatter_inserted`); there must be messages to write.
   */
  async writePending(em: EntityManager, pending: PendingMessages, writes: Pick<InsertOptions, 'alongside' | 'then'> = {}): Promise<void> {
    if (pending.items.length === 0 && !writes.alongside && !writes.then) return;
    const writing = new Set(pending.items.map(({ message }) => message));
    const replies = pending.items.map(({ message }) => message).filter((m) => m.parent && !m.parent.id);
    for (const reply of replies) if (!writing.has(reply.parent!)) throw new Error(`message ${reply.messageId}: its parent has no id and is not written with it`);
    const rows = pending.items.map(({ message: m }) => ({
      resModel: m.resModel,
      resId: m.resId,
      messageType: m.messageType,
      subtype: m.subtype?.id ?? null,
      author: m.author?.id ?? null,
      emailFrom: m.emailFrom,
      subject: m.subject,
      body: m.body,
      preview: m.preview,
      messageId: m.messageId,
      parent: m.parent?.id ?? null,
      isInternal: m.isInternal,
      incomingTo: m.incomingTo,
      incomingCc: m.incomingCc,
      trimmedBody: m.trimmedBody,
      createdAt: m.createdAt,
    }));
    // Message-IDs are unique: each row comes back to its message by it
    const ids = new Map((await bulkInsert(em, Message, rows, ['id', 'messageId'], writes)).map((row) => [row.messageId, Number(row.id)]));
    for (const { message, attachments } of pending.items) {
      message.id = ids.get(message.messageId)!;
      const ref = { model: message.resModel, id: message.resId };
      for (const file of attachments) await this.attachmentFiles.create(em, ref, file, em.getReference(Message, message.id));
    }
    if (replies.length) await updateRows(em, em.getMetadata().get(Message), replies.map((m) => ({ id: m.id, values: { parent: m.parent!.id } })));
    pending.items.length = 0;
  }

  async follow(target: ThreadTarget, who: PartnerLike, subtypeNames?: string[]): Promise<Follower> {
    const ref = this.models.ref(target);
    return this.orm.em.fork().transactional(async (em) => {
      await this.models.load(em, ref);
      const partner = await this.partners.resolve(em, who);
      const subtypes = subtypeNames ? await this.subtypes.byNames(em, ref.model, subtypeNames) : undefined;
      const follower = await this.followerService.follow(em, ref, partner, subtypes);
      await em.flush();
      await em.populate(follower, ['partner', 'subtypes']);
      return follower;
    });
  }

  /** Stops `partner` following; false when they did not follow. */
  async unfollow(target: ThreadTarget, partner: Partner | number): Promise<boolean> {
    const ref = this.models.ref(target);
    const partnerId = typeof partner === 'number' ? partner : partner.id;
    return this.orm.em.fork().transactional((em) => this.followerService.unfollow(em, ref, partnerId));
  }

  /** The record's followers with their partner and subtypes, oldest first. */
  async followers(target: ThreadTarget): Promise<Follower[]> {
    const ref = this.models.ref(target);
    const em = this.orm.em.fork();
    await this.models.load(em, ref);
    return this.followerService.list(em, ref);
  }

  /** @deprecated the same as `followers(target)` */
  listFollowers(target: ThreadTarget): Promise<Follower[]> {
    return this.followers(target);
  }

  /**
   * Newest first, paged by id: `before` is the smallest id of the previous page (keyset, flat cost at any depth).
   * Each entry carries its attachments, tracking values and notifications (three queries per page, not per message).
   */
  async messages(target: ThreadTarget, page: { limit?: number; before?: number } = {}): Promise<ThreadEntry[]> {
    const ref = this.models.ref(target);
    const limit = page.limit ?? 30;
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new BadRequestException('limit must be an integer from 1 to 200');
    if (page.before !== undefined && !Number.isInteger(page.before)) throw new BadRequestException('before must be a message id');
    const em = this.orm.em.fork();
    await this.models.load(em, ref);
    const messages = await em.find(
      Message,
      { resModel: ref.model, resId: ref.id, ...(page.before !== undefined ? { id: { $lt: page.before } } : {}) },
      { orderBy: { id: 'desc' }, limit, populate: ['author', 'subtype'] },
    );
    const ids = messages.map((m) => m.id);
    const [attachments, tracking, notifications] = ids.length
      ? await Promise.all([
          em.find(Attachment, { message: { $in: ids } }, { orderBy: { id: 'asc' } }),
          em.find(TrackingValue, { message: { $in: ids } }, { orderBy: { id: 'asc' } }),
          em.find(Notification, { message: { $in: ids } }, { orderBy: { id: 'asc' }, populate: ['partner'] }),
        ])
      : [[], [], []];
    const of = <T extends { message: Message | null }>(rows: T[], m: Message) => rows.filter((r) => r.message?.id === m.id);
    return messages.map((message) => ({
      message,
      attachments: of(attachments, message),
      tracking: of(tracking, message),
      notifications: of(notifications, message),
    }));
  }

  /** A partner's inbox: their notifications, newest first, unread ones only unless `all`. */
  async notificationsFor(partner: Partner | number, options: { all?: boolean; limit?: number } = {}): Promise<Notification[]> {
    const em = this.orm.em.fork();
    return em.find(
      Notification,
      { partner: typeof partner === 'number' ? partner : partner.id, ...(options.all ? {} : { isRead: false }) },
      { orderBy: { id: 'desc' }, limit: options.limit ?? 50, populate: ['message', 'message.author'] },
    );
  }

  async markRead(notificationIds: number[]): Promise<number> {
    if (notificationIds.length === 0) return 0;
    const em = this.orm.em.fork();
    return em.nativeUpdate(Notification, { id: { $in: notificationIds }, isRead: false }, { isRead: true, readAt: new Date() });
  }

  private async authorFor(em: EntityManager, author: PartnerLike | null | undefined): Promise<Partner | null> {
    if (author === null) return null;
    if (author !== undefined) return this.partners.resolve(em, author);
    const actor = this.partners.currentActor();
    return actor ? this.partners.resolve(em, actor) : null;
  }

  private async loadPartners(em: EntityManager, ids: number[]): Promise<Partner[]> {
    return Promise.all([...new Set(ids)].map((id) => this.partners.resolve(em, id)));
  }

  private async parentIn(em: EntityManager, ref: ThreadRef, parentId: number): Promise<Message> {
    const parent = await em.findOne(Message, { id: parentId, resModel: ref.model, resId: ref.id });
    if (!parent) throw new NotFoundException(`message ${parentId} is not in ${ref.model} ${ref.id}`);
    return parent;
  }

  /** Once a message's transaction committed: its notification emails can go out, and listeners hear of it. */
  committed(message: Message): void {
    this.notifications.dispatch(message);
    try {
      this.events.emit('chatter.message.posted', { messageId: message.id, model: message.resModel, resId: message.resId, type: message.messageType });
    } catch (error) {
      this.logger.error(`a chatter.message.posted listener failed: ${(error as Error).message}`);
    }
  }
}

export function formatAddress(partner: Partner): string {
  const name = partner.name && partner.name !== partner.email ? `"${partner.name.replace(/["\\\r\n]/g, '')}" ` : '';
  return `${name}<${partner.email}>`;
}
