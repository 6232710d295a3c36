import type { EntityManager } from '@mikro-orm/core';
import type { InboundDecision, InboundEmail, InboundStatus } from '../entities/inbound-email.entity.js';
import type { MessageType } from '../entities/message.entity.js';
import { Partner } from '../entities/partner.entity.js';
import type { InboundMail } from '../gateway/inbound-mail.js';
import { chatterPlatform } from '../schema/chatter-migrator.js';
import { placeholders, runNative, together } from '../schema/native-query.js';
import { normalizeEmail } from '../thread/email-address.js';
import type { ThreadFollowers } from '../outbound/thread-followers.js';
import type { ResolvedAlias } from './alias-resolver.js';

/** A stored message, as the rules need it: where it lives, what it was. */
export interface KnownMessage {
  id: number;
  messageId: string;
  resModel: string;
  resId: string;
  messageType: MessageType;
  isInternal: boolean;
}

/** A mail routed in the part of the batch not written yet: the thread it posts on (a placeholder id for a new record). */
export interface PlannedMessage {
  messageId: string;
  resModel: string;
  resId: string;
  isInternal: boolean;
  /** who sent it, and its To/Cc: they may answer it (the reply policy) */
  sender: string | null;
  recipients: string[];
}

export const PLANNED_RECORD_MARK = '(new, from inbound mail ';

/** the stand-in id of the record a mail of the batch is creating (ledger row `rowId`), until it is written */
export function plannedRecordId(rowId: number): string {
  return `${PLANNED_RECORD_MARK}${rowId})`;
}

/** An earlier ledger row with a final status, as the duplicate rule needs it. */
export interface KnownInbound {
  id: number;
  messageId: string;
  mailbox: string;
  status: InboundStatus;
  sourceKind: string;
}

/** What the rules look up for one mail of a batch: the ledger row and its parsed mail. */
export interface LookupSubject {
  row: Pick<InboundEmail, 'id' | 'messageId' | 'mailbox'>;
  mail: Pick<InboundMail, 'messageId' | 'sender' | 'inReplyTo' | 'references' | 'bounce'>;
}

/** How a batch loads what it looks up lazily, in its transaction. */
export interface LookupLoaders {
  /** the loop guard's window */
  loopWindowMs: number;
  aliases(): Promise<ResolvedAlias[]>;
  /** ids of the subtypes a new follower of `model` gets */
  defaultSubtypes(model: string, internalPartner: boolean): Promise<number[]>;
}

/** the References a reply is matched on (DESIGN §3: the last 32) */
export const MAX_REFERENCES = 32;
const FINAL: InboundStatus[] = ['delivered', 'bounced', 'rejected', 'ignored'];
/** values per IN list, to keep each query's text and plan small */
const CHUNK = 500;

/**
 * The batch's reads of the ledger, for `n` values. Neither filters on the status: with a status condition SQLite reads
 * the status index instead of the Message-ID or sender one — every delivered row of the ledger, for every batch (~9 ms
 * a batch at 6,000 rows, growing with the ledger). The rows a status rules out are few, and skipped in code.
 */
export const LEDGER_LOOKUPS = {
  /** earlier rows with these Message-IDs (the duplicate rule keeps those with a final status) */
  byMessageId: (n: number) => `select id, message_id, mailbox, status, source_kind from chatter_inbound_email where message_id in (${marks(n)}) order by id`,
  /** per sender, record and decision: rows received since `?` (the loop guard counts the delivered ones) */
  loopCounts: (n: number) =>
    `select sender, res_model, res_id, decision, status, count(*) as n from chatter_inbound_email where sender in (${marks(n)}) and received_at >= ? group by sender, res_model, res_id, decision, status`,
};

function marks(n: number): string {
  return placeholders(Array.from({ length: n }));
}

/**
 * The look-ups routing does for every mail — Message-IDs already posted, earlier ledger rows with the same Message-ID,
 * the aliases, the loop guard's counts — done once for a whole batch, in a few IN / GROUP BY queries instead of a
 * handful of queries per mail. Mails of the batch are routed one after the other in the batch's transaction, and what
 * an earlier mail wrote is added here (`remember*`) as soon as it is handled: a later mail of the same batch sees it
 * exactly as it would have seen the committed rows. A batch that rolls back drops its look-ups with it.
 */
export class RoutingLookups {
  private readonly messages = new Map<string, KnownMessage>();
  private readonly inbound = new Map<string, KnownInbound[]>();
  /** per sender: delivered mails within the loop window, per `model\0id\0decision` */
  private readonly loops = new Map<string, Map<string, number>>();
  private aliasList: ResolvedAlias[] | undefined;
  private readonly subtypes = new Map<string, Promise<number[]>>();
  /** senders answered by this batch (their rows are written when the batch ends) */
  private readonly answered = new Set<string>();
  /** senders whose partner has a bounce count to reset */
  private readonly bouncing = new Set<string>();
  /** senders' partners in the batch's unit of work (null: none yet) */
  private readonly partners = new Map<string, Partner | null>();
  /** partners' rows as read (null: none), by email, until `loadPartners` puts them in the unit of work */
  private readonly partnerRows = new Map<string, Record<string, unknown> | null>();
  /** the followers of the threads the batch is writing to (read again for each part it writes) */
  followers?: ThreadFollowers;
  /** Message-IDs of mails routed in the part being written, and the thread each goes to (see `InBatchParent`) */
  private readonly planned = new Map<string, PlannedMessage>();

  private constructor(
    readonly since: Date,
    private readonly loaders: LookupLoaders,
  ) {}

  /** prefetches what `subjects` will ask for */
  static async load(em: EntityManager, subjects: LookupSubject[], loaders: LookupLoaders): Promise<RoutingLookups> {
    const lookups = new RoutingLookups(new Date(Date.now() - loaders.loopWindowMs), loaders);
    const messageIds = new Set<string>();
    for (const { mail } of subjects) {
      messageIds.add(mail.messageId);
      for (const id of mail.inReplyTo) messageIds.add(id);
      for (const id of mail.references.slice(-MAX_REFERENCES)) messageIds.add(id);
      if (mail.bounce?.originalMessageId) messageIds.add(mail.bounce.originalMessageId);
    }
    // plain reads with bound values: through the ORM's query builder these four cost ~5 ms of a batch's main thread.
    // On PostgreSQL they are one statement (`readAll`); on SQLite, which has no round trips, four plain ones
    const senders = [...new Set(subjects.map((s) => s.mail.sender).filter((s): s is string => !!s))];
    if (chatterPlatform(em) === 'postgresql') await lookups.readAll(em, [...messageIds], subjects, senders);
    else await together([lookups.readMessages(em, [...messageIds]), lookups.readInbound(em, subjects), lookups.readSenders(em, senders)]);
    return lookups;
  }

  /**
   * PostgreSQL: the four reads in one statement, each list bound as one array, each row as a JSON value tagged with
   * its read. Sent one after the other they were four round trips a batch, each waking the server's backend (which
   * takes a core from this thread on a small machine) for a few rows' work.
   */
  private async readAll(em: EntityManager, messageIds: string[], subjects: LookupSubject[], senders: string[]): Promise<void> {
    for (const email of senders) this.partnerRows.set(email, null);
    const rows = await runNative<{ k: string; v: unknown }>(
      em,
      "select 'm' as k, json_build_array(id, message_id, res_model, res_id, message_type, is_internal) as v from chatter_message where message_id = any(cast(? as text[])) " +
        "union all select 'i', json_build_array(id, message_id, mailbox, status, source_kind) from chatter_inbound_email where message_id = any(cast(? as text[])) " +
        "union all select 'l', json_build_array(sender, res_model, res_id, decision, status, count(*)) from chatter_inbound_email " +
        'where sender = any(cast(? as text[])) and received_at >= ? group by sender, res_model, res_id, decision, status ' +
        // a partner per address, each through the email index: with `email = any(…)` the planner takes a table it
        // has no statistics for yet (a young database) for small and reads every partner, ~2 ms a batch at 4,000
        "union all select 'p', to_json(p) from unnest(cast(? as text[])) as w(email) cross join lateral (select * from chatter_partner where email = w.email limit 1) p",
      [messageIds, [...new Set(subjects.map((s) => s.row.messageId))], senders, this.since, senders],
    );
    const partnerDates = em.getMetadata().get(Partner).props.filter((p) => p.runtimeType === 'Date').map((p) => p.fieldNames[0]);
    for (const { k, v } of rows) {
      if (k === 'm') {
        const [id, messageId, resModel, resId, messageType, isInternal] = v as [number, string, string, string, MessageType, boolean];
        this.rememberMessage({ id: Number(id), messageId, resModel, resId, messageType, isInternal: Boolean(isInternal) });
      } else if (k === 'i') {
        const [id, messageId, mailbox, status, sourceKind] = v as [number, string, string, InboundStatus, string];
        this.rememberInbound({ id: Number(id), messageId, mailbox, status, sourceKind });
      } else if (k === 'l') {
        const [sender, model, id, decision, status, n] = v as [string, string | null, string | null, string | null, string, number];
        if (status === 'delivered') this.addLoop(sender, model, id, decision, Number(n));
      } else {
        // JSON has no dates: the partner's come as ISO strings
        const row = v as Record<string, unknown>;
        for (const field of partnerDates) if (typeof row[field] === 'string') row[field] = new Date(row[field] as string);
        this.partnerRow(row);
      }
    }
  }

  private async readMessages(em: EntityManager, messageIds: string[]): Promise<void> {
    for (const ids of chunks(messageIds)) {
      const found = await runNative<Record<string, unknown>>(
        em,
        `select id, message_id, res_model, res_id, message_type, is_internal from chatter_message where message_id in (${placeholders(ids)})`,
        ids,
      );
      for (const m of found) {
        this.rememberMessage({
          id: Number(m.id),
          messageId: String(m.message_id),
          resModel: String(m.res_model),
          resId: String(m.res_id),
          messageType: m.message_type as MessageType,
          isInternal: Boolean(m.is_internal),
        });
      }
    }
  }

  private async readInbound(em: EntityManager, subjects: LookupSubject[]): Promise<void> {
    for (const ids of chunks([...new Set(subjects.map((s) => s.row.messageId))])) {
      const found = await runNative<Record<string, unknown>>(em, LEDGER_LOOKUPS.byMessageId(ids.length), ids);
      for (const row of found) {
        this.rememberInbound({ id: Number(row.id), messageId: String(row.message_id), mailbox: String(row.mailbox), status: row.status as InboundStatus, sourceKind: String(row.source_kind) });
      }
    }
  }

  /** the senders' deliveries within the loop window, and their partners */
  private async readSenders(em: EntityManager, senders: string[]): Promise<void> {
    for (const list of chunks(senders)) {
      const [counts] = await together([
        runNative<{ sender: string; res_model: string | null; res_id: string | null; decision: string | null; status: string; n: number | string }>(
          em,
          LEDGER_LOOKUPS.loopCounts(list.length),
          [...list, this.since],
        ),
        this.readPartners(em, list),
      ]);
      for (const c of counts) if (c.status === 'delivered') this.addLoop(c.sender, c.res_model, c.res_id, c.decision, Number(c.n));
    }
  }

  /**
   * Puts the partners of these addresses in `em` (the batch's unit of work): those read already (the senders', with
   * the batch), the others read now, in one plain query per chunk. Only the partners found become entities: ~1.7 ms
   * a batch through `em.find`, most of it building the query, when most senders have none yet.
   */
  async loadPartners(em: EntityManager, emails: string[]): Promise<void> {
    const wanted = [...new Set(emails.map(normalizeEmail))].filter((e) => !this.partners.has(e));
    const unread = wanted.filter((e) => !this.partnerRows.has(e));
    for (const list of chunks(unread)) await this.readPartners(em, list);
    for (const email of wanted) {
      const row = this.partnerRows.get(email);
      this.partners.set(email, row ? em.map(Partner, row) : null);
    }
  }

  /** the partner rows of these (normalized) addresses, null for none; and which ones have a bounce count to reset */
  private async readPartners(em: EntityManager, emails: string[]): Promise<void> {
    for (const email of emails) this.partnerRows.set(email, null);
    for (const row of await runNative<Record<string, unknown>>(em, `select * from chatter_partner where email in (${placeholders(emails)})`, emails)) {
      this.partnerRow(row);
    }
  }

  private partnerRow(row: Record<string, unknown>): void {
    const email = String(row.email);
    this.partnerRows.set(email, row);
    if (Number(row.bounce_count) > 0) this.bouncing.add(email);
  }

  /** the partner of `email` in the batch's unit of work; null when there is none yet, undefined when never loaded */
  partner(email: string): Partner | null | undefined {
    return this.partners.get(normalizeEmail(email));
  }

  rememberPartner(partner: Partner): void {
    this.partners.set(partner.email, partner);
  }

  async aliases(): Promise<ResolvedAlias[]> {
    this.aliasList ??= await this.loaders.aliases();
    return this.aliasList;
  }

  defaultSubtypes(model: string, internalPartner: boolean): Promise<number[]> {
    const key = `${model}\0${internalPartner}`;
    let ids = this.subtypes.get(key);
    if (!ids) this.subtypes.set(key, (ids = this.loaders.defaultSubtypes(model, internalPartner)));
    return ids;
  }

  /** whether this batch already answered `sender` */
  wasAnswered(sender: string): boolean {
    return this.answered.has(sender);
  }

  rememberAnswered(sender: string): void {
    this.answered.add(sender);
  }

  message(messageId: string): KnownMessage | undefined {
    return this.messages.get(messageId);
  }

  /** a mail routed in the part of the batch not written yet, by its Message-ID */
  plannedMessage(messageId: string): PlannedMessage | undefined {
    return this.planned.get(messageId);
  }

  rememberPlannedMessage(m: PlannedMessage): void {
    if (!this.messages.has(m.messageId) && !this.planned.has(m.messageId)) this.planned.set(m.messageId, m);
  }

  /** the part is written: its messages are known (`rememberMessage`) */
  forgetPlannedMessages(): void {
    this.planned.clear();
  }

  /** the first earlier row (lowest id) with a final status, the same Message-ID and mailbox, that is not `row` */
  earlierInbound(row: LookupSubject['row']): KnownInbound | undefined {
    return this.inbound.get(row.messageId)?.find((r) => r.mailbox === row.mailbox && r.id !== row.id);
  }

  /** delivered mails from `sender` within the window: to one record, or creating records of one model */
  loopCount(sender: string, target: { kind: 'thread'; model: string; id: string } | { kind: 'new'; model: string }): number {
    let n = 0;
    for (const [key, count] of this.loops.get(sender) ?? []) {
      const [model, id, decision] = key.split('\0');
      if (model !== target.model) continue;
      if (target.kind === 'thread' ? id === target.id : decision === 'alias' || decision === 'fallback') n += count;
    }
    return n;
  }

  /** whether `sender`'s partner may have a bounce count to reset */
  mayHaveBounced(sender: string): boolean {
    return this.bouncing.has(sender);
  }

  /** a bounce of the batch raised these partners' bounce counts */
  rememberBounced(emails: string[]): void {
    for (const email of emails) this.bouncing.add(email);
  }

  rememberMessage(m: KnownMessage): void {
    if (!this.messages.has(m.messageId)) this.messages.set(m.messageId, { id: m.id, messageId: m.messageId, resModel: m.resModel, resId: m.resId, messageType: m.messageType, isInternal: m.isInternal });
  }

  rememberInbound(row: KnownInbound): void {
    if (!FINAL.includes(row.status)) return;
    const list = this.inbound.get(row.messageId) ?? [];
    list.push({ id: row.id, messageId: row.messageId, mailbox: row.mailbox, status: row.status, sourceKind: row.sourceKind });
    list.sort((a, b) => a.id - b.id);
    this.inbound.set(row.messageId, list);
  }

  /** a mail of the batch ended `delivered` on `model`/`id`: the loop guard counts it from now on */
  rememberDelivery(sender: string | null, model: string | null, id: string | null, decision: InboundDecision | null, receivedAt: Date): void {
    if (sender && receivedAt >= this.since) this.addLoop(sender, model, id, decision, 1);
  }

  /** a delivery remembered on a new record's placeholder (`plannedRecordId`) now has the record's id */
  placeDelivery(sender: string | null, model: string, placeholder: string, id: string, decision: InboundDecision | null, receivedAt: Date): void {
    if (!sender || receivedAt < this.since) return;
    this.addLoop(sender, model, placeholder, decision, -1);
    this.addLoop(sender, model, id, decision, 1);
  }

  private addLoop(sender: string, model: string | null, id: string | null, decision: string | null, n: number): void {
    let counts = this.loops.get(sender);
    if (!counts) this.loops.set(sender, (counts = new Map()));
    const key = [model ?? '', id ?? '', decision ?? ''].join('\0');
    counts.set(key, (counts.get(key) ?? 0) + n);
  }
}

function chunks<T>(values: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(values.slice(i, i + CHUNK));
  return out;
}
