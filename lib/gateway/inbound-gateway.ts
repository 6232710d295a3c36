import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException, PayloadTooLargeException, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { InboundEmail, type InboundSourceKind } from '../entities/inbound-email.entity.js';
import { JobRunner } from '../jobs/job-runner.js';
import { InboundConfig } from './inbound-config.js';
import { InboundParser } from './inbound-parser.js';
import { InboundProcessor } from './inbound-processor.js';
import { InboundSchedule, type ProcessJob } from './inbound-schedule.js';
import { LedgerWriter } from './ledger-writer.js';
import { contentHash, peekMessageId, sha256, synthesizeMessageId } from './raw-mail.js';

/** Where a raw mail came from. `key` makes a redelivery by the same source a no-op (IMAP: `mailbox:uidvalidity:uid`). */
export interface InboundSource {
  kind: InboundSourceKind;
  key?: string;
  /** the IMAP mailbox (duplicates are detected per mailbox) */
  mailbox?: string;
  /** envelope recipients (SMTP RCPT TO, the MTA's `${recipient}`) */
  recipients?: string[];
  /** the envelope sender (SMTP MAIL FROM, the MTA's `${sender}`); '' for the null sender */
  envelopeFrom?: string;
  /** the sending client's IP address */
  clientIp?: string;
  /** model to create records in when nothing else routes the mail */
  fallbackModel?: string;
}

export interface InboundReceipt {
  id: number;
  /** the same source had already delivered this mail: nothing new was stored */
  duplicate: boolean;
}

export const INBOUND_PROCESS_JOB = 'chatter.inbound.process';
const PURGE_INTERVAL_MS = 6 * 60 * 60_000;
/**
 * Mails up to this size are parsed as they are received (memory is bounded by the parser's budget for parses ahead);
 * a bigger one is read back from the ledger when processed, which costs a round trip of its bytes.
 */
const EARLY_PARSE_MAX_BYTES = 8 << 20;

/** A raw mail and where it came from, for `receiveMany`. */
export interface InboundDelivery {
  raw: Buffer;
  source: InboundSource;
}

/** claims after which a mail found abandoned in processing is given up (`failed`), not claimed again */
const MAX_ABANDONED_CLAIMS = 3;

/**
 * The one door every ingress uses. `receive` writes the raw mail to the ledger and commits before it returns — so an
 * ingress acknowledges (IMAP `\Seen`, SMTP 250, pipe exit 0, HTTP 2xx) only what is safe — then schedules processing
 * through the JobRunner. Mails received together (concurrent calls, `receiveMany`) share their ledger INSERT and
 * are processed in batches. At boot, rows still waiting (a crash between commit and processing) are scheduled again.
 */
@Injectable()
export class InboundGateway implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChatterInbound');
  private purgeTimer?: NodeJS.Timeout;
  private readonly ledger: LedgerWriter;
  private readonly scheduled: InboundSchedule;

  constructor(
    private readonly orm: MikroORM,
    private readonly jobs: JobRunner,
    private readonly config: InboundConfig,
    private readonly processor: InboundProcessor,
    private readonly parser: InboundParser,
  ) {
    this.ledger = new LedgerWriter(orm);
    this.scheduled = new InboundSchedule(jobs, INBOUND_PROCESS_JOB, config.batchSize);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.jobs.register<ProcessJob>(INBOUND_PROCESS_JOB, async (job) => {
      const ids = this.scheduled.take(job);
      if (!ids) return;
      // and fresh rows nobody took yet: mails another replica received (one per SMTP session, say) are processed in
      // batches too, whoever runs the job (the claim makes sure each row is processed once)
      // and, as it ends, what was scheduled here since it started (their own jobs then find them taken)
      await this.processor.processMany(ids, this.scheduled.jobSize - ids.length, () => this.scheduled.take({}) ?? []);
    });
    this.processor.onFinal = (id) => this.scheduled.ended(id);
    this.processor.retryLater = (ids, delayMs) => {
      if (!this.config.autoProcess) return; // processing is the host's to start
      this.jobs.enqueue<ProcessJob>(INBOUND_PROCESS_JOB, { ids }, { key: `later:${ids[0]}:${Date.now()}`, delayMs }).catch((error: Error) => {
        // they are committed as waiting: the inbound sweep schedules them again
        this.logger.error(`could not schedule inbound mails ${ids.join(', ')} again: ${error.message}`);
      });
    };
    if (this.config.autoProcess) await this.resumePending();
    this.purgeTimer = setInterval(() => this.purge().catch((e: Error) => this.logger.warn(`purge failed: ${e.message}`)), PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onApplicationShutdown(): void {
    if (this.purgeTimer) clearInterval(this.purgeTimer);
  }

  /** Stores a raw mail (committed when this resolves) and schedules its processing. */
  async receive(raw: Buffer, source: InboundSource): Promise<InboundReceipt> {
    if (!Buffer.isBuffer(raw) || raw.length === 0) throw new BadRequestException('the mail is empty');
    if (raw.length > this.config.maxBytes) throw new PayloadTooLargeException(`the mail is larger than ${this.config.maxBytes} bytes`);
    const hash = sha256(raw);
    const sourceKey = (source.key ?? `sha256:${hash}`).slice(0, 512);
    // a mail without a Message-ID is known by its canonical content: the same through any ingress, whatever its line
    // endings (the duplicate rule then sees one Message-ID)
    const messageId = peekMessageId(raw) ?? synthesizeMessageId(contentHash(raw));
    const recipients = source.recipients?.length ? source.recipients.map((r) => r.toLowerCase()) : null;
    // parsing starts while the row commits; processing takes the result instead of reading the bytes back (within the
    // parser's budget for parses ahead); not on a replica whose jobs run elsewhere
    const parsing = this.config.autoProcess && this.jobs.runsJobs && raw.length <= EARLY_PARSE_MAX_BYTES
      ? this.parser.parseAhead(raw, { envelope: recipients ?? [], bounceAddresses: this.config.bounceAddresses, messageId })
      : undefined;
    parsing?.catch(() => undefined); // a parse error is the processing's to report
    const entry = await this.ledger.write({
      sourceKind: source.kind,
      sourceKey,
      mailbox: (source.mailbox ?? '').slice(0, 255),
      raw,
      size: raw.length,
      sha256: hash,
      messageId,
      recipients,
      fallbackModel: source.fallbackModel ?? null,
      envelopeFrom: source.envelopeFrom === undefined ? null : envelopeAddress(source.envelopeFrom),
      clientIp: source.clientIp?.slice(0, 64) ?? null,
    });
    if (parsing && !entry.duplicate) this.parser.keep(entry.id, parsing, raw.length);
    // a duplicate whose first delivery was stored but maybe never processed (a crash): make sure it is
    if (entry.status === 'received') this.schedule(entry.id);
    return { id: entry.id, duplicate: entry.duplicate };
  }

  /**
   * Stores many raw mails at once (an IMAP batch): they share ledger INSERTs and processing batches. Each mail
   * has its own outcome, in order: a receipt once its row is committed, or why it was refused.
   */
  receiveMany(mails: InboundDelivery[]): Promise<PromiseSettledResult<InboundReceipt>[]> {
    return Promise.allSettled(mails.map((m) => this.receive(m.raw, m.source)));
  }

  /** Processes a stored mail now (if it is waiting); returns the row as it ends. */
  async process(id: number): Promise<InboundEmail | null> {
    return this.processor.process(id);
  }

  /** Routes a mail again from its raw bytes, e.g. after a failure or a configuration fix. */
  async reprocess(id: number): Promise<InboundEmail> {
    const em = this.orm.em.fork();
    const row = await em.findOne(InboundEmail, id, { fields: ['id', 'status', 'claimedAt', 'purgedAt'] });
    if (!row) throw new NotFoundException(`inbound mail ${id} not found`);
    if (row.purgedAt) throw new BadRequestException(`inbound mail ${id}: its raw bytes were purged`);
    const stale = Date.now() - this.config.processingLeaseMs;
    if (row.status === 'processing' && row.claimedAt && row.claimedAt.getTime() >= stale) {
      throw new ConflictException(`inbound mail ${id} is being processed`);
    }
    if (row.status !== 'received') {
      await em.nativeUpdate(InboundEmail, { id, status: row.status }, { status: 'received', claimedAt: null, decision: null, reason: null, error: null, processedAt: null });
    }
    const done = await this.processor.process(id);
    if (!done || done.status === 'processing' || done.status === 'received') throw new ConflictException(`inbound mail ${id} is being processed`);
    return done;
  }

  /**
   * Schedules every row still waiting, or claimed by a worker that died. A row found abandoned in processing after
   * `MAX_ABANDONED_CLAIMS` claims ends `failed` instead: whatever it does to its workers, it would do again.
   */
  async resumePending(): Promise<number> {
    const em = this.orm.em.fork();
    const now = new Date();
    const stale = new Date(now.getTime() - this.config.processingLeaseMs);
    const given = await em.nativeUpdate(
      InboundEmail,
      { status: 'processing', claimedAt: { $lt: stale }, attempts: { $gte: MAX_ABANDONED_CLAIMS } },
      {
        status: 'failed',
        processedAt: now,
        error: `gave up after ${MAX_ABANDONED_CLAIMS} or more claims: its processing never finished (the worker crashed or hung each time); fix the cause and reprocess it`,
      },
    );
    if (given) this.logger.error(`${given} inbound mail(s) failed: abandoned in processing ${MAX_ABANDONED_CLAIMS} times or more`);
    const rows = await em.find(
      InboundEmail,
      { $or: [{ status: 'received' }, { status: 'processing', claimedAt: { $lt: stale } }] },
      { fields: ['id'], orderBy: { id: 'asc' } },
    );
    this.schedule(...rows.map((r) => r.id));
    if (rows.length) this.logger.log(`resumed ${rows.length} inbound mail(s) left unprocessed`);
    return rows.length;
  }

  /** Drops raw bytes past `rawRetentionDays` and rows past `ledgerRetentionDays`; returns the counts. */
  async purge(now = new Date()): Promise<{ rawPurged: number; rowsDeleted: number }> {
    const em = this.orm.em.fork();
    const day = 24 * 60 * 60_000;
    const final = ['delivered', 'bounced', 'rejected', 'ignored', 'failed'] as const;
    const rawPurged = await em.nativeUpdate(
      InboundEmail,
      { receivedAt: { $lt: new Date(now.getTime() - this.config.rawRetentionDays * day) }, purgedAt: null, status: { $in: [...final] } },
      { raw: null, purgedAt: now },
    );
    const rowsDeleted = await em.nativeDelete(InboundEmail, {
      receivedAt: { $lt: new Date(now.getTime() - this.config.ledgerRetentionDays * day) },
      status: { $in: [...final] },
    });
    return { rawPurged, rowsDeleted };
  }

  private schedule(...ids: number[]): void {
    if (this.config.autoProcess) this.scheduled.schedule(ids);
  }
}

/** an envelope sender as stored: lower-cased, without control characters, within the column */
function envelopeAddress(value: string): string {
  return value.replace(/[\x00-\x1f\x7f<>]/g, '').trim().toLowerCase().slice(0, 998);
}
