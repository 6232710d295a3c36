import { Injectable } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { InboundEmail } from '../entities/inbound-email.entity.js';
import { InboundConfig } from '../gateway/inbound-config.js';
import { OutgoingMail } from '../entities/outgoing-mail.entity.js';
import { ImapIngress, type ImapMailboxHealth } from '../ingress/imap-ingress.js';
import { BullJobRunner, type QueueCounts } from '../jobs/bull-job-runner.js';
import { JobRunner } from '../jobs/job-runner.js';
import { OutboundConfig } from '../outbound/outbound.config.js';

export interface MailboxHealthReport extends ImapMailboxHealth {
  /** ms since the last successful fetch (null: never) */
  lastSuccessAgeMs: number | null;
  /** ms since the last error (null: none) */
  lastErrorAgeMs: number | null;
  /** the last fetch failed (its error is newer than its last success) */
  failing: boolean;
}

export interface ChatterHealthReport {
  status: 'up' | 'down';
  /** what an operator should look at; empty when all is well (a problem does not make the status `down`) */
  problems: string[];
  database: { up: boolean; error?: string };
  mailboxes: MailboxHealthReport[];
  outbox: {
    /** mails waiting to be sent (`outgoing`) or being sent (`sending`) */
    backlog: number;
    sending: number;
    /** `sending` rows whose claim is older than the claim timeout (their sender died; the sweep takes them back) */
    stuckSending: number;
    exception: number;
    oldestOutgoingAt: Date | null;
    oldestOutgoingAgeMs: number | null;
  };
  /** `stuckProcessing`: rows claimed longer ago than the processing lease (their worker died or hangs) */
  inbound: { waiting: number; failed: number; stuckProcessing: number; oldestWaitingAgeMs: number | null };
  jobs: { runner: 'in-process' | 'bull'; queues: QueueCounts[] };
}

/**
 * The chatter's health, for a `/health` endpoint: the database, each IMAP mailbox (last success, last error and
 * their age), the outbox backlog and its oldest waiting mail, failed inbound mails, and in queue mode the Bull
 * queues' counts. `@nestjs/terminus` is not needed: `isHealthy()` returns its `{ key: { status, ... } }` shape.
 */
@Injectable()
export class ChatterHealth {
  constructor(
    private readonly orm: MikroORM,
    private readonly jobs: JobRunner,
    private readonly imap: ImapIngress,
    private readonly outbound: OutboundConfig,
    private readonly inbound: InboundConfig,
  ) {}

  async check(now = new Date()): Promise<ChatterHealthReport> {
    const problems: string[] = [];
    const age = (d: Date | null) => (d ? now.getTime() - new Date(d).getTime() : null);
    const report: ChatterHealthReport = {
      status: 'up',
      problems,
      database: { up: true },
      mailboxes: [],
      outbox: { backlog: 0, sending: 0, stuckSending: 0, exception: 0, oldestOutgoingAt: null, oldestOutgoingAgeMs: null },
      inbound: { waiting: 0, failed: 0, stuckProcessing: 0, oldestWaitingAgeMs: null },
      jobs: { runner: this.jobs instanceof BullJobRunner ? 'bull' : 'in-process', queues: [] },
    };
    try {
      const em = this.orm.em.fork();
      const stale = new Date(now.getTime() - this.outbound.claimTimeoutMs);
      const lease = new Date(now.getTime() - this.inbound.processingLeaseMs);
      const [outgoing, sending, stuckSending, exception, oldest, waiting, failed, oldestWaiting, stuckProcessing] = await Promise.all([
        em.count(OutgoingMail, { state: 'outgoing' }),
        em.count(OutgoingMail, { state: 'sending' }),
        em.count(OutgoingMail, { state: 'sending', claimedAt: { $lt: stale } }),
        em.count(OutgoingMail, { state: 'exception' }),
        em.findOne(OutgoingMail, { state: { $in: ['outgoing', 'sending'] } }, { fields: ['createdAt'], orderBy: { createdAt: 'asc' } }),
        em.count(InboundEmail, { status: { $in: ['received', 'processing'] } }),
        em.count(InboundEmail, { status: 'failed' }),
        em.findOne(InboundEmail, { status: { $in: ['received', 'processing'] } }, { fields: ['receivedAt'], orderBy: { id: 'asc' } }),
        em.count(InboundEmail, { status: 'processing', claimedAt: { $lt: lease } }),
      ]);
      report.outbox = {
        backlog: outgoing + sending,
        sending,
        stuckSending,
        exception,
        oldestOutgoingAt: oldest?.createdAt ?? null,
        oldestOutgoingAgeMs: age(oldest?.createdAt ?? null),
      };
      report.inbound = { waiting, failed, stuckProcessing, oldestWaitingAgeMs: age(oldestWaiting?.receivedAt ?? null) };
      if (stuckProcessing) problems.push(`${stuckProcessing} inbound mail(s) stuck in processing past their lease`);
      if (stuckSending) problems.push(`${stuckSending} outgoing mail(s) stuck in sending past the claim timeout`);
      if (failed) problems.push(`${failed} inbound mail(s) failed (see the operator command failed-inbound)`);
      for (const m of await this.imap.health()) {
        const failing = !!m.lastErrorAt && (!m.lastSuccessAt || m.lastErrorAt > m.lastSuccessAt);
        report.mailboxes.push({ ...m, lastSuccessAgeMs: age(m.lastSuccessAt), lastErrorAgeMs: age(m.lastErrorAt), failing });
        if (failing) problems.push(`mailbox "${m.name}": ${m.lastError}`);
      }
    } catch (error) {
      report.status = 'down';
      report.database = { up: false, error: (error as Error).message };
      problems.push(`database: ${(error as Error).message}`);
    }
    if (this.jobs instanceof BullJobRunner) {
      try {
        // Bull retries commands while Redis is away: a health probe must answer anyway
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 2 s')), 2_000).unref());
        report.jobs.queues = await Promise.race([this.jobs.counts(), timeout]);
        const failedJobs = report.jobs.queues.reduce((n, q) => n + q.failed, 0);
        if (failedJobs) problems.push(`${failedJobs} failed job(s) in the queues`);
      } catch (error) {
        report.status = 'down';
        problems.push(`redis: ${(error as Error).message}`);
      }
    }
    return report;
  }

  /** `@nestjs/terminus` shape: `{ [key]: { status: 'up' | 'down', ...report } }` */
  async isHealthy(key = 'chatter'): Promise<Record<string, Omit<ChatterHealthReport, 'status'> & { status: 'up' | 'down' }>> {
    return { [key]: await this.check() };
  }
}
