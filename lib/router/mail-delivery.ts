import { Injectable } from '@nestjs/common';
import type { EntityManager } from '@mikro-orm/core';
import { ChatterConfig } from '../chatter.config.js';
import { Message } from '../entities/message.entity.js';
import { Subtype } from '../entities/subtype.entity.js';
import type { Partner } from '../entities/partner.entity.js';
import { InboundConfig } from '../gateway/inbound-config.js';
import type { PendingNotifications } from '../outbound/notification.service.js';
import type { PendingFollows } from '../thread/follower.service.js';
import type { PendingMessages } from '../thread/thread.service.js';
import type { InboundMail } from '../gateway/inbound-mail.js';
import { ModelRegistry, type ChatterModel, type ThreadRef } from '../model-registry.js';
import { runAsActor } from '../thread/actor.js';
import { FollowerService } from '../thread/follower.service.js';
import { fitBody, textToHtml } from '../thread/html.js';
import { generateMessageId } from '../thread/message-id.js';
import { PartnerService } from '../thread/partner.service.js';
import { ThreadService } from '../thread/thread.service.js';
import type { RouteTarget } from './route.js';
import type { RoutingLookups } from './routing-lookups.js';

/** What a batch writes together once its new records have ids: the messages, then their notifications, the followers. */
export interface DeferredWrites {
  messages: PendingMessages;
  notifications: PendingNotifications;
  follows: PendingFollows;
}

/** A route target made ready before the batch's records are written: the record to create, or the thread to post on. */
export interface PreparedTarget {
  target: RouteTarget;
  /** the new record (persisted, not flushed: its id comes with the batch's flush) */
  created?: object;
}

/**
 * Posts a routed mail as an `email` message: on an existing thread (a reply; `onMessageUpdate` runs), or on a record
 * created for it (`onMessageNew`, default: subject → name field, sender → primary-email field; the sender follows it).
 * The author is the sender's partner, found or created. Followers are notified by the normal path, except those
 * already among the mail's To/Cc; an auto-reply notifies nobody.
 * Two steps, so that a batch writes its new partners and records in one flush: `author` + `prepare` for every mail,
 * the flush, then `deliver` for every mail.
 */
@Injectable()
export class MailDelivery {
  constructor(
    private readonly models: ModelRegistry,
    private readonly threads: ThreadService,
    private readonly partners: PartnerService,
    private readonly followers: FollowerService,
    private readonly config: InboundConfig,
    private readonly chatter: ChatterConfig,
  ) {}

  /** the sender's partner in `em` (the batch's unit of work), created (not flushed) when missing */
  async author(em: EntityManager, lookups: RoutingLookups, mail: InboundMail): Promise<Partner | null> {
    if (!mail.sender) return null;
    const who = { email: mail.sender, name: mail.senderName ?? undefined };
    if (lookups.partner(mail.sender) === undefined) await lookups.loadPartners(em, [mail.sender]);
    const partner = this.partners.adopt(em, who, lookups.partner(mail.sender) ?? null);
    lookups.rememberPartner(partner);
    return partner;
  }

  /** creates the record a `new` target asks for (persisted, not flushed); a thread target is loaded by `deliver` */
  async prepare(em: EntityManager, mail: InboundMail, target: RouteTarget, author: Partner | null): Promise<PreparedTarget> {
    if (target.kind === 'thread' || target.forcedThread) return { target };
    const created = await this.createRecord(em, this.models.get(target.model), mail, target.defaults, author);
    return { target, created };
  }

  /** the thread a prepared target posts on (a new record's, once it has its id) */
  threadOf({ target, created }: PreparedTarget): ThreadRef {
    if (created) return this.models.ref(created);
    return target.kind === 'thread' ? target.ref : target.forcedThread!;
  }

  /** posts the mail on its target, once the prepared records have their ids */
  async deliver(
    em: EntityManager,
    lookups: RoutingLookups,
    mail: InboundMail,
    { target, created }: PreparedTarget,
    author: Partner | null,
    first: boolean,
    later?: DeferredWrites,
  ): Promise<{ ref: ThreadRef; message: Message }> {
    const ref = this.threadOf({ target, created });
    const record = created ?? (await this.models.load(em, ref));
    const messageId = first && !lookups.message(mail.messageId) ? mail.messageId : generateMessageId(ref, this.chatter.defaultDomain.name, this.chatter.secret);
    const internal = target.kind === 'thread' && target.internal;
    const body = this.fit(mail);
    const message = await this.threads.write(em, ref, {
      type: 'email',
      subtype: internal ? 'note' : 'discussions',
      author,
      emailFrom: mail.from,
      subject: mail.subject || null,
      // a parent in the same write is linked once both have ids (`BatchSegment.linkParents`)
      parent: target.kind === 'thread' && target.parent && !target.inBatch ? em.getReference(Message, target.parent.id) : null,
      messageId,
      isInternal: internal,
      incomingTo: mail.to,
      incomingCc: mail.cc,
      body,
      // the parser sanitized the body and made its preview; an empty or oversized one was rewritten here
      sanitized: body === mail.body,
      preview: body === mail.body ? mail.preview : undefined,
      trimmedBody: mail.trimmedBody,
      attachments: mail.attachments,
      notify: !mail.autoReply,
      followers: lookups.followers,
      notifyLater: later?.notifications,
      insertLater: later?.messages,
    });
    if (created && author) {
      // a new follower gets the default subtypes: looked up once per batch
      const subtypes = await lookups.defaultSubtypes(ref.model, author.isInternal);
      const following = !author.id ? false : lookups.followers?.has(ref) ? lookups.followers.follows(ref, author.id) : undefined;
      let subtypeIds = subtypes;
      if (following === false && author.id && later) {
        later.follows.items.push({ ref, partnerId: author.id, subtypeIds });
      } else {
        const follower = await this.followers.follow(em, ref, author, subtypes.map((id) => em.getReference(Subtype, id)), following);
        subtypeIds = follower.subtypes.getItems().map((s) => s.id);
      }
      // a reply later in the same write relays to them too
      lookups.followers?.add(ref, author, subtypeIds);
    }
    if (!created) await this.config.hooksFor(ref.model).onMessageUpdate?.(mail, record);
    return { ref, message };
  }

  private async createRecord(em: EntityManager, model: ChatterModel, mail: InboundMail, aliasDefaults: Record<string, unknown>, author: Partner | null): Promise<object> {
    const values: Record<string, unknown> = { ...aliasDefaults };
    if (model.nameField && values[model.nameField] === undefined) values[model.nameField] = fitLength(model, model.nameField, mail.subject || '(no subject)');
    const email = model.options.primaryEmail;
    if (email && values[email] === undefined && mail.sender) values[email] = mail.sender;
    const hook = this.config.hooksFor(model.name).onMessageNew;
    const result = await runAsActor(author ? { email: author.email, name: author.name } : null, () => (hook ? hook(mail, values) : values));
    const record = result instanceof (model.entity as new () => object) ? result : em.create(model.entity as any, result as object);
    em.persist(record);
    return record;
  }

  /** an empty mail still says something; an oversized one is cut to the configured body limit */
  private fit(mail: InboundMail): string {
    const body = mail.body || (mail.attachments.length ? '' : textToHtml(mail.subject ? `(no text) ${mail.subject}` : '(empty message)'));
    // the parse workers fitted the body already (it is only checked here)
    return fitBody(body, this.chatter.maxBodyBytes);
  }
}

function fitLength(model: ChatterModel, field: string, value: string): string {
  const length = model.meta.properties[field]?.length;
  return typeof length === 'number' && value.length > length ? value.slice(0, length) : value;
}
