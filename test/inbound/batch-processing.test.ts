import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Follower, InboundEmail, Message, Notification, OutgoingMail, type InboundReceipt } from '../../lib/index.js';
import { SubtypeService } from '../../lib/thread/subtype.service.js';
import { Ticket } from '../../sample-app/ticket.entity.js';
import { DIALECTS } from '../support/database.js';
import { DOMAIN, mail, startInboundHost, type InboundHost } from './support/inbound-host.js';

/**
 * Mails received together share ledger transactions and are routed in batches (one transaction, look-ups done once).
 * Each mail must still end exactly as it would alone: what an earlier mail of the batch wrote is seen by the next.
 */
describe.each(DIALECTS)('inbound batches on %s', (dialect) => {
  let host: InboundHost;
  beforeAll(async () => {
    host = await startInboundHost(dialect, {
      incoming: {
        loop: { limit: 2, windowMinutes: 120 },
        models: {
          ticket: {
            onMessageNew: (m, defaults) => {
              if (m.subject === 'Explode') throw new Error('the host hook refused this mail');
              return defaults;
            },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await host?.close();
  });

  async function receiveAll(raws: string[], key?: (i: number) => string): Promise<InboundReceipt[]> {
    const outcomes = await host.gateway.receiveMany(raws.map((raw, i) => ({ raw: Buffer.from(raw), source: { kind: 'imap', key: key?.(i) ?? `batch:${Date.now()}:${i}` } })));
    await host.settle();
    return outcomes.map((o) => {
      if (o.status === 'rejected') throw o.reason;
      return o.value;
    });
  }

  it('receiveMany stores each mail once, answers a redelivery with the same row, and refuses an empty mail alone', async () => {
    const a = mail({ from: 'rita@outside.test', to: `support@${DOMAIN}`, subject: 'Stored once' });
    const outcomes = await host.gateway.receiveMany([
      { raw: Buffer.from(a), source: { kind: 'imap', key: 'INBOX:1:101' } },
      { raw: Buffer.alloc(0), source: { kind: 'imap', key: 'INBOX:1:102' } },
      { raw: Buffer.from(a), source: { kind: 'imap', key: 'INBOX:1:101' } },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const [first, , again] = outcomes as PromiseFulfilledResult<InboundReceipt>[];
    expect(first.value.duplicate).toBe(false);
    expect(again.value).toEqual({ id: first.value.id, duplicate: true });
    expect(((outcomes[1] as PromiseRejectedResult).reason as Error).message).toBe('the mail is empty');
    const later = await host.gateway.receive(Buffer.from(a), { kind: 'imap', key: 'INBOX:1:101' });
    expect(later).toEqual({ id: first.value.id, duplicate: true });
    await host.settle();
    expect(await host.em().count(InboundEmail, { sourceKey: 'INBOX:1:101' })).toBe(1);
    expect(await host.row(first.value.id)).toMatchObject({ status: 'delivered', decision: 'alias' });
  });

  it("follows each new ticket by its sender, with a customer's default subtypes, whatever the batch's size", async () => {
    const senders = Array.from({ length: 60 }, (_, i) => `follow${i}@outside.test`);
    const receipts = await receiveAll(senders.map((from, i) => mail({ from, to: `support@${DOMAIN}`, subject: `Follow me ${i}` })));
    const expected = await host.app.get(SubtypeService).defaultIds(host.em(), 'ticket', false);
    expect(expected.length).toBeGreaterThan(0);
    for (const [i, receipt] of receipts.entries()) {
      const row = await host.row(receipt.id);
      expect(row).toMatchObject({ status: 'delivered', resModel: 'ticket', reason: `alias support@${DOMAIN} → new ticket ${row.resId}` });
      // the row's message is the mail's, on its ticket (on PostgreSQL the results ride along the messages' INSERT)
      const posted = await host.em().findOneOrFail(Message, row.postedMessageId!);
      expect(posted).toMatchObject({ resModel: 'ticket', resId: row.resId, messageId: row.messageId });
      const followers = await host.em().find(Follower, { resModel: 'ticket', resId: row.resId! }, { populate: ['partner', 'subtypes'] });
      expect(followers.map((f) => f.partner.email)).toEqual([senders[i]]);
      expect(followers[0].subtypes.getItems().map((s) => s.id).sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
    }
  });

  it('routes each mail of a batch after the ones before it: replies, duplicates, loops and answers see the earlier mails', async () => {
    const first = mail({ from: 'sam@outside.test', to: `support@${DOMAIN}`, cc: 'tom@outside.test', subject: 'Batch opener', messageId: '<opener.1@outside.test>' });
    const receipts = await receiveAll([
      first,
      // the same mail again, through another ingress key: a duplicate of the first
      first,
      // a reply (another sender, Cc'd on the first) to the first: lands on the ticket the first created, in the same batch
      mail({ from: 'tom@outside.test', to: `support@${DOMAIN}`, subject: 'Re: Batch opener', inReplyTo: '<opener.1@outside.test>' }),
      // a loop: the limit is 2 new tickets per sender
      mail({ from: 'ursula@outside.test', to: `support@${DOMAIN}`, subject: 'Loop 1' }),
      mail({ from: 'ursula@outside.test', to: `support@${DOMAIN}`, subject: 'Loop 2' }),
      mail({ from: 'ursula@outside.test', to: `support@${DOMAIN}`, subject: 'Loop 3' }),
      // catchall misuse twice: answered once
      mail({ from: 'victor@outside.test', to: `catchall@${DOMAIN}`, subject: 'Misuse 1' }),
      mail({ from: 'victor@outside.test', to: `catchall@${DOMAIN}`, subject: 'Misuse 2' }),
    ]);
    const rows = await Promise.all(receipts.map((r) => host.row(r.id)));
    expect(rows.map((r) => [r.status, r.decision])).toEqual([
      ['delivered', 'alias'],
      ['ignored', 'duplicate'],
      ['delivered', 'reply'],
      ['delivered', 'alias'],
      ['delivered', 'alias'],
      ['rejected', 'loop'],
      ['rejected', 'catchall'],
      ['rejected', 'catchall'],
    ]);
    expect(rows[1].reason).toBe(`duplicate of inbound mail ${rows[0].id} (delivered, via imap) with the same Message-ID`);
    expect(rows[2]).toMatchObject({ resModel: 'ticket', resId: rows[0].resId });
    expect(rows[2].reason).toBe(`reply to message ${rows[0].postedMessageId} via In-Reply-To`);
    const reply = await host.em().findOneOrFail(Message, rows[2].postedMessageId!);
    expect(reply.parent?.id).toBe(rows[0].postedMessageId);
    expect(rows[5].reason).toContain('loop: ursula@outside.test already sent 2 mails to new ticket records');
    expect(rows[6].reason).toContain('(sender answered)');
    expect(rows[7].reason).toContain('(not answered: victor@outside.test was already answered today)');
    expect(await host.em().count(OutgoingMail, { emailTo: { $like: '%victor@outside.test%' } })).toBe(1);
    expect(await host.em().count(Ticket, { subject: 'Batch opener' })).toBe(1);
  });

  it('a run of replies to a ticket the batch creates: each on that ticket, its parent the mail it answers, relayed to the new follower, loop-counted on the ticket', async () => {
    const receipts = await receiveAll([
      // each reply comes from a recipient of the mail it answers (the reply policy)
      mail({ from: 'ann@outside.test', to: `support@${DOMAIN}`, cc: 'ben@outside.test', subject: 'Chain opener', messageId: '<chain.1@outside.test>' }),
      mail({ from: 'ben@outside.test', to: `support@${DOMAIN}`, cc: 'cid@outside.test', subject: 'Re: Chain opener', messageId: '<chain.2@outside.test>', inReplyTo: '<chain.1@outside.test>' }),
      mail({ from: 'cid@outside.test', to: `support@${DOMAIN}`, subject: 'Re: Re: Chain opener', messageId: '<chain.3@outside.test>', inReplyTo: '<chain.2@outside.test>' }),
      // the loop limit is 2 per record: ben's third mail to the ticket is refused, the refusal naming the ticket
      mail({ from: 'ben@outside.test', to: `support@${DOMAIN}`, subject: 'Re: Chain opener', messageId: '<chain.4@outside.test>', inReplyTo: '<chain.1@outside.test>' }),
      mail({ from: 'ben@outside.test', to: `support@${DOMAIN}`, subject: 'Re: Chain opener', messageId: '<chain.5@outside.test>', inReplyTo: '<chain.1@outside.test>' }),
    ]);
    const rows = await Promise.all(receipts.map((r) => host.row(r.id)));
    expect(rows.map((r) => [r.status, r.decision])).toEqual([
      ['delivered', 'alias'],
      ['delivered', 'reply'],
      ['delivered', 'reply'],
      ['delivered', 'reply'],
      ['rejected', 'loop'],
    ]);
    const ticket = rows[0].resId!;
    expect(rows.slice(1, 4).map((r) => r.resId)).toEqual([ticket, ticket, ticket]);
    expect(rows[1].reason).toBe(`reply to message ${rows[0].postedMessageId} via In-Reply-To`);
    expect(rows[2].reason).toBe(`reply to message ${rows[1].postedMessageId} via In-Reply-To`);
    expect(rows[4].reason).toContain(`loop: ben@outside.test already sent 2 mails to ticket ${ticket} within 120 min`);
    const [b, c] = await Promise.all([rows[1], rows[2]].map((r) => host.em().findOneOrFail(Message, r.postedMessageId!, { populate: ['parent'] })));
    expect([b.parent?.id, c.parent?.id]).toEqual([rows[0].postedMessageId, rows[1].postedMessageId]);
    // ann follows the ticket her mail created: the replies written with it are relayed to her (not to their authors)
    for (const row of rows.slice(1, 4)) {
      const mails = await host.em().find(OutgoingMail, { message: row.postedMessageId }, { populate: ['partner'] });
      expect(mails.map((m) => m.partner?.email)).toEqual(['ann@outside.test']);
    }
  });

  it("relays a batch of replies to existing tickets together: each follower's notification and outbox mail, linked", async () => {
    const openers = await receiveAll([0, 1, 2].map((i) => mail({ from: `opener${i}@outside.test`, to: `support@${DOMAIN}`, subject: `Relay ${i}`, messageId: `<relay.${i}@outside.test>` })));
    const tickets = await Promise.all(openers.map(async (r) => (await host.row(r.id)).resId!));
    for (const id of tickets) await host.threads.follow({ model: 'ticket', id }, { email: 'watcher@outside.test', name: 'Watcher' });
    const replies = await receiveAll([0, 1, 2].map((i) => mail({ from: `opener${i}@outside.test`, to: `support@${DOMAIN}`, subject: `Re: Relay ${i}`, inReplyTo: `<relay.${i}@outside.test>` })));
    const rows = await Promise.all(replies.map((r) => host.row(r.id)));
    expect(rows.map((r) => [r.status, r.decision, r.resId])).toEqual(tickets.map((id) => ['delivered', 'reply', id]));
    for (const row of rows) {
      const mails = await host.em().find(OutgoingMail, { message: row.postedMessageId }, { populate: ['notification', 'partner'] });
      expect(mails.map((m) => m.partner?.email)).toEqual(['watcher@outside.test']);
      expect(mails[0].notification).toMatchObject({ message: { id: row.postedMessageId }, partner: { id: mails[0].partner!.id } });
      expect(await host.em().count(Notification, { message: row.postedMessageId })).toBe(1);
    }
  });

  it('a mail that throws fails alone, with its error; every other mail of its batch ends as it would have alone', async () => {
    const receipts = await receiveAll([
      mail({ from: 'wendy@outside.test', to: `support@${DOMAIN}`, subject: 'Before the bad one' }),
      mail({ from: 'xavier@outside.test', to: `support@${DOMAIN}`, subject: 'Explode' }),
      mail({ from: 'yara@outside.test', to: `support@${DOMAIN}`, subject: 'After the bad one' }),
    ]);
    const rows = await Promise.all(receipts.map((r) => host.row(r.id)));
    expect(rows.map((r) => r.status)).toEqual(['delivered', 'failed', 'delivered']);
    expect(rows[1]).toMatchObject({ decision: 'error', reason: 'failed: the host hook refused this mail' });
    expect(rows[1].error).toContain('the host hook refused this mail');
    // the batch was rolled back and its mails processed one by one: nothing was written twice
    expect(await host.em().count(Ticket, { subject: { $in: ['Before the bad one', 'After the bad one'] } })).toBe(2);
    expect(await host.em().count(Ticket, { subject: 'Explode' })).toBe(0);
    expect(await host.em().count(Message, { subject: 'Before the bad one', messageType: 'email' })).toBe(1);
  });
});
