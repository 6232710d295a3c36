import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityDigest, ActivityService, InboundGateway, TemplateService, type Message } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { readMime, type MimeReading } from '../support/mime-conformance.js';
import { startOutbound, type OutboundTesting } from './support/outbound-app.js';
import { SmtpSink, type SinkMail } from './support/smtp-sink.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const BASE = 'https://app.example.test';

/**
 * Every kind of mail the chatter sends, read by Python's `email` package (policy.default), a parser nobody here wrote:
 * no defect, and a text part that reads as a person would write it. (The SMTP sink checks every other test's mails too.)
 */
describe.each(DIALECTS)('what a mail client reads of our mails on %s', (dialect) => {
  let sink: SmtpSink;
  let t: OutboundTesting;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    t = await startOutbound(
      dialect,
      { servers: [{ name: 'sink', transport: sink.transport() }], baseUrl: BASE, recordUrl: (ref) => `${BASE}/cases/${ref.id}` },
      { chatter: { activities: { types: [] } } },
    );
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  /** the mails `address` received, read strictly, once `n` of them arrived */
  async function readingsFor(address: string, n = 1): Promise<{ mail: SinkMail; reading: MimeReading }[]> {
    const until = Date.now() + 10_000;
    while (sink.to(address).length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    const mails = sink.to(address);
    expect(mails.length).toBeGreaterThanOrEqual(n);
    const readings = await readMime(mails.map((m) => m.raw));
    return mails.map((mail, i) => ({ mail, reading: readings[i] }));
  }

  function of(readings: { mail: SinkMail; reading: MimeReading }[], message: Message): MimeReading {
    const found = readings.find((r) => r.mail.messageId === message.messageId);
    expect(found, `the mail of message ${message.id}`).toBeDefined();
    return found!.reading;
  }

  /** a new case the agent works on, followed by `followers` ([email, name] each) */
  async function caseFollowedBy(title: string, ...followers: [string, string][]) {
    const ref = await t.newCase(title);
    const agent = await t.partner('agent@example.test', { name: 'Agent Smith', userId: 'agent' });
    for (const [email, name] of followers) await t.threads.follow(ref, (await t.partner(email, { name })).id);
    return { ref, agent };
  }

  it('a notification: links as "text (URL)", list items, line breaks, the record link, the footer behind "-- "', async () => {
    const { ref, agent } = await caseFollowedBy('Printer on fire', ['alice@outside.test', 'Alice Doe']);
    const message = await t.threads.post(ref, {
      body: '<p>The manual is at <a href="https://example.test/manual.pdf">the printer manual</a>.</p><ul><li>unplug it</li><li>wait</li></ul><p>first<br>second</p>',
      author: agent.id,
    });
    const reading = of(await readingsFor('alice@outside.test'), message);
    expect(reading.defects).toEqual([]);
    expect(reading.structure).toEqual(['multipart/alternative', 'text/plain', 'text/html']);
    const text = reading.text!.replace(/\r\n/g, '\n');
    expect(text).toContain('Agent Smith wrote:');
    expect(text).toContain('The manual is at the printer manual (https://example.test/manual.pdf).');
    expect(text).toMatch(/^ \* unplug it\n \* wait$/m);
    expect(text).toContain('first\nsecond');
    // the signature marker with its space, then the footer: clients leave it out of a reply's quote
    const [content, footer] = text.split('\n-- \n');
    expect(content).not.toContain('Unfollow');
    expect(footer).toContain(`View Printer on fire: ${BASE}/cases/${ref.id}`);
    expect(footer).toMatch(new RegExp(`^Unfollow: ${BASE}/chatter/unfollow\\?token=\\S+$`, 'm'));
    expect(reading.html).toContain('data-chatter-footer');
  });

  it('a notification with a file and an inline image: mixed ⊃ related ⊃ alternative, every part closed', async () => {
    const { ref, agent } = await caseFollowedBy('With files', ['files@outside.test', 'Fay Files']);
    const message = await t.threads.post(ref, {
      body: '<p>See <img src="cid:logo@chatter" alt="logo"></p>',
      author: agent.id,
      attachments: [
        { name: 'Übersicht 2026.pdf', content: Buffer.from('%PDF-1.4 report'), mimetype: 'application/pdf' },
        { name: 'logo.png', content: PNG, mimetype: 'image/png', cid: 'logo@chatter' },
      ],
    });
    const reading = of(await readingsFor('files@outside.test'), message);
    expect(reading.defects).toEqual([]);
    expect(reading.structure).toEqual(['multipart/mixed', 'multipart/related', 'multipart/alternative', 'text/plain', 'text/html', 'image/png', 'application/pdf']);
    expect(reading.attachments).toEqual(['Übersicht 2026.pdf']);
    expect(reading.text).toContain('Attachments: Übersicht 2026.pdf');
  });

  it("a reply relayed to the other followers: clean, and without the replier's own unfollow link", async () => {
    const { ref, agent } = await caseFollowedBy('Relay', ['rita@outside.test', 'Rita Reply'], ['otto@outside.test', 'Otto Other']);
    const post = await t.threads.post(ref, { body: '<p>Which floor?</p>', author: agent.id });
    const [{ mail: notification, reading }] = (await readingsFor('rita@outside.test')).filter((r) => r.mail.messageId === post.messageId);
    const replyTo = /^Reply-To:.*<([^>]+)>/im.exec(notification.head)![1];
    const ritasLink = /^Unfollow: (\S+)$/m.exec(reading.text!.replace(/\r\n/g, '\n'))![1];
    // a text client answering between the quoted lines, the quoted footer (with Rita's link) left in
    const quoted = reading.text!.replace(/\r\n/g, '\n').split('\n').map((l) => `> ${l}`.trimEnd());
    const answer = ['On Mon, 7 Dec 2026 at 10:00, Agent Smith <agent@example.test> wrote:', ...quoted.slice(0, 4), '', 'The second floor.', '', ...quoted.slice(4)].join('\r\n');
    const raw = [
      'From: Rita Reply <rita@outside.test>',
      `To: ${replyTo}`,
      'Subject: Re: Relay',
      `Message-ID: <rita.${Date.now()}@outside.test>`,
      `In-Reply-To: ${post.messageId}`,
      `References: ${post.messageId}`,
      'Date: Mon, 07 Dec 2026 10:05:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      answer,
      '',
    ].join('\r\n');
    await t.app.get(InboundGateway).receive(Buffer.from(raw), { kind: 'http' });
    const relayed = (await readingsFor('otto@outside.test', 2)).filter((r) => r.mail.messageId !== post.messageId);
    expect(relayed).toHaveLength(1);
    const copy = relayed[0].reading;
    expect(copy.defects).toEqual([]);
    expect(copy.text).toContain('Rita Reply wrote:');
    expect(copy.text).toContain('The second floor.');
    expect(copy.text).not.toContain('Which floor?');
    expect(`${copy.text}${copy.html}`).not.toContain(ritasLink);
    expect(`${copy.text}${copy.html}`).toContain(`${BASE}/chatter/unfollow?token=`); // Otto's own
  });

  it('an activity done, a template mail, a refusal answer and the daily digest', async () => {
    const ref = await t.newCase('Mixed bag');
    const agent = { email: 'agent@example.test', name: 'Agent Smith', userId: 'agent' };
    await t.partner(agent.email, { name: agent.name, userId: agent.userId });
    const watcher = await t.partner('wanda@outside.test', { name: 'Wanda Watcher' });
    await t.threads.follow(ref, watcher.id);
    const boss = await t.partner('boss@example.test', { name: 'Bo Boss', userId: 'boss' });
    await t.threads.follow(ref, boss.id, ['Discussions', 'Activities']);

    const activities = t.app.get(ActivityService);
    const activity = await activities.schedule(ref, { type: 'To-Do', summary: 'Call back', deadline: '2030-01-02', assignee: agent, author: agent });
    const done = await activities.markDone(activity.id, 'Called, all fine', { author: agent });
    // an internal follower of Activities reads what happened, not "wrote an internal note"
    const doneMail = of(await readingsFor(boss.email, 1), done);
    expect(doneMail.defects).toEqual([]);
    expect(doneMail.text).toContain('Agent Smith completed an activity:');
    expect(doneMail.text).toContain('Called, all fine');
    expect(doneMail.text).toContain(`View Mixed bag: ${BASE}/cases/${ref.id}`);
    const templates = t.app.get(TemplateService);
    await templates.save({ name: 'welcome', model: 'case', subject: 'Welcome to {{ object.name }}', body: '<p>Hello, see <a href="https://example.test/faq">the FAQ</a>.</p>' });
    const templated = await templates.sendWithTemplate(ref, 'welcome', { author: agent });
    const wanda = await readingsFor('wanda@outside.test', 1);
    // an internal activity is not mailed to a customer: only the template mail reaches her
    expect(wanda.map((r) => r.mail.messageId)).not.toContain(done.messageId);
    const welcome = of(wanda, templated);
    expect(welcome.defects).toEqual([]);
    expect(welcome.text).toContain('Hello, see the FAQ (https://example.test/faq).');

    // a stranger writing to the catch-all is refused and answered once
    const stranger = ['From: Sam Stranger <sam@outside.test>', 'To: catchall@example.test', 'Subject: Hello?', `Message-ID: <sam.${Date.now()}@outside.test>`, 'Date: Mon, 07 Dec 2026 10:05:00 +0000', '', 'Is anybody there?', ''].join('\r\n');
    await t.app.get(InboundGateway).receive(Buffer.from(stranger), { kind: 'http' });
    const [answer] = await readingsFor('sam@outside.test');
    expect(answer.reading.defects).toEqual([]);
    expect(answer.reading.text?.trim()).toBeTruthy();

    const digest = t.app.get(ActivityDigest);
    await activities.schedule(ref, { type: 'To-Do', summary: 'Digest me', deadline: '2030-01-02', assignee: agent, author: agent });
    expect(await digest.run('2030-01-02')).toBeGreaterThanOrEqual(1);
    const isDigest = (m: SinkMail) => /^X-Chatter-Digest: 2030-01-02$/m.test(m.head);
    await sink.waitFor(sink.mails.filter((m) => !isDigest(m)).length + 1);
    const digestMail = (await readingsFor(agent.email, 1)).find((r) => isDigest(r.mail));
    expect(digestMail, 'the digest mail').toBeDefined();
    expect(digestMail!.reading.defects).toEqual([]);
    expect(digestMail!.reading.text).toContain('Digest me');
  });
});
