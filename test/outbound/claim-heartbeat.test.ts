import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutgoingMail } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { startOutbound, type OutboundTesting } from './support/outbound-app.js';
import { SmtpSink } from './support/smtp-sink.js';

const CLAIM_TIMEOUT_MS = 750;
const FOLLOWERS = 10;
/** one connection, a slow server: the batch takes FOLLOWERS × 250 ms, more than three claim timeouts */
const ACCEPT_DELAY_MS = 250;

/**
 * The claim timeout is how long a dead sender's mails wait before the sweep puts them back. A live sender whose batch
 * takes longer (a slow server, a loaded machine) renews its claim as it goes, so the sweep leaves its mails alone and
 * nobody sends them a second time.
 */
describe.each(DIALECTS)('a batch sent for longer than the claim timeout on %s', (dialect) => {
  let sink: SmtpSink;
  let t: OutboundTesting;

  beforeAll(async () => {
    sink = await SmtpSink.start({ acceptDelayMs: ACCEPT_DELAY_MS });
    t = await startOutbound(dialect, {
      servers: [{ name: 'slow', transport: { ...sink.transport(), maxConnections: 1 } }],
      batchSize: FOLLOWERS,
      claimTimeoutMs: CLAIM_TIMEOUT_MS,
      sweepIntervalMs: 100,
    });
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  it('keeps its claim: every recipient gets the mail once, none is taken back by the sweep', { timeout: 20_000 }, async () => {
    const ref = await t.newCase();
    const author = await t.partner('author@example.test', { name: 'Author', userId: 'author' });
    const emails = Array.from({ length: FOLLOWERS }, (_, i) => `slow${i}@outside.test`);
    for (const email of emails) await t.threads.follow(ref, { email });
    const started = Date.now();
    const message = await t.threads.post(ref, { body: '<p>Slowly</p>', author: author.id });
    for (;;) {
      if ((await t.em().count(OutgoingMail, { message: message.id, state: { $ne: 'sent' } })) === 0) break;
      if (Date.now() - started > 15_000) throw new Error('timed out waiting for the mails to be sent');
      await new Promise((r) => setTimeout(r, 50));
    }
    // the batch did outlast the claim timeout, and the sweep ran meanwhile
    expect(Date.now() - started).toBeGreaterThan(3 * CLAIM_TIMEOUT_MS);
    // a few more sweeps: a mail taken back would be sent again now
    await new Promise((r) => setTimeout(r, 3 * CLAIM_TIMEOUT_MS));
    await t.sender.idle();
    const copies = new Map<string, number>();
    for (const mail of sink.mails.filter((m) => m.messageId === message.messageId)) {
      for (const rcpt of mail.rcptTo) copies.set(rcpt, (copies.get(rcpt) ?? 0) + 1);
    }
    expect(Object.fromEntries(copies)).toEqual(Object.fromEntries(emails.map((e) => [e, 1])));
    expect((await t.em().find(OutgoingMail, { message: message.id })).map((m) => [m.state, m.attempts])).toEqual(emails.map(() => ['sent', 1]));
  });
});
