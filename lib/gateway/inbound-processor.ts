import { Injectable, Logger } from '@nestjs/common';
import { DeadlockException, FlushMode, LockWaitTimeoutException, MikroORM, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { InboundEmail } from '../entities/inbound-email.entity.js';
import { AliasResolver, type ResolvedAlias } from '../router/alias-resolver.js';
import { MAX_REFERENCES, RoutingLookups, plannedRecordId } from '../router/routing-lookups.js';
import { NotificationService, PendingNotifications } from '../outbound/notification.service.js';
import { OutboxSender } from '../outbound/outbox-sender.js';
import { ThreadFollowers } from '../outbound/thread-followers.js';
import type { DeferredWrites } from '../router/mail-delivery.js';
import { ChatterEvents } from '../thread/events.js';
import { FollowerService, PendingFollows, followersAlongside } from '../thread/follower.service.js';
import { SubtypeService } from '../thread/subtype.service.js';
import { withoutCreationLog } from '../thread/creation-log.js';
import { PendingMessages, ThreadService } from '../thread/thread.service.js';
import { InboundConfig } from './inbound-config.js';
import type { InboundMail } from './inbound-mail.js';
import { BatchSegment } from './batch-segment.js';
import { InboundMailHandler, type HandledMail, type InboundResult, type PlannedMail } from './inbound-mail-handler.js';
import { InboundParser } from './inbound-parser.js';
import { ledgerResultsAfterMessages, writeLedgerResults } from './ledger-results.js';
import { chatterPlatform } from '../schema/chatter-migrator.js';
import { placeholders, runNative, together } from '../schema/native-query.js';

/**
 * A reply whose parent mail is in the ledger but still being processed (by another worker: the two came in together)
 * waits for it, this long each time, at most this many claims; then it is routed as it stands.
 */
const PARENT_WAIT_MS = 1_000;
const PARENT_WAITS = 10;

interface ClaimedMail {
  row: InboundEmail;
  mail: InboundMail;
}

/** a mail of a batch, handled; `recorded`: its ledger result is written already (with its segment's messages) */
interface WrittenMail {
  id: number;
  done: HandledMail;
  recorded?: boolean;
}

/**
 * Processes ledger rows, many at a time: claim them (one conditional UPDATE, so two workers never process the same
 * mail), parse them (in parallel, on the parse workers), then route and deliver up to `batchSize` mails in one
 * transaction: the posted messages, bounce marks, answers and every row's final status and reason commit together.
 * If a mail throws, the batch rolls back and is run again in three parts: the mails before it together, it alone
 * (it ends `failed` with its error, for `reprocess`), the mails after it together — so one bad mail fails alone and
 * every other mail still ends as it would have on its own. If the batch fails otherwise (its commit), its mails are
 * processed one transaction each. A crash before a commit leaves rows claimed; the claim expires and they are
 * processed again (exactly once in the thread).
 */
@Injectable()
export class InboundProcessor {
  private readonly logger = new Logger('ChatterInbound');

  constructor(
    private readonly orm: MikroORM,
    private readonly config: InboundConfig,
    private readonly parser: InboundParser,
    private readonly handler: InboundMailHandler,
    private readonly aliases: AliasResolver,
    private readonly subtypes: SubtypeService,
    private readonly threads: ThreadService,
    private readonly events: ChatterEvents,
    private readonly outbox: OutboxSender,
    private readonly notifications: NotificationService,
    private readonly followers: FollowerService,
  ) {}

  /** how rows that wait are scheduled again (the gateway sets it: it owns the scheduling) */
  retryLater: (ids: number[], delayMs: number) => void = () => undefined;

  /** told of each row that reached its final status here (the gateway's scheduling skips it in later jobs) */
  onFinal: (id: number) => void = () => undefined;

  /** processes row `id` if it is waiting (or its claim expired); returns the row as it ends, null if there is none */
  async process(id: number): Promise<InboundEmail | null> {
    await this.processMany([id]);
    return this.orm.em.fork().findOne(InboundEmail, id);
  }

  /**
   * Processes the rows among `ids` that are waiting (or whose claim expired), and up to `fresh` more rows waiting for
   * their first processing that no job took yet, oldest first. Every mail starts parsing at once; each batch is routed
   * as soon as its mails are parsed, while the workers parse the next ones. `more`: rows scheduled since, which this
   * call goes on with — claimed while its last batch is written, so that the claim is not one more wait between
   * batches.
   */
  async processMany(ids: number[], fresh = 0, more?: () => number[]): Promise<void> {
    let claiming: Promise<InboundEmail[]> | undefined = this.claim([...new Set(ids)], fresh);
    while (claiming) {
      const rows: InboundEmail[] = await claiming;
      const next = await this.processClaimed(rows, () => {
        const later = more?.() ?? [];
        if (!later.length) return undefined;
        const claim = this.claim(later, 0);
        claim.catch(() => undefined); // awaited once the batch is written; no unhandled rejection meanwhile
        return { claim };
      });
      claiming = next?.claim;
    }
  }

  /** the claimed rows, batch by batch; `beforeLast()` runs as the last batch starts, and its answer is returned */
  private async processClaimed<T>(rows: InboundEmail[], beforeLast: () => T): Promise<T> {
    let next: T | undefined;
    const shared: SharedReads = { subtypes: new Map() };
    const parsing = await this.parseAll(rows);
    for (let i = 0; i < rows.length; i += this.config.batchSize) {
      const parsed = await Promise.all(parsing.slice(i, i + this.config.batchSize));
      const mine = await this.renewClaims(rows.slice(i, i + this.config.batchSize));
      const batch: ClaimedMail[] = [];
      for (const [j, mail] of parsed.entries()) {
        if (!mine.has(rows[i + j].id)) continue;
        if (mail instanceof Error) await this.fail(rows[i + j].id, mail);
        else batch.push({ row: rows[i + j], mail });
      }
      const waiting = await this.parentsInFlight(batch);
      if (waiting.size) await this.wait([...waiting]);
      const ready = batch.filter((item) => !waiting.has(item.row.id));
      if (i + this.config.batchSize >= rows.length) next = beforeLast();
      if (ready.length) await this.runBatch(ready, shared);
    }
    return rows.length ? next! : beforeLast();
  }

  /**
   * The mails of `batch` that answer a mail received before them and not processed yet, outside this batch: routed
   * now, they would miss their thread (another worker is about to create it) and open a new record instead.
   */
  private async parentsInFlight(batch: ClaimedMail[]): Promise<Set<number>> {
    const patient = batch.filter(({ row, mail }) => row.attempts < PARENT_WAITS && (mail.inReplyTo.length || mail.references.length));
    if (!patient.length) return new Set();
    const refs = (mail: InboundMail) => [...mail.inReplyTo, ...mail.references.slice(-MAX_REFERENCES)];
    const rows = await this.orm.em.fork().find(
      InboundEmail,
      { messageId: { $in: [...new Set(patient.flatMap(({ mail }) => refs(mail)))] }, status: { $in: ['received', 'processing'] }, id: { $nin: batch.map((b) => b.row.id) } },
      { fields: ['id', 'messageId'], disableIdentityMap: true },
    );
    const earliest = new Map<string, number>();
    for (const r of rows) earliest.set(r.messageId, Math.min(r.id, earliest.get(r.messageId) ?? Infinity));
    return new Set(patient.filter(({ row, mail }) => refs(mail).some((id) => (earliest.get(id) ?? Infinity) < row.id)).map(({ row }) => row.id));
  }

  /** gives the rows back to the ledger and schedules them again a little later */
  private async wait(ids: number[]): Promise<void> {
    await this.orm.em.fork().nativeUpdate(InboundEmail, { id: { $in: ids }, status: 'processing' }, { status: 'received', claimedAt: null });
    this.logger.log(`inbound mail(s) ${ids.join(', ')}: waiting for the mail they answer, still being processed`);
    this.retryLater(ids, PARENT_WAIT_MS);
  }

  private async claim(ids: number[], fresh: number): Promise<InboundEmail[]> {
    if (ids.length === 0 && fresh <= 0) return [];
    const em = this.orm.em.fork();
    const now = new Date();
    const stale = new Date(now.getTime() - this.config.processingLeaseMs);
    const which: string[] = [];
    const params: unknown[] = ['processing', now];
    if (ids.length) {
      which.push(`(id in (${placeholders(ids)}) and (status = ? or (status = ? and (claimed_at is null or claimed_at < ?))))`);
      params.push(...ids, 'received', 'processing', stale);
    }
    if (fresh > 0) {
      // rows no job took yet (another replica received them), claimed with the same statement; their conditions are
      // checked on the row itself too: PostgreSQL checks those again on a row another worker claimed meanwhile, not
      // the sub-select's answer, so no row is claimed twice (and skips rows another claim is taking: it takes others)
      const others = ids.length ? ` and id not in (${placeholders(ids)})` : '';
      const skipLocked = chatterPlatform(em) === 'postgresql' ? ' for update skip locked' : '';
      which.push(`(status = ? and attempts = 0 and id in (select id from chatter_inbound_email where status = ? and attempts = 0${others} order by id limit ?${skipLocked}))`);
      params.push('received', 'received', ...ids, fresh);
    }
    // the claimed rows come back with the UPDATE (all but the raw bytes: read by `parseAll` when needed) as plain
    // objects: processing reads them and writes its results natively, so they need no unit of work (merging a thousand
    // into one cost ~85 ms), nor an entity's per-property accessors (~9 ms)
    const meta = em.getMetadata().get(InboundEmail);
    const props = meta.props.filter((p) => p.name !== 'raw' && p.fieldNames?.length);
    const claimed = await runNative<Record<string, unknown>>(
      em,
      `update chatter_inbound_email set status = ?, claimed_at = ?, attempts = attempts + 1
       where ${which.join(' or ')}
       returning ${props.flatMap((p) => p.fieldNames).join(', ')}`,
      params,
    );
    // the driver's mapping gives the columns their properties' names and dates; custom types (the JSON recipients)
    // convert here
    const driver = em.getDriver();
    const platform = em.getPlatform();
    const custom = props.filter((p) => p.customType);
    return claimed
      .map((raw) => {
        const row = driver.mapResult(raw, meta) as Record<string, unknown>;
        for (const prop of custom) row[prop.name] = prop.customType!.convertToJSValue(row[prop.name], platform);
        return row as unknown as InboundEmail;
      })
      .sort((a, b) => a.id - b.id);
  }

  /**
   * The job claimed all its rows when it started, but its later batches wait for the earlier ones: their claims age
   * meanwhile, and past the lease the sweep hands them to another worker, which posts the mail while this one still
   * means to (the second then records the first's message as a duplicate and overwrites `delivered` with `ignored`).
   * So each batch renews its rows' claims right before it runs, and leaves out the rows whose claim is no longer
   * this job's (`attempts` counts claims: it is the claim's fencing token).
   */
  private async renewClaims(rows: InboundEmail[]): Promise<Set<number>> {
    // a claim younger than a quarter of the lease cannot have been taken over (that needs it expired): most batches
    // run well within that, and skip the round trip
    const now = new Date();
    const fresh = now.getTime() - this.config.processingLeaseMs / 4;
    if (rows.every((row) => row.claimedAt && row.claimedAt.getTime() > fresh)) return new Set(rows.map((row) => row.id));
    const renewed = await (this.orm.em.fork() as SqlEntityManager)
      .createQueryBuilder(InboundEmail)
      .update({ claimedAt: now })
      .where({ status: 'processing', $or: rows.map((row) => ({ id: row.id, attempts: row.attempts })) })
      .returning(['id'])
      .execute<{ id: number }[]>('all', false);
    const mine = new Set(renewed.map((r) => Number(r.id)));
    for (const row of rows) if (mine.has(row.id)) row.claimedAt = now;
    return mine;
  }

  /** each row's parse: the one started when it was received, else its raw bytes read back (in one query) and parsed */
  private async parseAll(rows: InboundEmail[]): Promise<Promise<InboundMail | Error>[]> {
    const kept = rows.map((row) => this.parser.take(row.id));
    const missing = rows.filter((_, i) => !kept[i]).map((row) => row.id);
    const raws = new Map<number, Buffer | null>();
    if (missing.length) {
      const found = await this.orm.em.fork().find(InboundEmail, { id: { $in: missing } }, { fields: ['id', 'raw'], populate: ['raw'], disableIdentityMap: true });
      for (const row of found) raws.set(row.id, row.raw);
    }
    return rows.map((row, i) => {
      const raw = raws.get(row.id);
      const parsing = kept[i] ?? (raw ? this.parser.parse(raw, { envelope: row.recipients ?? [], bounceAddresses: this.config.bounceAddresses, messageId: row.messageId }) : undefined);
      if (!parsing) return Promise.resolve(new Error('the raw mail was purged or is missing'));
      return parsing.catch((error: Error) => error);
    });
  }

  /**
   * One transaction for the batch; if a mail throws, again without it; if the batch fails otherwise, mail by mail.
   * A deadlock, lock timeout or unique violation says nothing about the mails (another batch wrote the same rows):
   * the same batch runs again, a few times, before any mail is blamed.
   */
  private async runBatch(batch: ClaimedMail[], shared: SharedReads, attempt = 0): Promise<void> {
    let handled: { id: number; done: HandledMail }[];
    try {
      handled = await this.orm.em.fork().transactional(async (tx) => {
        const lookups = await RoutingLookups.load(tx, batch, {
          loopWindowMs: this.config.loopWindowMs,
          aliases: async () => (shared.aliases ??= await this.aliases.all(tx)),
          defaultSubtypes: async (model, internal) => {
            const key = `${model}\0${internal}`;
            let ids = shared.subtypes.get(key);
            if (!ids) shared.subtypes.set(key, (ids = await this.subtypes.defaultIds(tx, model, internal)));
            return ids;
          },
        });
        // the batch's unit of work: its partners, records, messages and followers are written in a few flushes (its
        // look-ups must not flush: each would write one mail's rows alone)
        const em = joinTransaction(tx, FlushMode.COMMIT);
        const addresses = batch.flatMap(({ mail }) => [mail.sender, ...(mail.bounce?.recipients.map((r) => r.email) ?? [])]);
        await lookups.loadPartners(em, addresses.filter((s): s is string => !!s));
        const out: WrittenMail[] = [];
        const sendersMatter = (await lookups.aliases()).some((alias) => alias.contactPolicy !== 'everyone');
        let segment = new BatchSegment(sendersMatter);
        // the rules read partial rows: each mail is routed with an empty unit of work (cleared, not forked: cheaper)
        const routingEm = joinTransaction(tx);
        for (const [index, item] of batch.entries()) {
          if (segment.size && !lookups.earlierInbound(item.row) && segment.dependsOn(item.mail)) {
            out.push(...(await this.writeSegment(em, lookups, segment)));
            segment = new BatchSegment(sendersMatter);
          }
          try {
            routingEm.clear();
            const planned = await this.handler.plan(routingEm, em, lookups, item.row, item.mail);
            segment.add(index, planned);
            this.rememberPlanned(lookups, planned);
          } catch (error) {
            throw new MailFailure(index, error as Error);
          }
        }
        if (segment.size) out.push(...(await this.writeSegment(em, lookups, segment)));
        await writeLedgerResults(tx, out.filter((item) => !item.recorded).map(({ id, done }) => ({ id, result: done.result })));
        return out;
      });
    } catch (failure) {
      const error = failure instanceof MailFailure ? failure.error : (failure as Error);
      if (isTransient(error) && attempt < TRANSIENT_RETRIES) {
        await new Promise((r) => setTimeout(r, 25 * 2 ** attempt + Math.random() * 50));
        return this.runBatch(batch, shared, attempt + 1);
      }
      if (batch.length > 1 && failure instanceof MailFailure) {
        const k = failure.index;
        if (k > 0) await this.runBatch(batch.slice(0, k), shared);
        await this.runBatch([batch[k]], shared);
        if (k + 1 < batch.length) await this.runBatch(batch.slice(k + 1), shared);
      } else if (batch.length > 1) {
        this.logger.warn(`an inbound batch of ${batch.length} mails failed (${error.message}); processing them one by one`);
        for (const item of batch) await this.runBatch([item], shared);
      } else if (error instanceof UniqueConstraintViolationException && /chatter_message[._"]+message_id/.test(error.message)) {
        // another worker posted the same Message-ID between our check and our commit (any other conflict fails the
        // mail below, for `reprocess`)
        await this.finish(batch[0].row.id, { status: 'ignored', decision: 'duplicate', reason: 'duplicate: the same Message-ID was posted concurrently', error: null });
      } else {
        await this.finish(batch[0].row.id, this.failure(batch[0].row.id, error));
      }
      return;
    }
    let kick = false;
    for (const { id, done } of handled) {
      for (const message of done.posted) {
        this.threads.committed(message);
      }
      kick ||= done.answered;
      this.emitProcessed(id, done.result);
    }
    if (kick) this.outbox.kick();
  }

  /** what a later mail of the batch must see of a planned one before it is written */
  private rememberPlanned(lookups: RoutingLookups, { row, mail, decision, targets }: PlannedMail): void {
    lookups.rememberInbound({ id: row.id, messageId: row.messageId, mailbox: row.mailbox, sourceKind: row.sourceKind, status: decision.status });
    if (decision.status !== 'delivered' || !targets.length) return;
    // a new record has no id yet: the delivery counts on a stand-in, and moves to the record once written
    const first = targets[0].target;
    const where = first.kind === 'thread' ? first.ref : (first.forcedThread ?? { model: first.model, id: plannedRecordId(row.id) });
    lookups.rememberDelivery(mail.sender, where.model, where.id, decision.rule, row.receivedAt);
    lookups.rememberPlannedMessage({
      messageId: mail.messageId,
      resModel: where.model,
      resId: where.id,
      isInternal: first.kind === 'thread' && first.internal,
      sender: mail.sender,
      recipients: [...mail.to, ...mail.cc],
    });
  }

  /**
   * Writes a segment: one flush for its new partners and records (ids for the messages' thread links); then every
   * mail's messages and the new records' followers in a few inserts, one flush for the rest of the unit of work
   * (attachments, bounce marks, records changed by hooks), and the relays' notifications and outbox mails in a few
   * inserts.
   */
  private async writeSegment(em: EntityManager, lookups: RoutingLookups, segment: BatchSegment): Promise<WrittenMail[]> {
    await withoutCreationLog(() => em.flush());
    segment.settle((planned) => this.handler.threadsOf(planned)[0]);
    lookups.followers = await ThreadFollowers.load(em, segment.mails.flatMap(({ planned }) => this.handler.threadsOf(planned)));
    const out: WrittenMail[] = [];
    const later: DeferredWrites = { messages: new PendingMessages(), notifications: new PendingNotifications(), follows: new PendingFollows() };
    for (const { index, planned } of segment.mails) {
      try {
        out.push({ id: planned.row.id, done: await this.handler.complete(em, lookups, planned, later) });
      } catch (error) {
        throw new MailFailure(index, error as Error);
      }
    }
    segment.linkParents(out.map(({ done }) => done));
    if (chatterPlatform(em) === 'postgresql' && later.messages.items.length) {
      // the new records' followers, and the mails' ledger results, ride along the messages' INSERT: one round trip,
      // not three (a batch's chain of statements waits for each answer, and on a busy server each costs a few ms of
      // waiting). Not the results that are not final yet, nor those of a mail whose message is written otherwise.
      const alongside = later.follows.items.length ? followersAlongside(em, later.follows.items) : undefined;
      later.follows.items.length = 0;
      const writing = new Set(later.messages.items.map(({ message }) => message));
      const along = segment.resultsBeforeWrite(out) && out.every(({ done }) => !done.posted[0] || writing.has(done.posted[0]));
      const then = along ? ledgerResultsAfterMessages(em, out.map(({ id, done }) => ({ id, result: done.result, posted: done.posted[0]?.messageId ?? null }))) : undefined;
      await this.threads.writePending(em, later.messages, { alongside, then });
      if (then) for (const item of out) item.recorded = true;
    } else {
      // independent plain inserts, sent together (see `RoutingLookups.load`)
      await together([this.threads.writePending(em, later.messages), this.followers.writePending(em, later.follows)]);
    }
    await em.flush();
    await this.notifications.writePending(em, later.notifications);
    lookups.forgetPlannedMessages();
    segment.written(out, lookups);
    return out;
  }

  private failure(id: number, error: Error): Pick<InboundResult, 'status' | 'decision' | 'reason' | 'error'> {
    this.logger.warn(`inbound mail ${id} failed: ${error.message}`);
    return { status: 'failed', decision: 'error', reason: `failed: ${error.message}`.slice(0, 2000), error: (error.stack ?? error.message).slice(0, 8000) };
  }

  private async fail(id: number, error: Error): Promise<void> {
    await this.finish(id, this.failure(id, error));
  }

  private async finish(id: number, values: Pick<InboundResult, 'status' | 'decision' | 'reason' | 'error'>): Promise<void> {
    const result = { ...values, processedAt: new Date() };
    // only a row still being processed: another worker that took it over may have finished it (`delivered`) already
    if (!(await this.orm.em.fork().nativeUpdate(InboundEmail, { id, status: 'processing' }, result))) return;
    this.emitProcessed(id, result);
  }

  private emitProcessed(id: number, result: Pick<InboundResult, 'status' | 'reason'>): void {
    if (result.status !== 'received' && result.status !== 'processing') this.onFinal(id);
    try {
      this.events.emit('chatter.inbound.processed', { inboundEmailId: id, status: result.status, reason: result.reason ?? '' });
    } catch (error) {
      this.logger.error(`a chatter.inbound.processed listener failed: ${(error as Error).message}`);
    }
  }
}

/**
 * What every batch of one job reads alike, read by its first batch: the aliases and the default subtypes' ids (a
 * job's few batches run within a second or so; the next job reads them again).
 */
interface SharedReads {
  aliases?: ResolvedAlias[];
  subtypes: Map<string, number[]>;
}

/** mail `index` of a batch threw `error` */
class MailFailure extends Error {
  constructor(
    readonly index: number,
    readonly error: Error,
  ) {
    super(error?.message);
  }
}

/** a fresh entity manager inside `tx`'s transaction: its own unit of work, the same connection and transaction */
function joinTransaction(tx: EntityManager, flushMode?: FlushMode): EntityManager {
  const em = tx.fork({ clear: true, useContext: false, flushMode });
  em.setTransactionContext(tx.getTransactionContext());
  return em;
}

const TRANSIENT_RETRIES = 4;

/**
 * errors that a later run of the same transaction is expected to get past: two batches (two workers) touched the same
 * rows in another order, or both wrote the same new row (a partner for one new sender, a Message-ID) — run again,
 * the batch finds the other's committed row and routes accordingly
 */
function isTransient(error: Error): boolean {
  return error instanceof DeadlockException || error instanceof LockWaitTimeoutException || error instanceof UniqueConstraintViolationException;
}
