import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer, { type Transporter } from 'nodemailer';
import { InboundEmail, Message, Notification, OutgoingMail } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { DOMAIN, RELAY_TOKEN, mail, relay, startInboundHost, type InboundHost } from './support/inbound-host.js';

const MAILGATE = fileURLToPath(new URL('../../bin/chatter-mailgate.mjs', import.meta.url));
const NODE = process.execPath;
const agent = { email: 'agent@example.test', name: 'Agent Smith', userId: 'agent' };

/** runs the mailgate CLI the way an MTA does: the mail on stdin, the recipient as an argument */
function mailgate(raw: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [MAILGATE, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(raw);
  });
}

describe.each(DIALECTS)('inbound ingresses on %s', (dialect) => {
  let host: InboundHost;
  let smtp: Transporter;
  let ticketId: string;
  beforeAll(async () => {
    host = await startInboundHost(dialect, { smtp: true });
    smtp = nodemailer.createTransport({ host: '127.0.0.1', port: host.smtpPort, secure: false, ignoreTLS: true });
    const res = await relay(host, mail({ from: '"Alice" <alice@outside.test>', to: `support@${DOMAIN}`, subject: 'VPN is down' }));
    ticketId = (await host.row(res.body.id)).resId!;
    await host.threads.follow({ model: 'ticket', id: ticketId }, agent);
  });
  afterAll(async () => {
    smtp?.close();
    await host?.close();
  });

  /** the agent answers on the ticket; returns the notification mail alice received */
  async function agentPosts(text: string): Promise<{ message: Message; out: OutgoingMail }> {
    const message = await host.threads.post({ model: 'ticket', id: ticketId }, { body: text, format: 'text', author: agent });
    await host.settle();
    const out = await host.em().findOneOrFail(OutgoingMail, { message: message.id, emailTo: { $like: '%alice@outside.test%' } });
    expect(out.replyTo).toMatch(/catchall\+[a-z2-7]+@example\.test/);
    return { message, out };
  }

  function replyTo(out: OutgoingMail): string {
    return /catchall\+[a-z2-7]+@example\.test/.exec(out.replyTo!)![0];
  }

  async function expectLandedAndRelayed(rowId: number, parent: Message, text: string) {
    const row = await host.row(rowId);
    expect(row, row.reason ?? '').toMatchObject({ status: 'delivered', decision: 'reply', resModel: 'ticket', resId: ticketId });
    const posted = await host.em().findOneOrFail(Message, row.postedMessageId!, { populate: ['author', 'parent'] });
    expect(posted.author?.email).toBe('alice@outside.test');
    expect(posted.parent?.id).toBe(parent.id);
    expect(posted.body).toContain(text);
    // relayed to the other follower (the agent), not back to alice
    const notified = await host.em().find(Notification, { message: posted.id }, { populate: ['partner'] });
    expect(notified.map((n) => n.partner.email)).toEqual([agent.email]);
    expect(await host.em().count(OutgoingMail, { message: posted.id, emailTo: { $like: `%${agent.email}%` } })).toBe(1);
  }

  it('HTTP relay: authenticates, validates, refuses unknown recipients, and a reply lands in the thread and is relayed', async () => {
    expect((await relay(host, mail({ from: 'a@outside.test', to: `support@${DOMAIN}` }), { authorization: 'Bearer wrong-token-xxxxxxxxxxxx' })).status).toBe(401);
    expect((await relay(host, 'this is not a mail\r\n')).status).toBe(400);
    const unknown = await relay(host, mail({ from: 'a@outside.test', to: `nobody@${DOMAIN}` }), { 'x-chatter-recipient': `nobody@${DOMAIN}` });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'no_such_recipient' } });
    const { message, out } = await agentPosts('Have you tried turning it off and on?');
    const res = await relay(host, mail({ from: 'alice@outside.test', to: replyTo(out), subject: 'Re: VPN', body: 'Yes, twice.\n\nOn Mon, Agent wrote:\n> Have you tried', inReplyTo: message.messageId }));
    expect(res).toMatchObject({ status: 202, body: { duplicate: false, status: 'received' } });
    await expectLandedAndRelayed(res.body.id, message, 'Yes, twice.');
    const posted = await host.em().findOneOrFail(Message, (await host.row(res.body.id)).postedMessageId!, { populate: ['trimmedBody'] });
    expect(posted.body).not.toContain('Have you tried');
    expect(posted.trimmedBody).toContain('Have you tried');
  });

  it('SMTP listener: refuses unknown recipients at RCPT, answers 250 after the commit, and a reply lands and is relayed', async () => {
    await expect(smtp.sendMail({ envelope: { from: 'a@outside.test', to: [`nobody@${DOMAIN}`] }, raw: mail({ from: 'a@outside.test', to: `nobody@${DOMAIN}` }) })).rejects.toMatchObject({ responseCode: 550 });
    await expect(smtp.sendMail({ envelope: { from: 'a@outside.test', to: ['x@elsewhere.test'] }, raw: mail({ from: 'a@outside.test', to: 'x@elsewhere.test' }) })).rejects.toMatchObject({ responseCode: 554 });
    const { message, out } = await agentPosts('Which client do you use?');
    const info = await smtp.sendMail({ envelope: { from: 'alice@outside.test', to: [replyTo(out)] }, raw: mail({ from: 'alice@outside.test', to: replyTo(out), subject: 'Re: client', body: 'The built-in one.', inReplyTo: message.messageId }) });
    const id = Number(/queued as (\d+)/.exec(String(info.response))![1]);
    expect(await host.em().count(InboundEmail, { id, sourceKind: 'smtp' })).toBe(1);
    await expectLandedAndRelayed(id, message, 'The built-in one.');
  });

  it('chatter-mailgate: exit 0 once stored (the reply lands and is relayed), 67 no such alias, 77 refused token, 75 relay down', async () => {
    const env = { CHATTER_INBOUND_URL: `${host.url}/chatter/inbound`, CHATTER_INBOUND_TOKEN: RELAY_TOKEN };
    const { message, out } = await agentPosts('Fixed now?');
    const raw = mail({ from: 'alice@outside.test', to: replyTo(out), subject: 'Re: fixed', body: 'Works, thanks!', inReplyTo: message.messageId });
    const ok = await mailgate(raw, [replyTo(out), 'alice@outside.test'], env);
    expect(ok, ok.stderr).toEqual({ code: 0, stderr: '' });
    const row = await host.em().findOneOrFail(InboundEmail, { sourceKind: 'pipe' }, { orderBy: { id: 'desc' } });
    await expectLandedAndRelayed(row.id, message, 'Works, thanks!');
    const noUser = await mailgate(mail({ from: 'a@outside.test', to: `ghost@${DOMAIN}` }), [`ghost@${DOMAIN}`], env);
    expect(noUser.code).toBe(67);
    expect(noUser.stderr).toContain(`no such recipient: ghost@${DOMAIN}`);
    expect((await mailgate(raw, [replyTo(out)], { ...env, CHATTER_INBOUND_TOKEN: 'wrong-token-0000000000' })).code).toBe(77);
    expect((await mailgate(raw, [replyTo(out)], { ...env, CHATTER_INBOUND_URL: 'http://127.0.0.1:9/chatter/inbound' })).code).toBe(75);
  });

  it('the same mail through two ingresses (relay and SMTP) and twice through one is one message', async () => {
    const raw = mail({ from: 'bob@outside.test', to: `support@${DOMAIN}`, subject: 'Twice delivered' });
    const first = await relay(host, raw);
    const again = await relay(host, raw);
    expect(again.body).toMatchObject({ id: first.body.id, duplicate: true });
    await smtp.sendMail({ envelope: { from: 'bob@outside.test', to: [`support@${DOMAIN}`] }, raw });
    await host.settle();
    const rows = await host.em().find(InboundEmail, { subject: 'Twice delivered' }, { orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.sourceKind, r.status, r.decision])).toEqual([
      ['http', 'delivered', 'alias'],
      ['smtp', 'ignored', 'duplicate'],
    ]);
    expect(rows[1].reason).toContain(`duplicate of inbound mail ${rows[0].id}`);
    expect(await host.em().count(Message, { subject: 'Twice delivered' })).toBe(1);
  });
});
