import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { bootstrap } from '../../sample-app/main.js';
import { InboundEmail, JobRunner, MailboxState, Message } from '../../lib/index.js';
import { ImapIngress } from '../../lib/ingress/imap-ingress.js';
import { Ticket } from '../../sample-app/ticket.entity.js';
import type { TestDatabase } from '../support/database.js';

export { Ticket };

/** The sample app on an existing database (kept by `close()`, so a test can boot it again on the same data). */
export interface ImapApp {
  app: INestApplication;
  orm: MikroORM<any, any, any>;
  ingress: ImapIngress;
  jobs: JobRunner;
  /** ledger rows of `mailbox`, oldest first */
  ledger(mailbox?: string): Promise<InboundEmail[]>;
  state(mailbox?: string): Promise<MailboxState | null>;
  /** chatter messages carrying these Message-IDs */
  messages(messageIds: string[]): Promise<Message[]>;
  /** waits for the queued work (fetch jobs, processing) to finish */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function bootImapApp(db: TestDatabase, imapUrl: string, env: Record<string, string> = {}): Promise<ImapApp> {
  const app = await bootstrap(
    { ...process.env, PORT: '0', SMTP_LISTEN: 'off', DATABASE_URL: db.url, CHATTER_SECRET: 'test-secret-0123456789', IMAP_URL: imapUrl, ...env },
    { logger: false },
  );
  const orm: MikroORM<any, any, any> = app.get(MikroORM);
  const jobs = app.get(JobRunner);
  return {
    app,
    orm,
    ingress: app.get(ImapIngress),
    jobs,
    ledger: (mailbox = 'imap') => orm.em.fork().find(InboundEmail, { mailbox }, { orderBy: { id: 'asc' } }),
    state: (mailbox = 'imap') => orm.em.fork().findOne(MailboxState, { name: mailbox }),
    messages: (ids) => orm.em.fork().find(Message, { messageId: { $in: ids } }, { orderBy: { id: 'asc' } }),
    settle: () => jobs.drain(),
    close: () => app.close(),
  };
}

let seq = 0;

/** A plain RFC 822 mail; `id` becomes its Message-ID `<id@outside.test>` (unless `withoutMessageId`). */
export function rawMail(options: { id: string; subject?: string; from?: string; to?: string; body?: string; inReplyTo?: string; withoutMessageId?: boolean }): string {
  const { id, subject = `Mail ${id}`, from = 'Alice Customer <alice@outside.test>', to = 'support@example.test', body = `Hello, this is mail ${id}.` } = options;
  const date = new Date(Date.UTC(2026, 0, 1, 12, 0, seq++ % 60)).toUTCString().replace('GMT', '+0000');
  return [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Date: ${date}`,
    ...(options.withoutMessageId ? [] : [`Message-ID: <${id}@outside.test>`]),
    ...(options.inReplyTo ? [`In-Reply-To: ${options.inReplyTo}`, `References: ${options.inReplyTo}`] : []),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}

export function messageId(id: string): string {
  return `<${id}@outside.test>`;
}

/** polls `check` until it returns a truthy value, or fails with `what` */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** runs every cleanup step, even after one fails (a server left running outlives the test), then throws the first error */
export async function cleanUp(...steps: (() => Promise<unknown> | unknown)[]): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      first ??= error;
    }
  }
  if (first) throw first;
}
