import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { Message, Notification, OutgoingMail, parseBounceAddress, verifyReplyAddress } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { TEST_SECRET } from '../support/chatter-testing.js';
import { startOutbound, type OutboundTesting } from './support/outbound-app.js';
import { SmtpSink, type SinkMail } from './support/smtp-sink.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe.each(DIALECTS)('notification emails on %s', (dialect) => {
  let sink: SmtpSink;
  let t: OutboundTesting;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startOutbound(dialect, {
      servers: [{ name: 'main', transport: sink.transport(), fromFilter: 'example.test' }],
      baseUrl: 'https://app.example.test',
      recordUrl: (ref) => `https://app.example.test/cases/${ref.id}`,
    });
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  /** the mail `address` got for `message`, waiting for it */
  async function mailFor(address: string, message: Message): Promise<SinkMail> {
    for (let i = 0; i < 200; i++) {
      const found = sink.to(address).find((m) => m.messageId === message.messageId);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no mail for ${address} about message ${message.id}; the sink has ${sink.mails.length}`);
  }

  it('sends the raw mail with our Message-ID, the parent chain unfolded, a signed Reply-To, VERP and the record header', async () => {
    const agent = await t.partner('agent@example.test', { name: 'Agent Smith', userId: 'agent' });
    const alice = await t.partner('alice@outside.test', { name: 'Alice Doe' });
    const ref = await t.newCase('Printer on fire');
    await t.threads.follow(ref, alice.id);
    const first = await t.threads.post(ref, { body: '<p>We are on it.</p>', author: agent.id });
    const reply = await t.threads.post(ref, {
      body: '<p>See the report and <img src="cid:logo@chatter" alt="logo"></p>',
      author: agent.id,
      parentId: first.id,
      attachments: [
        { name: 'report.pdf', content: Buffer.from('%PDF-1.4 fake report'), mimetype: 'application/pdf' },
        { name: 'logo.png', content: PNG, mimetype: 'image/png', cid: 'logo@chatter' },
      ],
    });
    const mail = await mailFor('alice@outside.test', reply);
    const raw = mail.raw.toString('utf8');

    // threading per RFC 5322 §3.6.4: References is the parent's References plus the parent's id, never the mail's own
    expect(raw).toMatch(new RegExp(`^Message-ID: ${esc(reply.messageId)}\\r$`, 'm'));
    expect(raw).toMatch(new RegExp(`^In-Reply-To: ${esc(first.messageId)}\\r$`, 'm'));
    expect(raw).toMatch(new RegExp(`^References: ${esc(first.messageId)}\\r$`, 'm'));
    expect(raw).toMatch(new RegExp(`^X-Chatter-Objects: case-${ref.id}\\r$`, 'm'));
    expect(raw).not.toMatch(/^Auto-Submitted:/im);
    // the author's own address: the server's fromFilter allows example.test
    expect(raw).toMatch(/^From: Agent Smith <agent@example\.test>\r$/m);
    expect(raw).toMatch(/^To: Alice Doe <alice@outside\.test>\r$/m);

    // Reply-To: signed for this thread and this recipient, checkable without the database
    const replyTo = /^Reply-To: (.*)$/m.exec(mail.head)![1];
    const address = /<([^>]+)>/.exec(replyTo)![1];
    expect(address).toMatch(/^catchall\+[a-z2-7]+@example\.test$/);
    expect(verifyReplyAddress(address, TEST_SECRET)).toMatchObject({ model: 'case', id: ref.id, partnerId: alice.id });
    expect(verifyReplyAddress(address, 'another-secret-0123456789')).toEqual({ error: 'bad signature' });

    // VERP envelope sender names this very outbox row
    const row = await t.em().findOneOrFail(OutgoingMail, { message: reply.id, partner: alice.id });
    expect(mail.mailFrom).toMatch(new RegExp(`^bounce\\+${row.id}-[0-9a-f]{12}@example\\.test$`));
    expect(parseBounceAddress(mail.mailFrom, TEST_SECRET)).toEqual({ outgoingMailId: row.id });
    expect(mail.rcptTo).toEqual(['alice@outside.test']);

    // body: text and HTML alternatives, the PDF attached, the inline image related by its cid
    expect(raw).toMatch(/Content-Type: multipart\/alternative/);
    const parsed = await simpleParser(mail.raw, { keepCidLinks: true });
    expect(parsed.text).toContain('See the report');
    expect(parsed.text).toContain('Unfollow: https://app.example.test/chatter/unfollow?token=');
    expect(parsed.html).toContain('src="cid:logo@chatter"');
    expect(parsed.html).toContain('href="https://app.example.test/cases/' + ref.id + '"');
    expect(parsed.html).toContain('Printer on fire');
    const pdf = parsed.attachments.find((a) => a.filename === 'report.pdf')!;
    expect(pdf.contentDisposition).toBe('attachment');
    expect(pdf.content.toString()).toBe('%PDF-1.4 fake report');
    const logo = parsed.attachments.find((a) => a.filename === 'logo.png')!;
    expect(logo.cid).toBe('logo@chatter');
    expect(logo.content.equals(PNG)).toBe(true);
    expect(raw).toMatch(/Content-Type: multipart\/related/);

    // sent, on both the outbox row and the notification
    await t.sender.idle();
    const em = t.em();
    expect((await em.findOneOrFail(OutgoingMail, row.id)).state).toBe('sent');
    expect((await em.findOneOrFail(Notification, { message: reply.id, partner: alice.id })).status).toBe('sent');
  });

  it('rewrites a From the servers may not send as, keeping the name; marks system mail Auto-Submitted', async () => {
    const agent = await t.partner('agent@example.test', { name: 'Agent Smith', userId: 'agent' });
    const alice = await t.partner('alice@outside.test', { name: 'Alice Doe' });
    const ref = await t.newCase('Rewrite');
    await t.threads.follow(ref, agent.id);
    await t.threads.follow(ref, alice.id);
    const fromCustomer = await t.threads.post(ref, { body: '<p>Any news?</p>', author: alice.id });
    const mail = await mailFor('agent@example.test', fromCustomer);
    expect(mail.raw.toString()).toMatch(/^From: Alice Doe <notifications@example\.test>\r$/m);
    expect(mail.raw.toString()).not.toMatch(/^Auto-Submitted:/im);

    const system = await t.threads.post(ref, { body: '<p>Reminder: this case is open.</p>', author: null });
    const auto = await mailFor('alice@outside.test', system);
    expect(auto.raw.toString()).toMatch(/^Auto-Submitted: auto-generated\r$/m);
    expect(auto.raw.toString()).toMatch(/^From: "example\.test" <notifications@example\.test>\r$/m);
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
