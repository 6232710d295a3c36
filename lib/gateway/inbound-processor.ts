import { Injectable, Logger } from '@nestjs/common';
import { DeadlockException, LockWaitTimeoutException, MikroORM, UniqueConstraintViolationException, raw, type EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { InboundEmail } from '../entities/inbound-email.entity.js';
import { AliasResolver } from '../router/alias-resolver.js';
import { RoutingLookups } from '../router/routing-lookups.js';
import { OutboxSender } from '../outbound/outbox-sender.js';
import { ChatterEvents } from '../thread/events.js';
import { SubtypeService } from '../thread/subtype.service.js';
import { ThreadService } from '../thread/thread.service.js';
import { InboundConfig } from './inbound-config.js';
import type { InboundMail } from './inbound-mail.js';
import { InboundMailHandler, type HandledMail, type InboundResult } from './inbound-mail-handler.js';
import { InboundParser } from './inbound-parser.js';

const RESULT_FIELDS = [
  'id', 'status', 'decision', 'reason', 'error', 'processedAt', 'sender', 'subject', 'autoReply', 'resModel', 'resId', 'postedMessageId', 'answeredAt',
] as const;

interface ClaimedMail {
  row: InboundEmail;
  mail: InboundMail;
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
  ) {}

  /** processes row `id` if it is waiting (or its claim expired); returns the row as it ends, null if there is none */
  async process(id: number): Promise<InboundEmail | null> {
    await this.processMany([id]);
    return this.orm.em.fork().findOne(InboundEmail, id);
  }

  /**
   * Processes the rows among `ids` that are waiting (or whose claim expired), oldest first. Every mail starts parsing
   * at once; each batch is routed as soon as its mails are parsed, while the workers parse the next ones.
   */
  async processMany(ids: number[]): Promise<void> {
    const rows = await this.claim([...new Set(ids)]);
    const parsing = await this.parseAll(rows);
    for (let i = 0; i < rows.length; i += this.config.batchSize) {
      const parsed = await Promise.all(parsing.slice(i, i + this.config.batchSize));
      const batch: ClaimedMail[] = [];
      for (const [j, mail] of parsed.entries()) {
        if (mail instanceof Error) await this.fail(rows[i + j].id, mail);
        else batch.push({ row: rows[i + j], mail });
      }
      if (batch.length) await this.runBatch(batch);
    }
  }

  private async claim(ids: number[]): Promise<InboundEmail[]> {
    if (ids.length === 0) return [];
    const em = this.orm.em.fork();
    const now = new Date();
    const stale = new Date(now.getTime() - this.config.processingLeaseMs);
    const claimed = await (em as SqlEntityManager)
      .createQueryBuilder(InboundEmail)
      .update({ status: 'processing', claimedAt: now, attempts: raw('attempts + 1') })
      .where({ id: { $in: ids }, $or: [{ status: 'received' }, { status: 'processing', claimedAt: null }, { status: 'processing', claimedAt: { $lt: stale } }] })
      .returning(['id'])
      .execute<{ id: number }[]>('all', false);
    if (claimed.length === 0) return [];
    return em.find(InboundEmail, { id: { $in: claimed.map((c) => Number(c.id)) } }, { orderBy: { id: 'asc' } });
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
   * A deadlock or lock timeout says nothing about the mails (two batches touched the same rows in another order):
   * the same batch runs again, a few times, before any mail is blamed.
   */
  private async runBatch(batch: ClaimedMail[], attempt = 0): Promise<void> {
    let handled: { id: number; done: HandledMail }[];
    try {
      handled = await this.orm.em.fork().transactional(async (tx) => {
        const lookups = await RoutingLookups.load(tx, batch, {
          loopWindowMs: this.config.loopWindowMs,
          aliases: () => this.aliases.all(joinTransaction(tx)),
          defaultSubtypes: async (model, internal) => (await this.subtypes.defaults(joinTransaction(tx), model, internal)).map((s) => s.id),
        });
        const out: { id: number; done: HandledMail }[] = [];
        for (const [index, item] of batch.entries()) {
          try {
            out.push({ id: item.row.id, done: await this.handleOne(tx, lookups, item) });
          } catch (error) {
            throw new MailFailure(index, error as Error);
          }
        }
        await this.writeResults(tx, out);
        return out;
      });
    } catch (failure) {
      const error = failure instanceof MailFailure ? failure.error : (failure as Error);
      if (isTransient(error) && attempt < TRANSIENT_RETRIES) {
        await new Promise((r) => setTimeout(r, 25 * 2 ** attempt + Math.random() * 50));
        return this.runBatch(batch, attempt + 1);
      }
      if (batch.length > 1 && failure instanceof MailFailure) {
        const k = failure.index;
        if (k > 0) await this.runBatch(batch.slice(0, k));
        await this.runBatch([batch[k]]);
        if (k + 1 < batch.length) await this.runBatch(batch.slice(k + 1));
      } else if (batch.length > 1) {
        this.logger.warn(`an inbound batch of ${batch.length} mails failed (${error.message}); processing them one by one`);
        for (const item of batch) await this.runBatch([item]);
      } else if (error instanceof UniqueConstraintViolationException) {
        // another worker posted the same Message-ID between our check and our commit
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

  /** one mail of the batch, with its own unit of work; what it wrote is visible to the next mails' look-ups */
  private async handleOne(tx: EntityManager, lookups: RoutingLookups, { row, mail }: ClaimedMail): Promise<HandledMail> {
    const done = await this.handler.handle(joinTransaction(tx), lookups, row, mail);
    for (const m of done.posted) lookups.rememberMessage(m);
    lookups.rememberInbound({ id: row.id, messageId: row.messageId, mailbox: row.mailbox, sourceKind: row.sourceKind, status: done.result.status });
    if (done.result.status === 'delivered') lookups.rememberDelivery(mail.sender, done.result.resModel, done.result.resId, done.result.decision, row.receivedAt);
    return done;
  }

  /** every row's final values, in a few batched UPDATEs when the transaction flushes */
  private async writeResults(tx: EntityManager, handled: { id: number; done: HandledMail }[]): Promise<void> {
    const rows = await tx.find(InboundEmail, { id: { $in: handled.map((h) => h.id) } }, { fields: RESULT_FIELDS });
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const { id, done } of handled) Object.assign(byId.get(id)!, done.result);
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
    await this.orm.em.fork().nativeUpdate(InboundEmail, { id }, result);
    this.emitProcessed(id, result);
  }

  private emitProcessed(id: number, result: Pick<InboundResult, 'status' | 'reason'>): void {
    try {
      this.events.emit('chatter.inbound.processed', { inboundEmailId: id, status: result.status, reason: result.reason ?? '' });
    } catch (error) {
      this.logger.error(`a chatter.inbound.processed listener failed: ${(error as Error).message}`);
    }
  }
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
function joinTransaction(tx: EntityManager): EntityManager {
  const em = tx.fork({ clear: true, useContext: false });
  em.setTransactionContext(tx.getTransactionContext());
  return em;
}

const TRANSIENT_RETRIES = 4;

/** errors that a later run of the same transaction is expected to get past */
function isTransient(error: Error): boolean {
  return error instanceof DeadlockException || error instanceof LockWaitTimeoutException;
}
