import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { SmtpListener } from '../../lib/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/database.js';
import { runnerSetup, withRunners, type RunnerSetup } from '../support/runners.js';
import { mail } from './support/inbound-host.js';

const TOKEN = 'sample-app-inbound-token-0123';

describe.each(withRunners(DIALECTS))('the sample app takes mail on %s with the %s job runner', (dialect, runner) => {
  let t: TestApp;
  let queue: RunnerSetup;
  beforeAll(async () => {
    queue = runnerSetup(runner);
    t = await startTestApp(dialect, { CHATTER_INBOUND_TOKEN: TOKEN, CHATTER_DOMAIN: 'example.test', ...queue.env });
  });
  afterAll(async () => {
    await t?.close();
    await queue?.cleanup();
  });

  it('support@ through the HTTP relay creates a ticket; sales@ through its SMTP listener creates a lead', async () => {
    const res = await fetch(`${t.url}/chatter/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'message/rfc822' },
      body: mail({ from: 'alice@outside.test', to: 'support@example.test', subject: 'Sample ticket by mail' }),
    });
    expect(res.status).toBe(202);
    const port = t.app.get(SmtpListener).address()!.port;
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    await smtp.sendMail({ envelope: { from: 'bob@outside.test', to: ['sales@example.test'] }, raw: mail({ from: 'bob@outside.test', to: 'sales@example.test', subject: 'Sample lead by mail' }) });
    smtp.close();
    const { JobRunner } = await import('../../lib/index.js');
    await t.app.get(JobRunner).drain();
    const tickets = (await t.http('GET', '/tickets')).body;
    expect(tickets.find((x: any) => x.subject === 'Sample ticket by mail')).toMatchObject({ customerEmail: 'alice@outside.test' });
    const { Lead } = await import('../../sample-app/lead.entity.js');
    const { MikroORM } = await import('@mikro-orm/core');
    const lead = await t.app.get(MikroORM).em.fork().findOneOrFail(Lead, { name: 'Sample lead by mail' });
    expect(lead.contactEmail).toBe('bob@outside.test');
  });
});
