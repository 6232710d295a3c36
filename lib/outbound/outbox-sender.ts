import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { randomBytes } from 'node:crypto';
import { JobRunner } from '../jobs/job-runner.js';
import { isValidEmail } from '../thread/partner.service.js';
import { ChatterEvents, type ChatterEventMap } from '../thread/events.js';
import { MailTransports } from '../transport/mail-transports.js';
import { MailRenderer } from './mail-renderer.js';
import { OutboundConfig } from './outbound.config.js';
import { OutboxStore, type OutboxRow, type SendOutcome } from './outbox-store.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import { classifySendError, invalidAddress } from './send-failure.js';
import { addressOf } from './sender-identity.js';

export const OUTBOX_SEND_JOB = 'chatter.outbox.send';

/** batches a sender loop keeps in flight */
const PIPELINE_DEPTH = 2;

/**
 * Sends the outbox: claims due rows in batches (`sending` + a claim token before any SMTP traffic), renders them,
 * hands them to the outgoing server's pooled transport, and records each outcome with its Notification:
 * sent; retried later with exponential backoff (connection trouble, 4xx); or `exception` (5xx, invalid address,
 * too many attempts) with the server's reason. Small fan-outs go out right after commit from the posting process;
 * large ones and due retries are drained by `chatter.outbox.send` jobs (any replica on Bull). A periodic sweep puts
 * claims of crashed senders back and picks up whatever is due.
 */
@Injectable()
export class OutboxSender implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ChatterOutbound');
  readonly transports: MailTransports;
  private store!: OutboxStore;
  private readonly active = new Set<Promise<unknown>>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private warnedNoServer = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly config: OutboundConfig,
    private readonly renderer: MailRenderer,
    private readonly jobs: JobRunner,
    private readonly events: ChatterEvents,
  ) {
    this.transports = new MailTransports(config.servers);
  }

  onModuleInit(): void {
    this.store = new OutboxStore(this.orm);
    this.jobs.register(
      OUTBOX_SEND_JOB,
      async () => {
        await this.track(this.drain());
      },
      { concurrency: this.config.workers },
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweep().catch((e: Error) => this.logger.error(`outbox sweep failed: ${e.message}`)), this.config.sweepIntervalMs);
      this.sweepTimer.unref();
    }
    // mails left by a previous run (or queued while no server was configured)
    void this.sweep().catch((e: Error) => this.logger.error(`outbox sweep failed: ${e.message}`));
  }

  /** after commit: sends `messageId`'s mails now from this process when few, else through the job queue */
  sendMessage(messageId: number, count: number): void {
    if (!this.ready()) return;
    if (count <= this.config.inlineLimit) {
      void this.track(this.drain(messageId)).catch((e: Error) => this.logger.error(`sending message ${messageId}'s mails failed: ${e.message}`));
      return;
    }
    this.kick(count);
  }

  /** enqueues enough drain jobs for `count` due mails (at most one per worker); call after committing outbox rows */
  kick(count = 1): void {
    if (!this.ready()) return;
    const jobs = Math.max(1, Math.min(this.config.workers, Math.ceil(count / this.config.batchSize)));
    for (let i = 0; i < jobs; i++) {
      void this.jobs.enqueue(OUTBOX_SEND_JOB, {}).catch((e: Error) => this.logger.error(`could not enqueue ${OUTBOX_SEND_JOB}: ${e.message}`));
    }
  }

  /**
   * Claims and sends batches until nothing is due (of `messageId` only, when given); returns how many were handled.
   * Two batches are in flight at a time: the next is claimed and rendered while the SMTP pool still works on the
   * previous one, so the connections never wait for the database.
   */
  async drain(messageId?: number): Promise<number> {
    let handled = 0;
    const inFlight = new Set<Promise<void>>();
    // a claim or a batch that fails (the database went away) ends the loop: the batch still in flight finishes first,
    // and its own failure is handled here (unhandled, it ended the process when PostgreSQL restarted)
    const settleThenThrow = async (error: unknown): Promise<never> => {
      await Promise.allSettled(inFlight);
      throw error;
    };
    while (!this.stopping && this.ready()) {
      const token = randomBytes(12).toString('base64url');
      const claimedAt = Date.now();
      const rows = await this.store.claim(this.orm.em.fork(), token, this.config.batchSize, messageId).catch(settleThenThrow);
      if (rows.length === 0) break;
      handled += rows.length;
      const heartbeat = this.keepClaimed(rows, token);
      const batch = this.sendBatch(rows, token, claimedAt).finally(() => {
        clearInterval(heartbeat);
        inFlight.delete(batch);
      });
      inFlight.add(batch);
      if (inFlight.size >= PIPELINE_DEPTH) await Promise.race(inFlight).catch(settleThenThrow);
    }
    await Promise.all(inFlight);
    return handled;
  }

  /**
   * Renews a batch's claim while it is being sent. The claim timeout is how long a *dead* sender's mails wait; a live
   * sender whose batch outlasts it (a slow server, a loaded machine) would otherwise see the sweep put its mails back
   * while it still sends them, and another replica send them a second time (the fault suite measured 172 such
   * duplicates with a 4 s timeout under load). Only a dead sender stops renewing.
   */
  private keepClaimed(rows: OutboxRow[], token: string): NodeJS.Timeout {
    const ids = rows.map((r) => r.id);
    const timer = setInterval(() => {
      this.store.renewClaims(this.orm.em.fork(), token, ids).catch((e: Error) => this.logger.warn(`could not renew the claim of outgoing mail(s) ${ids[0]}…: ${e.message}`));
    }, Math.max(250, Math.floor(this.config.claimTimeoutMs / 3)));
    timer.unref();
    return timer;
  }

  /** puts stale claims back, then kicks a drain if anything is due now and schedules one for the next retry */
  async sweep(): Promise<void> {
    if (this.stopping || !this.ready()) return;
    const em = this.orm.em.fork();
    const released = await this.store.releaseStale(em, new Date(Date.now() - this.config.claimTimeoutMs));
    if (released) this.logger.warn(`${released} outgoing mail(s) were claimed by a sender that never finished: retrying them`);
    const next = await this.store.nextDue(em);
    if (next) this.scheduleAt(next);
  }

  /** resolves when this process is not sending anything (tests, benchmarks, shutdown) */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    // batches in flight finish and record their outcome while the database is still open
    await this.idle();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.idle();
    await this.transports.close();
  }

  private async sendBatch(rows: OutboxRow[], token: string, claimedAt: number): Promise<void> {
    const em = this.orm.em.fork();
    await this.renderer.prepare(em, rows);
    // a sent mail is committed as soon as the server took it (group commit), so a crash resends as few as possible
    // a failed write of sent mails is retried while the claim holds: giving up now means sending them again later
    const claimHolds = () => !this.stopping && Date.now() < claimedAt + this.config.claimTimeoutMs;
    const sent = new OutcomeRecorder(this.store, token, claimHolds, (m) => this.logger.warn(m));
    const outcomes = await Promise.all(rows.map(async (mail) => {
      const outcome = await this.sendOne(mail);
      if (outcome.ok) sent.add(outcome);
      return outcome;
    }));
    await sent.flush();
    await this.store.record(token, outcomes.filter((o) => !o.ok));
    let earliestRetry: Date | undefined;
    for (const o of outcomes) {
      const base = { outgoingMailId: o.mail.id, messageId: o.mail.message, to: o.mail.emailTo };
      if (o.ok) this.emit('chatter.mail.sent', base);
      else {
        this.emit('chatter.mail.failed', { ...base, reason: o.failure.reason, permanent: !o.retryAt });
        if (o.retryAt && (!earliestRetry || o.retryAt < earliestRetry)) earliestRetry = o.retryAt;
      }
    }
    if (earliestRetry) this.scheduleAt(earliestRetry);
  }

  private async sendOne(mail: OutboxRow): Promise<SendOutcome> {
    const to = addressOf(mail.emailTo);
    if (!isValidEmail(to)) return { mail, ok: false, server: null, failure: invalidAddress(to), retryAt: null };
    const server = this.transports.choose(addressOf(mail.emailFrom), this.config.notificationsAddress)!;
    try {
      const { mail: message, envelope } = await this.renderer.render(mail);
      await this.transports.sendMime(server, message, envelope);
      return { mail, ok: true, server: server.name };
    } catch (error) {
      const failure = classifySendError(error);
      const retryAt = failure.permanent || mail.attempts >= this.config.maxAttempts ? null : new Date(Date.now() + this.config.retryDelay(mail.attempts));
      if (!failure.permanent && !retryAt) failure.reason = `gave up after ${mail.attempts} attempts: ${failure.reason}`;
      return { mail, ok: false, server: server.name, failure, retryAt };
    }
  }

  /** a drain job at `when` (now if past), through the job runner so any replica may take it */
  private scheduleAt(when: Date): void {
    const delayMs = Math.max(0, when.getTime() - Date.now());
    if (delayMs === 0) return this.kick();
    // one job per second of due time: retries of one batch share it
    const key = `retry-${Math.ceil(when.getTime() / 1000)}`;
    void this.jobs.enqueue(OUTBOX_SEND_JOB, {}, { delayMs: delayMs + 50, key }).catch((e: Error) => this.logger.error(`could not schedule a retry: ${e.message}`));
  }

  private ready(): boolean {
    if (this.transports.configured) return true;
    if (!this.warnedNoServer) {
      this.warnedNoServer = true;
      this.logger.warn('no outgoing mail server is configured (ChatterModule `outgoing.servers`): notification emails wait in the outbox');
    }
    return false;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.active.add(work);
    void work.finally(() => this.active.delete(work)).catch(() => undefined);
    return work;
  }

  private emit<K extends 'chatter.mail.sent' | 'chatter.mail.failed'>(name: K, payload: ChatterEventMap[K][0]): void {
    try {
      (this.events.emit as (n: K, p: ChatterEventMap[K][0]) => boolean)(name, payload);
    } catch (error) {
      this.logger.error(`a ${name} listener failed: ${(error as Error).message}`);
    }
  }
}
