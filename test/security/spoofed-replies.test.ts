import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboundEmail, Message, OutgoingMail, Partner } from '../../lib/index.js';
import { signReplyAddress } from '../../lib/outbound/reply-address.js';
import { TEST_SECRET } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { DOMAIN, mail, relay, startInboundHost, type InboundHost } from '../inbound/support/inbound-host.js';

/**
 * Replies from strangers (issue 27, "What was seen" 1–3): nobody posts into a thread by knowing or guessing a
 * Message-ID, or by holding someone else's reply address. Each attack asserts the ledger's verdict and that the thread
 * got nothing and its followers were mailed nothing; the happy replies next to them still land.
 */
describe.each(DIALECTS)('spoofed replies on %s', (dialect) => {
  let host: InboundHost;
  let alicesTicket: string;
  let bobsTicket: string;
  /** Message-IDs of alice's ticket: the notification alice received, an internal note */
  let notification: string;
  let note: string;
  const agent = { email: 'agent@example.test', name: 'Agent Smith', userId: 'agent' };

  beforeAll(async () => {
    host = await startInboundHost(dialect, { smtp: true });
    const opened = await host.row((await relay(host, mail({ from: 'alice@outside.test', to: `support@${DOMAIN}`, cc: 'carol@outside.test', subject: 'Printer on fire', messageId: '<open-alice@outside.test>' }))).body.id);
    alicesTicket = opened.resId!;
    bobsTicket = (await host.row((await relay(host, mail({ from: 'bob@outside.test', to: `support@${DOMAIN}`, subject: 'My own ticket' }))).body.id)).resId!;
    const ref = { model: 'ticket', id: alicesTicket };
    await host.threads.follow(ref, agent);
    notification = (await host.threads.post(ref, { body: 'On it.', author: agent })).messageId;
    note = (await host.threads.post(ref, { body: 'Customer is grumpy.', type: 'note', author: agent })).messageId;
    await host.settle();
  });
  afterAll(async () => {
    await host?.close();
  });

  /** what reached alice's thread and its followers' mailboxes so far */
  async function footprint() {
    const em = host.em();
    return {
      messages: await em.count(Message, { resModel: 'ticket', resId: alicesTicket }),
      mailed: await em.count(OutgoingMail, { message: { resModel: 'ticket', resId: alicesTicket } }),
    };
  }

  /** relays `raw` and expects it refused with nothing posted into alice's thread nor mailed to its followers */
  async function expectRefused(raw: string, reason: RegExp | string, options: { recipient?: string } = {}): Promise<InboundEmail> {
    const before = await footprint();
    const res = await relay(host, raw, options.recipient ? { 'x-chatter-recipient': options.recipient } : {});
    expect(res.status).toBe(202);
    const row = await host.row(res.body.id);
    await host.settle();
    expect(row.status, row.reason ?? '').toBe('rejected');
    if (typeof reason === 'string') expect(row.reason).toContain(reason);
    else expect(row.reason).toMatch(reason);
    expect(row.resId === alicesTicket && row.resModel === 'ticket').toBe(false);
    expect(await footprint()).toEqual(before);
    return row;
  }

  it('a guessed In-Reply-To naming the thread (ticket ids are sequential) routes nowhere', async () => {
    await expectRefused(mail({ from: 'eve@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: hello', inReplyTo: `<anything-chatter-ticket-${alicesTicket}@${DOMAIN}>` }), /catchall/);
  });

  it('a guessed References naming the thread routes nowhere', async () => {
    await expectRefused(mail({ from: 'eve@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: hello', references: `<x.1-chatter-ticket-${alicesTicket}@${DOMAIN}>` }), /catchall/);
  });

  it('one of our Message-IDs with its thread changed (the tag no longer verifies) routes nowhere', async () => {
    const retagged = notification.replace(`-chatter-ticket-${alicesTicket}-`, `-chatter-ticket-${bobsTicket}-`);
    expect(retagged).not.toBe(notification);
    const before = await host.em().count(Message, { resModel: 'ticket', resId: bobsTicket });
    await expectRefused(mail({ from: 'bob@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: hello', references: retagged }), /catchall/);
    expect(await host.em().count(Message, { resModel: 'ticket', resId: bobsTicket })).toBe(before);
  });

  it("a stranger holding a real notification's Message-ID is refused by the reply policy", async () => {
    await expectRefused(
      mail({ from: 'eve@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: Printer on fire', inReplyTo: notification }),
      /^refused: eve@outside\.test is not a known partner \(replies into ticket \d+: policy recipients\)/,
    );
  });

  it("a known customer replying into another customer's ticket is refused", async () => {
    const row = await expectRefused(
      mail({ from: 'bob@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: Printer on fire', inReplyTo: notification }),
      /^refused: bob@outside\.test neither follows ticket \d+ nor wrote or received message \d+ \(replies: policy recipients\)/,
    );
    expect(row.decision).toBe('reply');
    // answered once (the existing refusal mechanism), and only the sender
    expect(await host.em().count(OutgoingMail, { emailTo: { $like: '%bob@outside.test%' }, message: null })).toBeLessThanOrEqual(1);
  });

  it("a customer's reply to an internal note is refused, not posted as a note", async () => {
    await expectRefused(
      mail({ from: 'alice@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: note', inReplyTo: note }),
      /^refused: alice@outside\.test is not an internal user, and the message answered is an internal note of ticket \d+/,
    );
  });

  it('a refused reply that also went to an alias opens a new ticket (the alias decides), never the thread', async () => {
    const before = await footprint();
    const res = await relay(host, mail({ from: 'eve@outside.test', to: `support@${DOMAIN}`, subject: 'Re: Printer on fire', inReplyTo: notification }));
    const row = await host.row(res.body.id);
    expect(row).toMatchObject({ status: 'delivered', decision: 'alias', resModel: 'ticket' });
    expect(row.resId).not.toBe(alicesTicket);
    await host.settle();
    expect(await footprint()).toEqual(before);
  });

  it("someone else using alice's signed reply address is refused, naming both", async () => {
    const alice = await host.em().findOneOrFail(Partner, { email: 'alice@outside.test' });
    const address = signReplyAddress({ model: 'ticket', id: alicesTicket, partnerId: alice.id }, DOMAIN, TEST_SECRET);
    await expectRefused(
      mail({ from: 'mallory@outside.test', to: address, subject: 'Re: Printer on fire' }),
      new RegExp(`^refused: reply address of ticket ${alicesTicket} was issued to partner ${alice.id}, not to mallory@outside\\.test; mallory@outside\\.test is not a known partner`),
    );
  });

  it('a reply address written only in a header the sender controls (Delivered-To) is not taken', async () => {
    const alice = await host.em().findOneOrFail(Partner, { email: 'alice@outside.test' });
    const address = signReplyAddress({ model: 'ticket', id: alicesTicket, partnerId: alice.id }, DOMAIN, TEST_SECRET);
    await expectRefused(mail({ from: 'alice@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: smuggled', headers: { 'Delivered-To': address, 'X-Original-To': address } }), /catchall/);
  });

  it('a reply address in To is not taken when the envelope names another recipient', async () => {
    const alice = await host.em().findOneOrFail(Partner, { email: 'alice@outside.test' });
    const address = signReplyAddress({ model: 'ticket', id: alicesTicket, partnerId: alice.id }, DOMAIN, TEST_SECRET);
    await expectRefused(mail({ from: 'alice@outside.test', to: address, subject: 'Re: envelope elsewhere' }), /catchall/, { recipient: `catchall@${DOMAIN}` });
  });

  it("an expired reply address is refused, even from the partner it was issued to", async () => {
    const alice = await host.em().findOneOrFail(Partner, { email: 'alice@outside.test' });
    const old = signReplyAddress({ model: 'ticket', id: alicesTicket, partnerId: alice.id }, DOMAIN, TEST_SECRET, 'catchall', new Date(Date.now() - 400 * 86_400_000));
    await expectRefused(mail({ from: 'alice@outside.test', to: old, subject: 'Re: from last year' }), new RegExp(`^refused: reply address of ticket ${alicesTicket} was issued on \\d{4}-\\d\\d-\\d\\d, more than 365 days ago \\(expired\\)`));
  });

  it('the ledger keeps the envelope sender and client IP a relay reports (the MTA holds the token)', async () => {
    const res = await relay(host, mail({ from: 'alice@outside.test', to: `support@${DOMAIN}`, subject: 'Envelope' }), { 'x-chatter-sender': 'Bounces+X@Outside.test', 'x-chatter-client-ip': '192.0.2.7' });
    expect(await host.row(res.body.id)).toMatchObject({ envelopeFrom: 'bounces+x@outside.test', clientIp: '192.0.2.7' });
  });

  it("the follower's reply lands, and so does one from a Cc of the customer's first mail", async () => {
    const ok = await host.row((await relay(host, mail({ from: 'alice@outside.test', to: `catchall@${DOMAIN}`, subject: 'Re: Printer on fire', inReplyTo: notification }))).body.id);
    expect(ok).toMatchObject({ status: 'delivered', decision: 'reply', resModel: 'ticket', resId: alicesTicket });
    const cc = await host.row((await relay(host, mail({ from: 'carol@outside.test', to: `support@${DOMAIN}`, subject: 'Re: Printer on fire', inReplyTo: '<open-alice@outside.test>' }))).body.id);
    expect(cc).toMatchObject({ status: 'delivered', decision: 'reply', resModel: 'ticket', resId: alicesTicket });
  });

  it('over the SMTP listener: the envelope recipient carries the reply address; a stranger with it is refused', async () => {
    const alice = await host.em().findOneOrFail(Partner, { email: 'alice@outside.test' });
    const address = signReplyAddress({ model: 'ticket', id: alicesTicket, partnerId: alice.id }, DOMAIN, TEST_SECRET);
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: host.smtpPort, secure: false, ignoreTLS: true });
    try {
      const send = async (from: string) => {
        const info = await smtp.sendMail({ envelope: { from, to: [address] }, raw: mail({ from, to: `"Support" <catchall@${DOMAIN}>`, subject: 'Re: Printer on fire' }) });
        const id = Number(/queued as (\d+)/.exec(info.response)?.[1]);
        return host.row(id);
      };
      const good = await send('alice@outside.test');
      expect(good).toMatchObject({ status: 'delivered', decision: 'reply', resId: alicesTicket, envelopeFrom: 'alice@outside.test' });
      expect(good.clientIp).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
      const before = await footprint();
      const bad = await send('eve@outside.test');
      expect(bad.status).toBe('rejected');
      expect(bad.reason).toContain(`was issued to partner ${alice.id}, not to eve@outside.test`);
      await host.settle();
      expect(await footprint()).toEqual(before);
    } finally {
      smtp.close();
    }
  });
});
