import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { startTestApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/database.js';
import { SmtpSink } from './support/smtp-sink.js';
import { freePort } from '../support/free-port.js';

const agent = { 'x-user-email': 'agent@example.test', 'x-user-name': 'Agent Smith' };
const REFUSAL = '5.1.1 <ghost@outside.test>: Recipient address rejected: User unknown';

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(DIALECTS)('sample app mail over SMTP_URL on %s', (dialect) => {
  let sink: SmtpSink;
  let t: TestApp;

  beforeAll(async () => {
    sink = await SmtpSink.start({ reject: (address) => (address === 'ghost@outside.test' ? REFUSAL : undefined) });
    t = await startTestApp(dialect, { SMTP_URL: sink.url });
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  it('shows a recipient the server refused with 550 as an exception with the SMTP reason, the others as sent', async () => {
    const { body: ticket } = await t.http('POST', '/tickets', { subject: 'Refused recipient' }, agent);
    for (const email of ['ghost@outside.test', 'alice@outside.test']) {
      expect((await t.http('POST', `/chatter/ticket/${ticket.id}/followers`, { email })).status).toBe(201);
    }
    const posted = await t.http('POST', `/chatter/ticket/${ticket.id}/messages`, { body: 'We shipped the fix.' }, agent);
    expect(posted.status).toBe(201);

    const notifications = await until(async () => {
      const page = await t.http('GET', `/chatter/ticket/${ticket.id}/messages`);
      const n = page.body.find((m: any) => m.id === posted.body.id).notifications;
      return n.every((x: any) => x.status !== 'ready') ? n : undefined;
    }, 'the sender to settle');
    const byEmail = Object.fromEntries(notifications.map((n: any) => [n.email, n]));
    expect(byEmail['ghost@outside.test']).toMatchObject({ type: 'email', status: 'exception', failureType: 'mail_email_invalid' });
    expect(byEmail['ghost@outside.test'].failureReason).toContain(`550 ${REFUSAL}`);
    expect(byEmail['alice@outside.test']).toMatchObject({ type: 'email', status: 'sent', failureType: null, failureReason: null });
    expect(sink.to('alice@outside.test')).toHaveLength(1);
    expect(sink.to('ghost@outside.test')).toHaveLength(0);
  });
});

describe.each(DIALECTS)('sample app mail without SMTP_URL on %s', (dialect) => {
  let t: TestApp;
  let outbox: string;
  let port: number;

  beforeAll(async () => {
    outbox = mkdtempSync(join(tmpdir(), 'chatter-outbox-'));
    port = await freePort();
    t = await startTestApp(dialect, { CHATTER_OUTBOX_DIR: outbox, PORT: String(port) });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it('writes each mail as an .eml file, whose unfollow link works once and refuses a tampered token', async () => {
    const { body: ticket } = await t.http('POST', '/tickets', { subject: 'Noisy ticket' }, agent);
    const follow = await t.http('POST', `/chatter/ticket/${ticket.id}/followers`, { email: 'bob@outside.test', name: 'Bob' });
    await t.http('POST', `/chatter/ticket/${ticket.id}/messages`, { body: 'Update for Bob' }, agent);

    const file = await until(async () => {
      const files = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
      for (const f of files) if (readFileSync(join(outbox, f), 'utf8').includes('bob@outside.test')) return join(outbox, f);
      return undefined;
    }, 'the .eml file');
    const raw = readFileSync(file);
    expect(raw.toString()).toMatch(/^Return-Path: <bounce\+\d+-[0-9a-f]{12}@example\.test>\r$/m);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Noisy ticket');
    const link = /Unfollow: (\S+)/.exec(mail.text ?? '')![1];
    expect(link.startsWith(`http://127.0.0.1:${port}/chatter/unfollow?token=`)).toBe(true);

    // GET only asks (mail scanners follow links); the POST unfollows
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Stop following Noisy ticket?');
    const followers = async () => (await t.http('GET', `/chatter/ticket/${ticket.id}/followers`)).body.map((f: any) => f.email);
    expect(await followers()).toContain('bob@outside.test');

    const token = new URL(link).searchParams.get('token')!;
    const tampered = token.replace(/^\d+/, String(follow.body.partnerId + 1));
    expect((await fetch(`${t.url}/chatter/unfollow?token=${encodeURIComponent(tampered)}`)).status).toBe(403);
    const forged = await fetch(`${t.url}/chatter/unfollow`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(tampered)}` });
    expect(forged.status).toBe(403);
    expect(await followers()).toContain('bob@outside.test');

    const done = await fetch(`${t.url}/chatter/unfollow`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(token)}` });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('You no longer follow <b>Noisy ticket</b>');
    expect(await followers()).not.toContain('bob@outside.test');
  });
});

