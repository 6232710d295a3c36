import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { Alias, ChatterEvents, type ChatterEventMap } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { startOutbound, type OutboundTesting } from './support/outbound-app.js';
import { SmtpSink } from './support/smtp-sink.js';

describe.each(DIALECTS)('outgoing options on %s', (dialect) => {
  let sink: SmtpSink;
  let t: OutboundTesting;
  const sent: ChatterEventMap['chatter.mail.sent'][0][] = [];
  const failed: ChatterEventMap['chatter.mail.failed'][0][] = [];

  beforeAll(async () => {
    sink = await SmtpSink.start({ reject: (address) => (address.startsWith('nobody@') ? '5.1.1 no such user' : undefined) });
    t = await startOutbound(
      dialect,
      {
        servers: [{ name: 'main', transport: sink.transport(), fromFilter: 'example.test' }],
        // a model's own layout; text is derived from its HTML
        layouts: { case: (ctx) => ({ html: `<h1>Case file: ${ctx.recordName}</h1>${ctx.bodyHtml}<p>for ${ctx.recipient.name}</p>` }) },
        recordAlias: (ref) => (ref.id === '1' ? 'case-one@example.test' : undefined),
        systemName: 'Helpdesk',
      },
      { chatter: { domains: [{ name: 'example.test', defaultFrom: 'noreply@mailer.example.test' }] } },
    );
    const events = t.app.get(ChatterEvents);
    events.on('chatter.mail.sent', (e) => sent.push(e));
    events.on('chatter.mail.failed', (e) => failed.push(e));
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  it("renders with the model's layout, replies to the record's alias, and a full defaultFrom replaces every From", async () => {
    const first = await t.newCase('First case');
    expect(first.id).toBe('1');
    const agent = await t.partner('agent@example.test', { name: 'Agent Smith', userId: 'agent' });
    const customer = await t.partner('dana@outside.test', { name: 'Dana' });
    await t.threads.follow(first, customer.id);
    const message = await t.threads.post(first, { body: '<p>Your parts shipped.</p>', author: agent.id });
    await t.sender.idle();
    const mail = sink.mails.find((m) => m.messageId === message.messageId)!;
    const raw = mail.raw.toString();
    // the agent's domain is allowed by the server, but defaultFrom as a full address wins; the name stays
    expect(raw).toMatch(/^From: Agent Smith <noreply@mailer\.example\.test>\r$/m);
    expect(mail.head).toMatch(/^Reply-To: Agent Smith <case-one@example\.test>$/m);
    const parsed = await simpleParser(mail.raw);
    expect(parsed.html).toBe('<h1>Case file: First case</h1><p>Your parts shipped.</p><p>for Dana</p>');
    expect(parsed.text).toContain('Case file: First case');
    expect(parsed.text).toContain('Your parts shipped.');
    expect(sent.filter((e) => e.messageId === message.id)).toEqual([expect.objectContaining({ to: '"Dana" <dana@outside.test>' })]);
  });

  it('signs the Reply-To for a record without alias, names system mail after systemName, and reports a refused recipient once', async () => {
    const second = await t.newCase('Second case');
    const nobody = await t.partner('nobody@outside.test', { name: 'Nobody' });
    const erin = await t.partner('erin@outside.test', { name: 'Erin' });
    await t.threads.follow(second, nobody.id);
    await t.threads.follow(second, erin.id);
    const message = await t.threads.post(second, { body: '<p>Automatic reminder</p>', author: null });
    await t.sender.idle();
    const mail = sink.mails.find((m) => m.messageId === message.messageId)!;
    expect(mail.rcptTo).toEqual(['erin@outside.test']);
    expect(mail.raw.toString()).toMatch(/^From: Helpdesk <noreply@mailer\.example\.test>\r$/m);
    expect(mail.head).toMatch(/^Reply-To: Helpdesk <catchall\+[a-z2-7]+@example\.test>$/m);
    expect(failed.filter((e) => e.messageId === message.id)).toEqual([
      { outgoingMailId: expect.any(Number), messageId: message.id, to: '"Nobody" <nobody@outside.test>', reason: '550 5.1.1 no such user', permanent: true },
    ]);
  });

  it("replies to a stored alias that posts on the record when the host's hook gives none", async () => {
    const third = await t.newCase('Third case');
    const em = t.em();
    em.persist(em.create(Alias, { name: 'case-three', model: 'case', forceThreadId: third.id }));
    await em.flush();
    await t.threads.follow(third, (await t.partner('fay@outside.test', { name: 'Fay' })).id);
    const message = await t.threads.post(third, { body: '<p>hello</p>', author: (await t.partner('agent@example.test')).id });
    await t.sender.idle();
    const mail = sink.mails.find((m) => m.messageId === message.messageId)!;
    expect(mail.head).toMatch(/^Reply-To: Agent Smith <case-three@example\.test>$/m);
  });
});
