import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Notification, OutgoingMail } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { startOutbound, type OutboundTesting } from './support/outbound-app.js';
import { SmtpSink } from './support/smtp-sink.js';

describe.each(DIALECTS)('who gets a notification email on %s', (dialect) => {
  let sink: SmtpSink;
  let t: OutboundTesting;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startOutbound(dialect, { servers: [{ name: 'main', transport: sink.transport() }] });
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  /** a case followed by: the author (a user), a customer, a user by email, a user by inbox, a blacklisted and an inactive customer */
  async function followedCase() {
    const ref = await t.newCase();
    const p = {
      author: await t.partner('author@example.test', { name: 'Author', userId: 'author' }),
      customer: await t.partner('customer@outside.test', { name: 'Customer' }),
      mailUser: await t.partner('mailuser@example.test', { name: 'Mail User', userId: 'mailuser', notificationPreference: 'email' }),
      inboxUser: await t.partner('inboxuser@example.test', { name: 'Inbox User', userId: 'inboxuser', notificationPreference: 'inbox' }),
      blacklisted: await t.partner('blacklisted@outside.test', { blacklisted: true }),
      inactive: await t.partner('inactive@outside.test', { active: false }),
    };
    for (const partner of Object.values(p)) await t.threads.follow(ref, partner.id, partner.userId ? ['Discussions', 'Note'] : undefined);
    return { ref, p };
  }

  async function settled() {
    await t.sender.idle();
  }

  it('emails followers of a comment except the author, blacklisted and inactive partners; inbox users get no mail', async () => {
    const { ref, p } = await followedCase();
    const before = sink.mails.length;
    const message = await t.threads.post(ref, { body: '<p>Status update</p>', author: p.author.id });
    await settled();
    const got = sink.mails.slice(before).filter((m) => m.messageId === message.messageId).flatMap((m) => m.rcptTo).sort();
    expect(got).toEqual(['customer@outside.test', 'mailuser@example.test']);

    const em = t.em();
    const notifications = await em.find(Notification, { message: message.id }, { populate: ['partner'], orderBy: { id: 'asc' } });
    expect(notifications.map((n) => [n.partner.email, n.notificationType, n.status]).sort()).toEqual([
      ['customer@outside.test', 'email', 'sent'],
      ['inboxuser@example.test', 'inbox', 'sent'],
      ['mailuser@example.test', 'email', 'sent'],
    ]);
    const mails = await em.find(OutgoingMail, { message: message.id });
    expect(mails.map((m) => m.state).sort()).toEqual(['sent', 'sent']);
  });

  it('sends a note only to internal followers of Note; a mentioned customer never gets it', async () => {
    const { ref, p } = await followedCase();
    const before = sink.mails.length;
    const note = await t.threads.logNote(ref, '<p>Internal: the customer is difficult</p>', { author: p.author.id, partnerIds: [p.customer.id] });
    await settled();
    const got = sink.mails.slice(before).filter((m) => m.messageId === note.messageId).flatMap((m) => m.rcptTo);
    expect(got).toEqual(['mailuser@example.test']);
    const customerRows = await t.em().count(Notification, { message: note.id, partner: p.customer.id });
    expect(customerRows).toBe(0);
  });

  it('emails a mentioned customer who does not follow, once even when mentioned twice', async () => {
    const ref = await t.newCase();
    const author = await t.partner('author@example.test', { name: 'Author', userId: 'author' });
    const outsider = await t.partner('outsider@outside.test', { name: 'Outsider' });
    const before = sink.mails.length;
    const message = await t.threads.post(ref, { body: '<p>FYI</p>', author: author.id, partnerIds: [outsider.id, outsider.id] });
    await settled();
    expect(sink.mails.slice(before).filter((m) => m.messageId === message.messageId).flatMap((m) => m.rcptTo)).toEqual(['outsider@outside.test']);
  });
});
