import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alias, Follower, InboundEmail, Message, Notification, OutgoingMail, Partner } from '../../lib/index.js';
import { Lead } from '../../sample-app/lead.entity.js';
import { Ticket } from '../../sample-app/ticket.entity.js';
import { DIALECTS } from '../support/database.js';
import { DOMAIN, mail, relay, startInboundHost, type InboundHost } from './support/inbound-host.js';

const agent = { email: 'agent@example.test', name: 'Agent Smith', userId: 'agent' };

describe.each(DIALECTS)('inbound routing on %s', (dialect) => {
  let host: InboundHost;
  beforeAll(async () => {
    host = await startInboundHost(dialect, { incoming: { loop: { limit: 3, windowMinutes: 120 } } });
  });
  afterAll(async () => {
    await host?.close();
  });

  async function deliver(raw: string) {
    const res = await relay(host, raw);
    expect(res.status).toBe(202);
    return host.row(res.body.id);
  }

  it('creates a ticket from a mail to support@ (alias, contact policy everyone), the sender as author and follower', async () => {
    const row = await deliver(mail({ from: '"Alice" <alice@outside.test>', to: `support@${DOMAIN}`, subject: 'Printer on fire', body: 'Please help.' }));
    expect(row).toMatchObject({ status: 'delivered', decision: 'alias', resModel: 'ticket' });
    expect(row.reason).toBe(`alias support@${DOMAIN} → new ticket ${row.resId}`);
    const em = host.em();
    const ticket = await em.findOneOrFail(Ticket, Number(row.resId));
    expect(ticket).toMatchObject({ subject: 'Printer on fire', customerEmail: 'alice@outside.test' });
    const message = await em.findOneOrFail(Message, row.postedMessageId!, { populate: ['author'] });
    expect(message).toMatchObject({ messageType: 'email', subject: 'Printer on fire' });
    expect(message.author?.email).toBe('alice@outside.test');
    expect(message.body).toContain('Please help.');
    const followers = await em.find(Follower, { resModel: 'ticket', resId: row.resId! }, { populate: ['partner'] });
    expect(followers.map((f) => f.partner.email)).toEqual(['alice@outside.test']);
  });

  it('applies the contact policies of stored aliases: partners and followers', async () => {
    const em = host.em();
    em.persist(em.create(Alias, { name: 'vip', model: 'lead', contactPolicy: 'partners', defaults: { stage: 'qualified' } }));
    em.persist(em.create(Alias, { name: 'club', model: 'ticket', contactPolicy: 'followers' }));
    await em.flush();

    const stranger = await deliver(mail({ from: 'stranger@outside.test', to: `vip@${DOMAIN}`, subject: 'Buy' }));
    expect(stranger).toMatchObject({ status: 'rejected', decision: 'alias' });
    expect(stranger.reason).toContain(`refused: sender stranger@outside.test is not a known partner (alias vip@${DOMAIN}, policy partners)`);
    expect(stranger.reason).toContain('(sender answered)');

    // alice became a partner with her first mail above
    const known = await deliver(mail({ from: 'alice@outside.test', to: `vip@${DOMAIN}`, subject: 'Big deal' }));
    expect(known).toMatchObject({ status: 'delivered', decision: 'alias', resModel: 'lead' });
    expect(await host.em().findOneOrFail(Lead, Number(known.resId))).toMatchObject({ name: 'Big deal', stage: 'qualified', contactEmail: 'alice@outside.test' });

    const partnerNoFollow = await deliver(mail({ from: 'carol@outside.test', to: `club@${DOMAIN}`, subject: 'Hi' }));
    expect(partnerNoFollow.status).toBe('rejected');
    expect(partnerNoFollow.reason).toContain('refused: sender carol@outside.test is not a known partner');
    await host.threads.follow({ model: 'ticket', id: known.resId === null ? '1' : (await host.em().findOneOrFail(InboundEmail, { decision: 'alias', resModel: 'ticket' })).resId! }, { email: 'dave@outside.test' });
    const follower = await deliver(mail({ from: 'dave@outside.test', to: `club@${DOMAIN}`, subject: 'Member mail' }));
    expect(follower).toMatchObject({ status: 'delivered', decision: 'alias', resModel: 'ticket' });
    const notFollower = await deliver(mail({ from: 'alice@outside.test', to: `club@${DOMAIN}`, subject: 'Not a member' }));
    // alice follows the ticket she created, so she passes; a partner following nothing does not
    expect(notFollower.status).toBe('delivered');
    const em2 = host.em();
    em2.persist(em2.create(Partner, { email: 'erin@outside.test', name: 'Erin' }));
    await em2.flush();
    const erin = await deliver(mail({ from: 'erin@outside.test', to: `club@${DOMAIN}`, subject: 'Me too' }));
    expect(erin.status).toBe('rejected');
    expect(erin.reason).toContain(`refused: sender erin@outside.test is not a follower (alias club@${DOMAIN}, policy followers)`);
  });

  it('creates one record per matching alias', async () => {
    const row = await deliver(mail({ from: 'frank@outside.test', to: `support@${DOMAIN}`, cc: `sales@${DOMAIN}`, subject: 'Both' }));
    expect(row.status).toBe('delivered');
    expect(row.reason).toMatch(new RegExp(`alias support@${DOMAIN} → new ticket \\d+; alias sales@${DOMAIN} → new lead \\d+`));
    expect(await host.em().count(Lead, { name: 'Both' })).toBe(1);
    expect(await host.em().count(Ticket, { subject: 'Both' })).toBe(1);
  });

  it('refuses catchall misuse and answers the sender at most once a day', async () => {
    const first = await deliver(mail({ from: 'gina@outside.test', to: `catchall@${DOMAIN}`, subject: 'Where do I write?' }));
    expect(first).toMatchObject({ status: 'rejected', decision: 'catchall' });
    expect(first.reason).toContain('catchall misuse');
    expect(first.reason).toContain('(sender answered)');
    expect(first.answeredAt).not.toBeNull();
    const second = await deliver(mail({ from: 'gina@outside.test', to: `catchall@${DOMAIN}`, subject: 'Again' }));
    expect(second.reason).toContain('(not answered: gina@outside.test was already answered today)');
    const answers = await host.em().find(OutgoingMail, { emailTo: 'gina@outside.test' });
    expect(answers).toHaveLength(1);
    expect(answers[0].headers['Auto-Submitted']).toBe('auto-replied');
    // never answer an auto-reply
    const auto = await deliver(mail({ from: 'henk@outside.test', to: `catchall@${DOMAIN}`, subject: 'Out of office', headers: { 'Auto-Submitted': 'auto-replied' } }));
    expect(auto.reason).toContain('(not answered: an auto-reply is never answered)');
  });

  it('refuses a forged or altered reply token with a reason, and a token used by someone else', async () => {
    const forged = await deliver(mail({ from: 'ivan@outside.test', to: `catchall+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@${DOMAIN}`, subject: 'Re: x' }));
    expect(forged).toMatchObject({ status: 'rejected', decision: 'reply' });
    expect(forged.reason).toMatch(/^refused: reply address catchall\+a+@example\.test is not valid \(bad signature; forged or altered\)/);
    const { body } = await fetchTicket();
    const { signReplyAddress } = await import('../../lib/outbound/reply-address.js');
    const alice = await host.em().findOneOrFail(Partner, { email: 'alice@outside.test' });
    const address = signReplyAddress({ model: 'ticket', id: String(body.id), partnerId: alice.id }, DOMAIN, 'test-secret-0123456789');
    const altered = address.replace(/\+(.)/, (_, c: string) => `+${c === 'a' ? 'b' : 'a'}`);
    const bad = await deliver(mail({ from: 'alice@outside.test', to: altered, subject: 'Re: altered' }));
    expect(bad.status).toBe('rejected');
    expect(bad.reason).toContain('forged or altered');
    const other = await deliver(mail({ from: 'mallory@outside.test', to: address, subject: 'Re: not mine' }));
    expect(other.status).toBe('rejected');
    expect(other.reason).toContain(`was issued to partner ${alice.id}, not to mallory@outside.test`);
    const good = await deliver(mail({ from: 'alice@outside.test', to: address, subject: 'Re: mine' }));
    expect(good).toMatchObject({ status: 'delivered', decision: 'reply', resModel: 'ticket', resId: String(body.id) });
    expect(good.reason).toBe(`reply to ticket ${body.id} via signed reply address (partner ${alice.id})`);
  });

  async function fetchTicket() {
    const row = await host.em().findOneOrFail(InboundEmail, { decision: 'alias', resModel: 'ticket' }, { orderBy: { id: 'asc' } });
    return { body: { id: Number(row.resId) } };
  }

  it('refuses a sender looping on one record past the limit, with one notice', async () => {
    const { body } = await fetchTicket();
    const em = host.em();
    const message = await em.findOneOrFail(Message, { resModel: 'ticket', resId: String(body.id), messageType: 'email' }, { orderBy: { id: 'asc' } });
    // a follower's auto-responder: the reply policy admits it, the loop guard stops it
    await host.threads.follow({ model: 'ticket', id: String(body.id) }, { email: 'robot@outside.test', name: 'Robot' });
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(await deliver(mail({ from: 'robot@outside.test', to: `catchall@${DOMAIN}`, subject: `Re: ${i}`, inReplyTo: message.messageId })));
    expect(rows.slice(0, 3).map((r) => r.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(rows[3]).toMatchObject({ status: 'rejected', decision: 'loop' });
    expect(rows[3].reason).toContain(`loop: robot@outside.test already sent 3 mails to ticket ${body.id} within 120 min; refused (sender answered)`);
    expect(rows[4].reason).toContain('already answered today');
  });

  it('posts an auto-reply without notifying the followers', async () => {
    const { body } = await fetchTicket();
    await host.threads.follow({ model: 'ticket', id: String(body.id) }, agent);
    await host.threads.follow({ model: 'ticket', id: String(body.id) }, { email: 'olga@outside.test', name: 'Olga' });
    const message = await host.em().findOneOrFail(Message, { resModel: 'ticket', resId: String(body.id), messageType: 'email' }, { orderBy: { id: 'asc' } });
    const auto = await deliver(mail({ from: 'olga@outside.test', to: `catchall@${DOMAIN}`, subject: 'Automatic reply: away', inReplyTo: message.messageId, headers: { 'Auto-Submitted': 'auto-replied' } }));
    expect(auto.status).toBe('delivered');
    expect(auto.reason).toContain('nobody notified');
    expect(await host.em().count(Notification, { message: auto.postedMessageId })).toBe(0);
    const human = await deliver(mail({ from: 'olga@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: thanks', inReplyTo: message.messageId }));
    expect(human.status, human.reason ?? "").toBe("delivered");
    const notified = await host.em().find(Notification, { message: human.postedMessageId }, { populate: ["partner"] });
    expect(notified.map((n) => n.partner.email)).toContain(agent.email);
  });

  it('rejects mail with no route, and every processed mail has a status and a reason', async () => {
    const row = await deliver(mail({ from: 'zed@outside.test', to: 'someone@elsewhere.test', subject: 'Lost' }));
    expect(row).toMatchObject({ status: 'rejected', decision: 'no-route' });
    expect(row.reason).toContain('no route');
    const all = await host.em().find(InboundEmail, {});
    for (const r of all) {
      expect(['delivered', 'bounced', 'rejected', 'ignored', 'failed']).toContain(r.status);
      expect(r.reason).toBeTruthy();
    }
  });
});
