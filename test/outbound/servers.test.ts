import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutgoingMail, type Message } from '../../lib/index.js';
import { DIALECTS } from '../support/database.js';
import { startOutbound, type OutboundTesting } from './support/outbound-app.js';
import { SmtpSink, type SinkMail } from './support/smtp-sink.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

describe.each(DIALECTS)('outgoing server choice on %s', (dialect) => {
  let agentServer: SmtpSink;
  let partnerServer: SmtpSink;
  let relay: SmtpSink;
  let t: OutboundTesting;

  beforeAll(async () => {
    [agentServer, partnerServer, relay] = await Promise.all([SmtpSink.start(), SmtpSink.start(), SmtpSink.start()]);
    t = await startOutbound(dialect, {
      servers: [
        // the first by priority has no filter: it is the fallback, never preferred over a matching filter
        { name: 'relay', transport: relay.url, priority: 1 },
        { name: 'agent-only', transport: agentServer.transport(), fromFilter: 'agent@example.test', priority: 20, dkim: { domainName: 'example.test', keySelector: 'chatter', privateKey } },
        { name: 'partner-domain', transport: partnerServer.transport(), fromFilter: ['partner.test'], priority: 30 },
      ],
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([agentServer?.stop(), partnerServer?.stop(), relay?.stop()]);
  });

  async function received(sink: SmtpSink, message: Message): Promise<SinkMail> {
    await t.sender.idle();
    const mail = sink.mails.find((m) => m.messageId === message.messageId);
    if (!mail) throw new Error(`message ${message.id} did not reach this server`);
    return mail;
  }

  it('sends as the author through the server whose fromFilter names the address or its domain, else rewrites the From and uses the fallback', async () => {
    const ref = await t.newCase('Routing');
    const agent = await t.partner('agent@example.test', { name: 'Agent Smith', userId: 'agent' });
    const reseller = await t.partner('rita@partner.test', { name: 'Rita Reseller' });
    const customer = await t.partner('carl@outside.test', { name: 'Carl Customer' });
    for (const p of [agent, reseller, customer]) await t.threads.follow(ref, p.id);

    const byAgent = await t.threads.post(ref, { body: '<p>from the agent</p>', author: agent.id });
    const a = await received(agentServer, byAgent);
    expect(a.raw.toString()).toMatch(/^From: Agent Smith <agent@example\.test>\r$/m);

    const byReseller = await t.threads.post(ref, { body: '<p>from the reseller</p>', author: reseller.id });
    const r = await received(partnerServer, byReseller);
    expect(r.raw.toString()).toMatch(/^From: Rita Reseller <rita@partner\.test>\r$/m);

    const byCustomer = await t.threads.post(ref, { body: '<p>from the customer</p>', author: customer.id });
    const c = await received(relay, byCustomer);
    expect(c.raw.toString()).toMatch(/^From: Carl Customer <notifications@example\.test>\r$/m);

    // each went through exactly one server, which the outbox row names
    for (const [message, server] of [[byAgent, 'agent-only'], [byReseller, 'partner-domain'], [byCustomer, 'relay']] as const) {
      const rows = await t.em().find(OutgoingMail, { message: message.id });
      expect(rows.map((row) => [row.state, row.serverName])).toEqual(rows.map(() => ['sent', server]));
    }
    expect(relay.mails.some((m) => m.messageId === byAgent.messageId)).toBe(false);
  });

  it('DKIM-signs what a server with a key sends, over the unfolded headers', async () => {
    const ref = await t.newCase('Signed');
    const agent = await t.partner('agent@example.test', { name: 'Agent Smith', userId: 'agent' });
    await t.threads.follow(ref, (await t.partner('carl@outside.test', { name: 'Carl Customer' })).id);
    const first = await t.threads.post(ref, { body: '<p>one</p>', author: agent.id });
    const second = await t.threads.post(ref, { body: '<p>two</p>', author: agent.id, parentId: first.id });
    const raw = (await received(agentServer, second)).raw.toString();
    expect(raw.startsWith('DKIM-Signature: v=1; a=rsa-sha256;')).toBe(true);
    expect(raw).toMatch(/DKIM-Signature:[^]*?d=example\.test;[^]*?s=chatter;/);
    expect(raw).toMatch(new RegExp(`^References: ${first.messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r$`, 'm'));
  });
});
