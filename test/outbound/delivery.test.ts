import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner, Notification, OutboxService, OutgoingMail, type Message } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { runnerSetup, withRunners, type RunnerSetup } from '../support/runners.js';
import { startOutbound, type OutboundTesting } from './support/outbound-app.js';
import { SmtpSink } from './support/smtp-sink.js';

describe.each(withRunners(DIALECTS))('outbox delivery on %s with the %s job runner', (dialect, runner) => {
  let sink: SmtpSink;
  let t: OutboundTesting;
  let queue: RunnerSetup;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    queue = runnerSetup(runner);
    t = await startOutbound(dialect, {
      servers: [{ name: 'main', transport: { ...sink.transport(), maxConnections: 3 } }],
      // a fan-out above 5 mails goes through the job queue, drained by 3 concurrent workers in batches of 10
      inlineLimit: 5,
      batchSize: 10,
      workers: 3,
    }, { chatter: { queue: queue.queue } });
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
    await queue?.cleanup();
  });

  async function caseWithCustomers(n: number, prefix: string) {
    const ref = await t.newCase();
    const author = await t.partner('author@example.test', { name: 'Author', userId: 'author' });
    const emails: string[] = [];
    for (let i = 0; i < n; i++) {
      const email = `${prefix}${i}@outside.test`;
      emails.push(email);
      await t.threads.follow(ref, { email, name: `Customer ${i}` });
    }
    return { ref, author, emails };
  }

  /** how many copies each recipient got of `message` */
  function copies(message: Message): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of sink.mails.filter((mail) => mail.messageId === message.messageId)) {
      for (const rcpt of m.rcptTo) counts.set(rcpt, (counts.get(rcpt) ?? 0) + 1);
    }
    return counts;
  }

  async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('drains a large fan-out through the queue with concurrent claims: every recipient once', async () => {
    const { ref, author, emails } = await caseWithCustomers(40, 'fan');
    const message = await t.threads.post(ref, { body: '<p>Big news</p>', author: author.id });
    await until(() => copies(message).size === emails.length, 'the fan-out');
    await t.app.get(JobRunner).drain();
    await t.sender.idle();
    const counts = copies(message);
    expect([...counts.keys()].sort()).toEqual([...emails].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(await t.em().count(OutgoingMail, { message: message.id, state: 'sent' })).toBe(40);
  });

  it('keeps mails outgoing while the server is down, retries them, and delivers each exactly once when it is back', async () => {
    const { ref, author, emails } = await caseWithCustomers(8, 'down');
    const first = await t.threads.post(ref, { body: '<p>Before the outage</p>', author: author.id });
    await until(() => copies(first).size === emails.length, 'the first post');

    await sink.stop();
    const during = await t.threads.post(ref, { body: '<p>During the outage</p>', author: author.id });
    const em = () => t.em();
    // every mail failed at least twice (the first try and a retry) and is still waiting, not lost, not failed
    await until(async () => (await em().count(OutgoingMail, { message: during.id, attempts: { $gte: 2 } })) === emails.length, 'two attempts each');
    await t.sender.idle();
    const waiting = await em().find(OutgoingMail, { message: during.id });
    expect(waiting.every((m) => m.state === 'outgoing' || m.state === 'sending')).toBe(true);
    expect(waiting.some((m) => /ECONNREFUSED|connect/i.test(m.failureReason ?? ''))).toBe(true);
    expect(await em().count(Notification, { message: during.id, status: 'ready' })).toBe(emails.length);
    expect(copies(during).size).toBe(0);

    await sink.start();
    const after = await t.threads.post(ref, { body: '<p>After the outage</p>', author: author.id });
    await until(() => copies(during).size === emails.length && copies(after).size === emails.length, 'the retries');
    // a few more sweeps: nothing may arrive twice
    await new Promise((r) => setTimeout(r, 1_000));
    await t.sender.idle();
    for (const message of [first, during, after]) {
      const counts = copies(message);
      expect([...counts.keys()].sort()).toEqual([...emails].sort());
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    }
    expect(await em().count(OutgoingMail, { message: during.id, state: 'sent' })).toBe(emails.length);
    expect(await em().count(Notification, { message: during.id, status: 'sent' })).toBe(emails.length);
  });

  it('takes back a mail whose sender crashed while it was claimed (stale `sending`) and sends it once', async () => {
    const em = t.em();
    const mail = t.app.get(OutboxService).queue(em, { to: { email: 'stale@outside.test', name: 'Stale' }, subject: 'Left behind', html: '<p>crash</p>' });
    await em.flush();
    // as a sender that died after claiming it an hour ago left it
    await em.nativeUpdate(OutgoingMail, { id: mail.id }, { state: 'sending', claimToken: 'dead-sender', claimedAt: new Date(Date.now() - 3_600_000), attempts: 1 });
    await until(async () => (await t.em().findOneOrFail(OutgoingMail, mail.id)).state === 'sent', 'the sweep to send it');
    const received = sink.to('stale@outside.test');
    expect(received).toHaveLength(1);
    expect(received[0].raw.toString()).toMatch(/^Auto-Submitted: auto-generated\r$/m);
    expect(received[0].raw.toString()).toMatch(/^Subject: Left behind\r$/m);
  });
});
