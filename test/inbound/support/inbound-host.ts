import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { MikroORM, type EntityManager } from '@mikro-orm/core';
import {
  ChatterModule,
  EmlDirectoryTransport,
  InboundEmail,
  InboundGateway,
  JobRunner,
  SmtpListener,
  ThreadService,
  type IncomingOptions,
} from '../../../lib/index.js';
import { chatterTestingModule, TEST_SECRET } from '../../support/chatter-testing.js';
import { assertConformingEmlDirectory } from '../../support/mime-conformance.js';
import { createTestDatabase, type Dialect, type TestDatabase } from '../../support/database.js';
import { Lead } from '../../../sample-app/lead.entity.js';
import { Ticket } from '../../../sample-app/ticket.entity.js';

export const RELAY_TOKEN = 'relay-token-0123456789abcdef';
export const DOMAIN = 'example.test';

export interface InboundHost {
  app: INestApplication;
  orm: MikroORM<any, any, any>;
  db: TestDatabase;
  gateway: InboundGateway;
  threads: ThreadService;
  jobs: JobRunner;
  url: string;
  smtpPort: number | undefined;
  outboxDir: string;
  em(): EntityManager;
  /** waits until every queued job (processing, sending) is done */
  settle(): Promise<void>;
  /** the ledger row of a receipt, after processing */
  row(id: number): Promise<InboundEmail>;
  /** stops the app; drops the database unless `keepDatabase` */
  close(keepDatabase?: boolean): Promise<void>;
}

export interface InboundHostOptions {
  /** reuse a database (a restart); a new one by default */
  db?: TestDatabase;
  incoming?: IncomingOptions;
  smtp?: boolean;
}

/** A host with the sample app's Ticket (alias support@) and Lead (alias sales@), the relay, optionally the SMTP listener. */
export async function startInboundHost(dialect: Dialect, options: InboundHostOptions = {}): Promise<InboundHost> {
  const db = options.db ?? (await createTestDatabase(dialect));
  const outboxDir = mkdtempSync(join(tmpdir(), 'chatter-outbox-'));
  let app: INestApplication | undefined;
  try {
    const module = chatterTestingModule(db.url, {
      entities: [Ticket, Lead],
      chatter: {
        http: true,
        domains: [{ name: DOMAIN }],
        secret: TEST_SECRET,
        outgoing: { servers: [{ name: 'dir', transport: new EmlDirectoryTransport({ directory: outboxDir }) }] },
        incoming: { relayToken: RELAY_TOKEN, smtpListen: options.smtp ? '127.0.0.1:0' : false, ...options.incoming },
      } as any,
      imports: [ChatterModule.forFeature([Ticket, Lead])],
    });
    app = await NestFactory.create(module, { logger: false, abortOnError: false });
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app?.close().catch(() => undefined);
    if (!options.db) await db.drop();
    rmSync(outboxDir, { recursive: true, force: true });
    throw error;
  }
  const orm: MikroORM<any, any, any> = app.get(MikroORM);
  const jobs = app.get(JobRunner);
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  // processing enqueues sends: drain until nothing is left
  const settle = async () => {
    for (let i = 0; i < 5; i++) await jobs.drain();
  };
  return {
    app,
    orm,
    db,
    gateway: app.get(InboundGateway),
    threads: app.get(ThreadService),
    jobs,
    url,
    smtpPort: app.get(SmtpListener).address()?.port,
    outboxDir,
    em: () => orm.em.fork(),
    settle,
    async row(id) {
      await settle();
      return orm.em.fork().findOneOrFail(InboundEmail, id);
    },
    async close(keepDatabase = false) {
      await app!.close();
      if (!keepDatabase) await db.drop();
      try {
        await assertConformingEmlDirectory(outboxDir, 'the inbound host\'s outbox folder');
      } finally {
        rmSync(outboxDir, { recursive: true, force: true });
      }
    },
  };
}

/** POSTs a raw mail to the host's relay */
export async function relay(host: { url: string }, raw: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${host.url}/chatter/inbound`, {
    method: 'POST',
    headers: { authorization: `Bearer ${RELAY_TOKEN}`, 'content-type': 'message/rfc822', ...headers },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

let counter = 0;

/** a small RFC 822 mail */
export function mail(fields: {
  from: string;
  to: string;
  subject?: string;
  body?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string;
  cc?: string;
  headers?: Record<string, string>;
}): string {
  const id = fields.messageId ?? `<t${Date.now()}.${++counter}.${Math.random().toString(36).slice(2)}@outside.test>`;
  const lines = [
    `From: ${fields.from}`,
    `To: ${fields.to}`,
    ...(fields.cc ? [`Cc: ${fields.cc}`] : []),
    `Subject: ${fields.subject ?? 'Hello'}`,
    `Message-ID: ${id}`,
    `Date: ${new Date().toUTCString()}`,
    ...(fields.inReplyTo ? [`In-Reply-To: ${fields.inReplyTo}`] : []),
    ...(fields.references ? [`References: ${fields.references}`] : []),
    ...Object.entries(fields.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    fields.body ?? 'Hello there.',
    '',
  ];
  return lines.join('\r\n');
}
