import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { Notification } from '../entities/notification.entity.js';
import { OutgoingMail } from '../entities/outgoing-mail.entity.js';
import { chatterPlatform } from '../schema/chatter-migrator.js';
import type { SendFailure } from './send-failure.js';

/** An outbox row as the sender works with it: plain values, relations as ids (no entity per claimed row). */
export interface OutboxRow {
  id: number;
  resModel: string | null;
  resId: string | null;
  /** ids of the message, notification and recipient partner */
  message: number | null;
  notification: number | null;
  partner: number | null;
  emailFrom: string;
  emailTo: string;
  replyTo: string | null;
  subject: string;
  headers: Record<string, string>;
  bodyHtml: string | null;
  bodyText: string | null;
  mailFrom: string | null;
  attempts: number;
  createdAt: Date;
}

/** the same shape from an entity (e.g. one loaded with `em.find`) */
export function outboxRow(mail: OutgoingMail): OutboxRow {
  return {
    id: mail.id,
    resModel: mail.resModel,
    resId: mail.resId,
    message: mail.message?.id ?? null,
    notification: mail.notification?.id ?? null,
    partner: mail.partner?.id ?? null,
    emailFrom: mail.emailFrom,
    emailTo: mail.emailTo,
    replyTo: mail.replyTo,
    subject: mail.subject,
    headers: mail.headers,
    bodyHtml: mail.bodyHtml ?? null,
    bodyText: mail.bodyText ?? null,
    mailFrom: mail.mailFrom,
    attempts: mail.attempts,
    createdAt: mail.createdAt,
  };
}

/** What a sender learned about one claimed mail. */
export type SendOutcome =
  | { mail: OutboxRow; ok: true; server: string | null }
  | { mail: OutboxRow; ok: false; server: string | null; failure: SendFailure; retryAt: Date | null };

const ROW_PROPERTIES = ['id', 'resModel', 'resId', 'message', 'notification', 'partner', 'emailFrom', 'emailTo', 'replyTo', 'subject', 'headers', 'bodyHtml', 'bodyText', 'mailFrom', 'attempts', 'createdAt'] as const;

/**
 * The outbox's SQL: claims are one `UPDATE … RETURNING` each (on PostgreSQL over `FOR UPDATE SKIP LOCKED`, so
 * concurrent senders never wait on nor take each other's rows; on SQLite the statement itself is the lock), and a
 * batch's outcome is written in one transaction. Column names come from the ORM's metadata, so a host naming strategy
 * is respected.
 */
export class OutboxStore {
  private readonly pg: boolean;
  private readonly col: Record<'table' | 'id' | 'state' | 'nextAttemptAt' | 'claimedAt' | 'claimToken' | 'attempts' | 'message', string>;
  /** column name → property, for the rows `claim` returns */
  private readonly columns: [string, (typeof ROW_PROPERTIES)[number]][];

  constructor(private readonly orm: MikroORM<any, any, any>) {
    this.pg = chatterPlatform(orm) === 'postgresql';
    const meta = orm.getMetadata().get(OutgoingMail);
    const field = (p: string) => quote(meta.properties[p as keyof OutgoingMail].fieldNames[0]);
    this.col = {
      table: quote(meta.tableName),
      id: field('id'),
      state: field('state'),
      nextAttemptAt: field('nextAttemptAt'),
      claimedAt: field('claimedAt'),
      claimToken: field('claimToken'),
      attempts: field('attempts'),
      message: field('message'),
    };
    this.columns = ROW_PROPERTIES.map((p) => [meta.properties[p].fieldNames[0], p]);
  }

  /** claims up to `limit` due mails (of one message when `messageId` is given): they become `sending` under `token` */
  async claim(em: EntityManager, token: string, limit: number, messageId?: number): Promise<OutboxRow[]> {
    const c = this.col;
    const now = new Date();
    const due = [`${c.state} = 'outgoing'`, `${c.nextAttemptAt} <= ?`, ...(messageId !== undefined ? [`${c.message} = ?`] : [])].join(' and ');
    const pick = `select ${c.id} from ${c.table} where ${due} order by ${c.id} limit ?${this.pg ? ' for update skip locked' : ''}`;
    const sql =
      `update ${c.table} set ${c.state} = 'sending', ${c.claimToken} = ?, ${c.claimedAt} = ?, ${c.attempts} = ${c.attempts} + 1 ` +
      `where ${c.id} in (${pick}) and ${c.state} = 'outgoing' returning`;
    const params = [token, this.date(now), this.date(now), ...(messageId !== undefined ? [messageId] : []), limit];
    const returning = this.columns.map(([column]) => quote(column)).join(', ');
    const rows = await (em as SqlEntityManager).execute<Record<string, unknown>[]>(`${sql} ${returning}`, params, 'all');
    return rows.map((row) => this.toRow(row)).sort((a, b) => a.id - b.id);
  }

  private toRow(raw: Record<string, unknown>): OutboxRow {
    const row = {} as Record<string, unknown>;
    for (const [column, property] of this.columns) row[property] = raw[column] ?? null;
    for (const key of ['id', 'message', 'notification', 'partner', 'attempts'] as const) if (row[key] !== null) row[key] = Number(row[key]);
    if (typeof row.headers === 'string') row.headers = JSON.parse(row.headers);
    row.headers ??= {};
    row.createdAt = row.createdAt instanceof Date ? row.createdAt : new Date(row.createdAt as string | number);
    return row as unknown as OutboxRow;
  }

  /** puts `sending` rows whose claim is older than `olderThan` back to `outgoing` (their sender died); returns how many */
  async releaseStale(em: EntityManager, olderThan: Date): Promise<number> {
    return em.nativeUpdate(
      OutgoingMail,
      { state: 'sending', claimedAt: { $lt: olderThan } },
      { state: 'outgoing', claimToken: null, claimedAt: null, nextAttemptAt: new Date() },
    );
  }

  /** renews the claim on `ids` still `sending` under `token` (a live sender's heartbeat); returns how many it holds */
  async renewClaims(em: EntityManager, token: string, ids: number[]): Promise<number> {
    return em.nativeUpdate(OutgoingMail, { id: { $in: ids }, claimToken: token, state: 'sending' }, { claimedAt: new Date() });
  }

  /** when the next mail waiting in `outgoing` is due (null: none waits) */
  async nextDue(em: EntityManager): Promise<Date | null> {
    const row = await em.findOne(OutgoingMail, { state: 'outgoing' }, { fields: ['nextAttemptAt'], orderBy: { nextAttemptAt: 'asc' } });
    return row?.nextAttemptAt ?? null;
  }

  /** writes outcomes in one transaction; a row whose claim was taken over meanwhile is left alone */
  async record(token: string, outcomes: SendOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.orm.em.fork().transactional((em: EntityManager) => this.write(em, token, outcomes));
  }

  private async write(em: EntityManager, token: string, outcomes: SendOutcome[]): Promise<void> {
    const now = new Date();
    const sentByServer = new Map<string | null, number[]>();
    for (const o of outcomes) if (o.ok) sentByServer.set(o.server, [...(sentByServer.get(o.server) ?? []), o.mail.id]);
    for (const [server, ids] of sentByServer) {
      await em.nativeUpdate(
        OutgoingMail,
        { id: { $in: ids }, claimToken: token },
        { state: 'sent', sentAt: now, serverName: server, claimToken: null, failureType: null, failureReason: null },
      );
    }
    const notifications = outcomes.filter((o) => o.ok && o.mail.notification !== null).map((o) => o.mail.notification!);
    if (notifications.length) {
      await em.nativeUpdate(Notification, { id: { $in: notifications }, status: 'ready' }, { status: 'sent', failureType: null, failureReason: null });
    }
    for (const o of outcomes) {
      if (o.ok) continue;
      const failure = { serverName: o.server, claimToken: null, failureType: o.failure.type, failureReason: o.failure.reason };
      if (o.retryAt) {
        await em.nativeUpdate(OutgoingMail, { id: o.mail.id, claimToken: token }, { ...failure, state: 'outgoing', claimedAt: null, nextAttemptAt: o.retryAt });
        continue;
      }
      await em.nativeUpdate(OutgoingMail, { id: o.mail.id, claimToken: token }, { ...failure, state: 'exception' });
      if (o.mail.notification !== null) {
        await em.nativeUpdate(Notification, { id: o.mail.notification }, { status: 'exception', failureType: o.failure.type, failureReason: o.failure.reason });
      }
    }
  }

  private date(d: Date): unknown {
    return this.orm.em.getPlatform().processDateProperty(d);
  }
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}
