import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, Notification, OutgoingMail, Partner } from '../../lib/index.js';
import { bounceAddress } from '../../lib/outbound/bounce-address.js';
import { OutboxStore, type OutboxRow } from '../../lib/outbound/outbox-store.js';
import { TEST_SECRET } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { deliveryStatusNotification } from '../support/dsn.js';
import { DOMAIN, mail, relay, startInboundHost, type InboundHost } from './support/inbound-host.js';

const dsn = (fields: Parameters<typeof deliveryStatusNotification>[0]) => deliveryStatusNotification({ domain: DOMAIN, ...fields });

const agent = { email: 'agent@example.test', name: 'Agent Smith', userId: 'agent' };


describe.each(DIALECTS)('bounces on %s', (dialect) => {
  let host: InboundHost;
  let ticketId: string;
  beforeAll(async () => {
    host = await startInboundHost(dialect, { incoming: { bounceThreshold: 2 } });
    const res = await relay(host, mail({ from: 'alice@outside.test', to: `support@${DOMAIN}`, subject: 'Broken mailbox' }));
    ticketId = (await host.row(res.body.id)).resId!;
    await host.threads.follow({ model: 'ticket', id: ticketId }, { email: 'bob@outside.test' });
  });
  afterAll(async () => {
    await host?.close();
  });

  async function post(text: string) {
    const message = await host.threads.post({ model: 'ticket', id: ticketId }, { body: text, format: 'text', author: agent });
    await host.settle();
    const outs = await host.em().find(OutgoingMail, { message: message.id }, { populate: ['notification', 'partner'] });
    return { message, outs };
  }

  it('a DSN to the VERP address marks that mail and its notification bounce and raises the bounce count', async () => {
    const { outs } = await post('First answer');
    const toAlice = outs.find((o) => o.partner?.email === 'alice@outside.test')!;
    const res = await relay(host, dsn({ to: bounceAddress(toAlice.id, DOMAIN, TEST_SECRET), failed: 'alice@outside.test' }));
    const row = await host.row(res.body.id);
    expect(row).toMatchObject({ status: 'bounced', decision: 'bounce' });
    expect(row.reason).toContain('bounce (dsn) for alice@outside.test');
    expect(row.reason).toContain(`outgoing mail ${toAlice.id}`);
    const em = host.em();
    const notification = await em.findOneOrFail(Notification, toAlice.notification!.id);
    expect(notification).toMatchObject({ status: 'bounce', failureType: 'mail_bounce' });
    expect(notification.failureReason).toContain('5.1.1');
    expect(await em.findOneOrFail(OutgoingMail, toAlice.id)).toMatchObject({ state: 'exception', failureType: 'mail_bounce' });
    // bob's notification of the same message is untouched
    const bobs = outs.find((o) => o.partner?.email === 'bob@outside.test')!;
    expect((await em.findOneOrFail(Notification, bobs.notification!.id)).status).not.toBe('bounce');
    expect((await em.findOneOrFail(Partner, { email: 'alice@outside.test' })).bounceCount).toBe(1);
    expect(await em.count(Message, { resModel: 'ticket', resId: ticketId, subject: 'Undelivered Mail Returned to Sender' })).toBe(0);
  });

  it('a later mail from the address resets its bounce count', async () => {
    const res = await relay(host, mail({ from: 'alice@outside.test', to: `support@${DOMAIN}`, subject: 'I am back' }));
    expect((await host.row(res.body.id)).status).toBe('delivered');
    expect((await host.em().findOneOrFail(Partner, { email: 'alice@outside.test' })).bounceCount).toBe(0);
  });

  it('a DSN without VERP is matched by the original Message-ID; past the threshold the partner is blacklisted', async () => {
    for (let i = 1; i <= 2; i++) {
      const { message, outs } = await post(`Answer ${i}`);
      const toBob = outs.find((o) => o.partner?.email === 'bob@outside.test')!;
      const res = await relay(host, dsn({ to: `bounce@${DOMAIN}`, failed: 'bob@outside.test', originalMessageId: message.messageId }));
      const row = await host.row(res.body.id);
      expect(row.status, row.reason ?? '').toBe('bounced');
      expect((await host.em().findOneOrFail(Notification, toBob.notification!.id)).status).toBe('bounce');
    }
    const bob = await host.em().findOneOrFail(Partner, { email: 'bob@outside.test' });
    expect(bob).toMatchObject({ bounceCount: 2, blacklisted: true });
    // blacklisted: not notified any more
    const { outs } = await post('Answer 3');
    expect(outs.map((o) => o.partner?.email)).not.toContain('bob@outside.test');
  });

  it('a delay notice marks nothing, and a bounce is never answered', async () => {
    const { message } = await post('Answer 4');
    const res = await relay(host, dsn({ to: `bounce@${DOMAIN}`, failed: 'alice@outside.test', originalMessageId: message.messageId, action: 'delayed', status: '4.4.1' }));
    const row = await host.row(res.body.id);
    expect(row).toMatchObject({ status: 'ignored', decision: 'bounce', answeredAt: null });
    expect(row.reason).toContain('delivery delayed for alice@outside.test');
    expect(await host.em().count(Notification, { message: message.id, status: 'bounce' })).toBe(0);
  });

  it('a bounce that comes back while the sender still holds the mail stays recorded when the sender writes "sent"', async () => {
    const { outs } = await post('Answer 5');
    const toAlice = outs.find((o) => o.partner?.email === 'alice@outside.test')!;
    // a sender claimed it, handed it to the MTA, and has not recorded the outcome yet: the MTA's DSN is faster
    await host.em().nativeUpdate(OutgoingMail, { id: toAlice.id }, { state: 'sending', claimToken: 'held-by-a-sender' });
    const res = await relay(host, dsn({ to: bounceAddress(toAlice.id, DOMAIN, TEST_SECRET), failed: 'alice@outside.test' }));
    expect((await host.row(res.body.id)).status).toBe('bounced');
    const sent = { mail: { id: toAlice.id, notification: toAlice.notification!.id } as OutboxRow, ok: true as const, server: null };
    await new OutboxStore(host.orm).record('held-by-a-sender', [sent]);
    expect(await host.em().findOneOrFail(OutgoingMail, toAlice.id)).toMatchObject({ state: 'exception', failureType: 'mail_bounce' });
    expect((await host.em().findOneOrFail(Notification, toAlice.notification!.id)).status).toBe('bounce');
  });

  // forged bounces (issue 27, "What was seen" 4): nobody blacklists a customer by writing mails
  it('plain mails to an unsigned, re-numbered or signed VERP address mark nothing, however many', async () => {
    await host.threads.follow({ model: 'ticket', id: ticketId }, { email: 'carol@outside.test' });
    const { outs } = await post('Answer to carol');
    const toCarol = outs.find((o) => o.partner?.email === 'carol@outside.test')!;
    const signed = bounceAddress(toCarol.id, DOMAIN, TEST_SECRET);
    const attempts = [
      [`bounce+${toCarol.id}@${DOMAIN}`, /^refused: bounce address \+\d+ was not issued by us \(unsigned; forged or altered\)/],
      [signed.replace(`+${toCarol.id}-`, `+${toCarol.id + 1}-`), /\(bad signature; forged or altered\)/],
      [signed, new RegExp(`^refused: a mail to the bounce address of outgoing mail ${toCarol.id} that is no delivery report`)],
    ] as const;
    for (let i = 0; i < 5; i++) {
      for (const [to, reason] of attempts) {
        const row = await host.row((await relay(host, mail({ from: 'mallory@outside.test', to, subject: `Carol is gone ${i}` }))).body.id);
        expect(row).toMatchObject({ status: 'rejected', decision: 'bounce' });
        expect(row.reason).toMatch(reason);
      }
    }
    // a forged DSN to an unsigned VERP address is refused the same way
    const forgedDsn = await host.row((await relay(host, dsn({ to: `bounce+${toCarol.id}@${DOMAIN}`, failed: 'carol@outside.test' }))).body.id);
    expect(forgedDsn).toMatchObject({ status: 'rejected', decision: 'bounce' });
    const carol = await host.em().findOneOrFail(Partner, { email: 'carol@outside.test' });
    expect(carol).toMatchObject({ bounceCount: 0, blacklisted: false });
    expect((await host.em().findOneOrFail(OutgoingMail, toCarol.id)).failureType).toBeNull();
  });

  it('one mail we sent bounces once: the same report again counts nothing more', async () => {
    const { outs } = await post('Answer to carol again');
    const toCarol = outs.find((o) => o.partner?.email === 'carol@outside.test')!;
    const report = dsn({ to: bounceAddress(toCarol.id, DOMAIN, TEST_SECRET), failed: 'carol@outside.test' });
    const first = await host.row((await relay(host, report)).body.id);
    expect(first.status).toBe('bounced');
    const again = await host.row((await relay(host, report.replace(/Message-ID: <[^>]+>/i, 'Message-ID: <another-copy@mta.test>'))).body.id);
    expect(again.status).toBe('bounced');
    expect(again.reason).toContain(`outgoing mail ${toCarol.id} already bounced (not counted again)`);
    expect((await host.em().findOneOrFail(Partner, { email: 'carol@outside.test' })).bounceCount).toBe(1);
  });

  it('a DSN naming a customer about no mail we sent counts against nobody', async () => {
    const row = await host.row((await relay(host, dsn({ to: `bounce@${DOMAIN}`, failed: 'carol@outside.test', originalMessageId: '<never-sent@elsewhere.test>' }))).body.id);
    expect(row.reason).toContain('no mail of ours found to mark');
    expect((await host.em().findOneOrFail(Partner, { email: 'carol@outside.test' })).bounceCount).toBe(1);
  });
});
