import { Injectable, Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import nodemailer from 'nodemailer';
import { InboundEmail } from '../entities/inbound-email.entity.js';
import { Notification } from '../entities/notification.entity.js';
import { OutgoingMail } from '../entities/outgoing-mail.entity.js';
import { InboundGateway } from '../gateway/inbound-gateway.js';
import type { ImapConnectionCheck } from '../ingress/imap-connection.js';
import { ImapIngress } from '../ingress/imap-ingress.js';
import type { ImapMailboxOptions } from '../ingress/imap-mailbox-config.js';
import { OutboxSender } from '../outbound/outbox-sender.js';
import { classifySendError } from '../outbound/send-failure.js';

/** A failed inbound mail, as an operator sees it. */
export interface FailedInbound {
  id: number;
  mailbox: string;
  source: string;
  messageId: string;
  sender: string | null;
  receivedAt: Date;
  attempts: number;
  reason: string | null;
}

/** called after each item of a long command: `done` of `total` */
export type OperationProgress = (done: number, total: number) => void;

/**
 * Operator commands (the `nestjs-chatter` CLI runs these; a host can call them from its own admin screens): failed
 * inbound mails and their reason, reprocessing, retrying failed outgoing mails, purging by retention, and Odoo's
 * "Test connection" for a mailbox or an SMTP server. Every log line names the row it is about.
 */
@Injectable()
export class ChatterOperations {
  private readonly logger = new Logger('ChatterOperations');

  constructor(
    private readonly orm: MikroORM,
    private readonly gateway: InboundGateway,
    private readonly sender: OutboxSender,
    private readonly imap: ImapIngress,
  ) {}

  /** inbound mails whose processing failed, oldest first */
  async failedInbound(limit = 100): Promise<FailedInbound[]> {
    const rows = await this.orm.em.fork().find(
      InboundEmail,
      { status: 'failed' },
      { orderBy: { id: 'asc' }, limit, fields: ['id', 'mailbox', 'sourceKind', 'messageId', 'sender', 'receivedAt', 'attempts', 'reason'] },
    );
    return rows.map((r) => ({
      id: r.id,
      mailbox: r.mailbox,
      source: r.sourceKind,
      messageId: r.messageId,
      sender: r.sender,
      receivedAt: r.receivedAt,
      attempts: r.attempts,
      reason: r.reason,
    }));
  }

  /** routes one stored mail again; returns its new status and reason */
  async reprocessInbound(id: number): Promise<{ id: number; status: string; reason: string | null }> {
    const row = await this.gateway.reprocess(id);
    this.logger.log(`inbound ${id}: reprocessed → ${row.status}${row.reason ? ` (${row.reason})` : ''}`);
    return { id, status: row.status, reason: row.reason };
  }

  /** reprocesses every failed inbound mail, one at a time; returns the count per new status */
  async reprocessFailedInbound(onProgress?: OperationProgress): Promise<Record<string, number>> {
    const ids = (await this.orm.em.fork().find(InboundEmail, { status: 'failed', purgedAt: null }, { fields: ['id'], orderBy: { id: 'asc' } })).map((r) => r.id);
    const outcome: Record<string, number> = {};
    for (const [i, id] of ids.entries()) {
      try {
        const { status } = await this.reprocessInbound(id);
        outcome[status] = (outcome[status] ?? 0) + 1;
      } catch (error) {
        this.logger.warn(`inbound ${id}: cannot reprocess: ${(error as Error).message}`);
        outcome.error = (outcome.error ?? 0) + 1;
      }
      onProgress?.(i + 1, ids.length);
    }
    return outcome;
  }

  /**
   * Puts failed (`exception`) outgoing mails back in the outbox — all of them, or those in `ids` — with a fresh
   * attempt count, and their notifications back to `ready`; the sender takes them at once. Returns how many.
   */
  async retryFailedOutgoing(ids?: number[], onProgress?: OperationProgress): Promise<number> {
    const em = this.orm.em.fork();
    const rows = await em.find(OutgoingMail, { state: 'exception', ...(ids ? { id: { $in: ids } } : {}) }, { fields: ['id', 'notification'], orderBy: { id: 'asc' } });
    const chunk = 500;
    let done = 0;
    for (let i = 0; i < rows.length; i += chunk) {
      const part = rows.slice(i, i + chunk);
      await em.fork().transactional(async (tx) => {
        await tx.nativeUpdate(
          OutgoingMail,
          { id: { $in: part.map((r) => r.id) }, state: 'exception' },
          { state: 'outgoing', attempts: 0, nextAttemptAt: new Date(), claimToken: null, claimedAt: null, failureType: null, failureReason: null },
        );
        const notifications = part.flatMap((r) => (r.notification ? [r.notification.id] : []));
        if (notifications.length) {
          await tx.nativeUpdate(Notification, { id: { $in: notifications }, status: 'exception' }, { status: 'ready', failureType: null, failureReason: null });
        }
      });
      for (const r of part) this.logger.log(`outgoing ${r.id}: queued again`);
      done += part.length;
      onProgress?.(done, rows.length);
    }
    if (rows.length) this.sender.kick(rows.length);
    return rows.length;
  }

  /**
   * Applies the retention: inbound raw bytes and ledger rows past their days (`incoming.rawRetentionDays`,
   * `ledgerRetentionDays`), and, when `outgoingDays` is given, sent or cancelled outgoing mails older than that.
   */
  async purge(options: { outgoingDays?: number; now?: Date } = {}): Promise<{ rawPurged: number; rowsDeleted: number; outgoingDeleted: number }> {
    const now = options.now ?? new Date();
    const inbound = await this.gateway.purge(now);
    let outgoingDeleted = 0;
    if (options.outgoingDays !== undefined) {
      const before = new Date(now.getTime() - options.outgoingDays * 24 * 60 * 60_000);
      outgoingDeleted = await this.orm.em.fork().nativeDelete(OutgoingMail, { state: { $in: ['sent', 'cancel'] }, createdAt: { $lt: before } });
    }
    this.logger.log(`purge: ${inbound.rawPurged} raw mail(s) dropped, ${inbound.rowsDeleted} ledger row(s) and ${outgoingDeleted} outgoing mail(s) deleted`);
    return { ...inbound, outgoingDeleted };
  }

  /** "Test connection" of a configured IMAP mailbox (by name) or of mailbox options; never throws */
  async testMailbox(mailbox: string | ImapMailboxOptions): Promise<ImapConnectionCheck> {
    const check = await this.imap.testConnection(mailbox);
    const name = typeof mailbox === 'string' ? mailbox : (mailbox.name ?? 'mailbox');
    if (check.ok) this.logger.log(`mailbox "${name}": connected, ${check.messages} message(s) in ${check.folder}`);
    else this.logger.warn(`mailbox "${name}": ${check.error}`);
    return check;
  }

  /**
   * "Test connection" of an SMTP server: a configured outgoing server (by name) or an `smtp://` URL. Connects,
   * says EHLO, authenticates when credentials are given; never throws.
   */
  async testSmtp(server: string): Promise<{ ok: boolean; server: string; error?: string }> {
    const configured = this.sender.transports.servers.find((s) => s.name === server);
    const target = configured ? configured.transport : server;
    const label = configured ? `outgoing server "${server}"` : redact(server);
    if (typeof target !== 'string' && 'send' in target && typeof (target as { send?: unknown }).send === 'function') {
      return { ok: true, server: label };
    }
    if (typeof target === 'string' && !/^smtps?:\/\//i.test(target)) {
      return { ok: false, server: label, error: `"${server}" is neither a configured outgoing server nor an smtp:// URL` };
    }
    const transporter = nodemailer.createTransport(
      typeof target === 'string' ? { url: target, connectionTimeout: 15_000, greetingTimeout: 15_000 } as never : { ...(target as object), pool: false, connectionTimeout: 15_000 } as never,
    );
    try {
      await transporter.verify();
      this.logger.log(`${label}: connection ok`);
      return { ok: true, server: label };
    } catch (error) {
      const { reason } = classifySendError(error);
      const code = (error as { code?: string }).code;
      const message = `${label}: ${code ? `${code} ` : ''}${reason}`;
      this.logger.warn(message);
      return { ok: false, server: label, error: message };
    } finally {
      transporter.close();
    }
  }
}

/** an SMTP URL without its password, for messages */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+):[^@]*@/, '$1:***@');
}
