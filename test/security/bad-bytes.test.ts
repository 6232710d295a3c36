import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatterHealth, InboundEmail, Message } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { DOMAIN, mail, relay, startInboundHost, type InboundHost } from '../inbound/support/inbound-host.js';

/** Bad bytes (issue 27, "What was seen" 6 and 7): a NUL is a 400 or stripped, never a 500 or a claim loop; line endings do not make a mail twice. */
describe.each(DIALECTS)('bad bytes on %s', (dialect) => {
  let host: InboundHost;
  let ticket: string;
  beforeAll(async () => {
    host = await startInboundHost(dialect, { smtp: true });
    ticket = (await host.row((await relay(host, mail({ from: 'alice@outside.test', to: `support@${DOMAIN}`, subject: 'Bytes' }))).body.id)).resId!;
  });
  afterAll(async () => {
    await host?.close();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${host.url}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(init.headers ?? {}) } }).then(async (res) => ({ status: res.status, body: await res.json() }));

  it('a NUL or control character in any HTTP field answers 400 naming the field', async () => {
    const cases: [string, RequestInit, string][] = [
      [`/chatter/ticket/${ticket}/messages`, { method: 'POST', body: JSON.stringify({ body: 'hello\u0000world' }) }, 'body contains a NUL or control character'],
      [`/chatter/ticket/${ticket}/messages`, { method: 'POST', body: JSON.stringify({ body: 'ok', subject: 'bell\u0007' }) }, 'subject contains a NUL or control character'],
      [`/chatter/ticket/${ticket}/followers`, { method: 'POST', body: JSON.stringify({ email: 'x\u0000@outside.test' }) }, 'email contains a NUL or control character'],
      [`/chatter/ticket/${ticket}%00/messages`, {}, 'id contains a NUL or control character'],
      [`/chatter/ticket/${ticket}/messages?before=1%00`, {}, 'before contains a NUL or control character'],
    ];
    for (const [path, init, message] of cases) {
      const res = await api(path, init);
      expect(res, path).toMatchObject({ status: 400, body: { message } });
    }
    // tabs and line breaks are text
    expect((await api(`/chatter/ticket/${ticket}/messages`, { method: 'POST', body: JSON.stringify({ body: 'a\tb\r\nc' }) })).status).toBe(201);
  });

  it('a NUL in In-Reply-To/References or the Message-ID: the id is dropped and the mail processed once, not retried', async () => {
    const parent = await host.em().findOneOrFail(Message, { resModel: 'ticket', resId: ticket, messageType: 'email' });
    const raw = mail({ from: 'alice@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: Bytes', messageId: '<nul\u0000id@outside.test>', inReplyTo: `<evil\u0000@x.test> ${parent.messageId}`, references: '<a\u0000b@x.test>' });
    const res = await relay(host, raw);
    expect(res.status).toBe(202);
    const row = await host.row(res.body.id);
    expect(row, row.error ?? row.reason ?? '').toMatchObject({ status: 'delivered', decision: 'reply', resId: ticket, attempts: 1 });
    expect(row.messageId).toMatch(/@synthesized\.chatter\.invalid>$/);
  });

  it('the same mail without a Message-ID through SMTP (CRLF) and the relay (LF) is posted once', async () => {
    const crlf = mail({ from: 'dora@outside.test', to: `support@${DOMAIN}`, subject: 'No id, two ingresses' }).replace(/^Message-ID: .*\r\n/m, '');
    const lf = crlf.replace(/\r\n/g, '\n').replace(/\n\n$/, '\n  \n');
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: host.smtpPort, secure: false, ignoreTLS: true });
    let first: InboundEmail;
    try {
      const info = await smtp.sendMail({ envelope: { from: 'dora@outside.test', to: [`support@${DOMAIN}`] }, raw: crlf });
      first = await host.row(Number(/queued as (\d+)/.exec(info.response)?.[1]));
    } finally {
      smtp.close();
    }
    const second = await host.row((await relay(host, lf)).body.id);
    expect(first.status).toBe('delivered');
    expect(second.messageId).toBe(first.messageId);
    expect(second).toMatchObject({ status: 'ignored', decision: 'duplicate' });
    expect(await host.em().count(Message, { subject: 'No id, two ingresses' })).toBe(1);
  });

  it('a mail abandoned in processing claim after claim ends failed, and /health reports mails stuck past their lease', async () => {
    const res = await relay(host, mail({ from: 'alice@outside.test', to: `support@${DOMAIN}`, subject: 'Kills its worker' }));
    await host.row(res.body.id);
    // what a mail that crashes its worker every time leaves: a third claim, long past its lease
    await host.em().nativeUpdate(InboundEmail, { id: res.body.id }, { status: 'processing', attempts: 3, claimedAt: new Date(Date.now() - 3_600_000) });
    const health = host.app.get(ChatterHealth);
    const before = await health.check();
    expect(before.inbound.stuckProcessing).toBe(1);
    expect(before.problems).toContain('1 inbound mail(s) stuck in processing past their lease');
    await host.gateway.resumePending();
    const row = await host.em().findOneOrFail(InboundEmail, res.body.id);
    expect(row.status).toBe('failed');
    expect(row.error).toMatch(/^gave up after 3 or more claims: its processing never finished/);
    const after = await health.check();
    expect(after.inbound).toMatchObject({ stuckProcessing: 0, failed: before.inbound.failed + 1 });
  });
});
