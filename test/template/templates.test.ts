import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailTemplate, OutgoingMail, TemplateService, templateLayout } from '../../lib/index.js';
import type { ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { agent, bob, createDeal, customer, notificationsOf, partner, startDeals } from '../activity/fixtures.js';

describe.each(DIALECTS)('email templates (%s)', (dialect) => {
  let t: ChatterTesting;
  let templates: TemplateService;

  beforeAll(async () => {
    t = await startDeals(dialect, {
      http: true,
      templates: [
        { name: 'quote', model: 'deal', subject: 'Quote for {{ object.name }}', body: '<p>Dear {{ object.customerEmail }}, {{ object.name }} comes to {{ object.amount | times: 2 }} EUR.</p>' },
        { name: 'quote', subject: 'generic', body: '<p>generic</p>' },
        { name: 'thanks', subject: 'Thanks, {{ author.name }}', body: '<p>{{ record_name }} ({{ model }} {{ id }}) — {{ ctx.note }}</p>' },
      ],
    });
    templates = t.app.get(TemplateService);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates the configured templates at boot and prefers the model’s own over a general one', async () => {
    expect((await templates.list('deal')).map((x) => `${x.name}:${x.resModel ?? '*'}`)).toEqual(['quote:deal', 'quote:*', 'thanks:*']);
    expect((await templates.find('deal', 'quote')).resModel).toBe('deal');
    expect((await templates.find('other', 'quote')).subject).toBe('generic');
    await expect(templates.find('deal', 'nope')).rejects.toMatchObject({ status: 404 });
  });

  it('renders subject and body from the record, escaping values in HTML', async () => {
    const deal = await createDeal(t, { name: 'Roof <b>repair</b> & co', amount: 1250.5, customerEmail: 'alice@customer.test' });
    const out = await templates.render(await templates.find('deal', 'quote'), deal);
    expect(out.subject).toBe('Quote for Roof <b>repair</b> & co');
    expect(out.body).toBe('<p>Dear alice@customer.test, Roof &lt;b&gt;repair&lt;/b&gt; &amp; co comes to 2501 EUR.</p>');
    const byRef = await templates.render({ subject: '{{ record_name | upcase }}', body: '<p>{{ object.stage }}</p>' }, { model: 'deal', id: String(deal.id) });
    expect(byRef).toEqual({ subject: 'ROOF <B>REPAIR</B> & CO', body: '<p>new</p>' });
    const ctx = await templates.render(await templates.find('deal', 'thanks'), deal, { author: await partner(t, agent), context: { note: 'see you' } });
    expect(ctx).toEqual({ subject: 'Thanks, Agent Smith', body: `<p>Roof &lt;b&gt;repair&lt;/b&gt; &amp; co (deal ${deal.id}) — see you</p>` });
  });

  it('sanitizes what `| raw` lets through', async () => {
    const deal = await createDeal(t, { name: '<img src=x onerror=alert(1)><script>alert(2)</script>ok' });
    const out = await templates.render({ subject: 's', body: '<div>{{ object.name | raw }}</div>' }, deal);
    expect(out.body).toBe('<div><img src="x" />ok</div>');
  });

  it('is a sandbox: no prototypes, no globals, no files, no code; failures are 400s, never crashes', async () => {
    const deal = await createDeal(t, { name: 'Sandbox' });
    const probes = [
      '{{ object.constructor }}',
      '{{ object.constructor.constructor }}',
      '{{ object.__proto__ }}',
      '{{ object["constructor"]["constructor"] }}',
      '{{ object.name.constructor }}',
      '{{ process }}{{ process.env.HOME }}{{ global }}{{ globalThis }}{{ require }}{{ module }}{{ this }}',
      '{% assign f = object.constructor %}{{ f.name }}',
    ];
    for (const probe of probes) {
      const out = await templates.render({ subject: probe, body: `<p>${probe}</p>` }, deal);
      expect(out, probe).toEqual({ subject: '', body: '<p></p>' });
    }
    // calling anything is not Liquid: a parse error, as a 400
    await expect(templates.render({ subject: '{{ object.constructor.constructor("return process")() }}', body: 'x' }, deal)).rejects.toMatchObject({ status: 400 });
    // no file access: include / render / layout are gone
    for (const tag of ["{% include '/etc/passwd' %}", "{% render '/etc/passwd' %}", "{% layout '/etc/passwd' %}"]) {
      await expect(templates.render({ subject: '', body: tag }, deal)).rejects.toMatchObject({ status: 400 });
      await expect(templates.save({ name: 'evil', body: tag })).rejects.toMatchObject({ status: 400 });
    }
    // a runaway loop is stopped by the engine's limits
    await expect(templates.render({ subject: '', body: '{% for i in (1..50000000) %}{{ i }}{% endfor %}' }, deal)).rejects.toMatchObject({ status: 400 });
    expect(await t.em().count(MailTemplate, { name: 'evil' })).toBe(0);
  });

  it('refuses a template that does not parse or uses an unknown filter', async () => {
    await expect(templates.save({ name: 'broken', body: '{% if %}' })).rejects.toMatchObject({ status: 400 });
    await expect(templates.save({ name: 'typo', body: '{{ object.name | upcse }}' })).rejects.toMatchObject({ status: 400 });
    await expect(templates.save({ name: 'unknown model', model: 'nope', body: 'x' })).rejects.toMatchObject({ status: 404 });
    const saved = await templates.save({ name: 'fine', model: 'deal', body: '<p>{{ object.name }}</p>' });
    const again = await templates.save({ name: 'fine', model: 'deal', body: '<p>v2 {{ object.name }}</p>' });
    expect(again.id).toBe(saved.id);
    expect(again.body).toBe('<p>v2 {{ object.name }}</p>');
  });

  it('sends with a template: posts the rendered mail as a comment and notifies the recipients and followers', async () => {
    const deal = await createDeal(t, { name: 'Kitchen', amount: 10, customerEmail: customer.email });
    await partner(t, bob, 'inbox');
    await t.threads.follow(deal, bob);
    const message = await templates.sendWithTemplate(deal, 'quote', { recipients: [customer], author: agent });
    expect(message).toMatchObject({ messageType: 'comment', subject: 'Quote for Kitchen', isInternal: false });
    expect(message.body).toBe('<p>Dear alice@customer.test, Kitchen comes to 20 EUR.</p>');
    expect(message.author?.email).toBe(agent.email);
    expect(await notificationsOf(t, message.id)).toEqual(['alice@customer.test:email:ready', 'bob@example.test:inbox:sent']);
    const mails = await t.em().find(OutgoingMail, { message: message.id });
    expect(mails.map((m) => [m.emailTo, m.subject])).toEqual([['"Alice Customer" <alice@customer.test>', 'Quote for Kitchen']]);
    await expect(templates.sendWithTemplate(deal, 'missing', { author: agent })).rejects.toMatchObject({ status: 404 });
  });

  it('lists, saves, previews and sends over HTTP', async () => {
    const deal = await createDeal(t, { name: 'HTTP deal', amount: 3 });
    const saved = await t.http('POST', '/chatter/templates', { name: 'http', model: 'deal', subject: 'About {{ object.name }}', body: '<p>{{ object.amount }}</p>' });
    expect(saved).toMatchObject({ status: 201, body: { name: 'http', model: 'deal' } });
    expect((await t.http('POST', '/chatter/templates', { name: 'bad', body: '{% if %}' })).status).toBe(400);
    const list = await t.http('GET', '/chatter/templates?model=deal');
    expect(list.body.map((x: any) => x.name)).toContain('http');
    const preview = await t.http('POST', `/chatter/deal/${deal.id}/templates/http/preview`);
    expect(preview).toMatchObject({ status: 200, body: { subject: 'About HTTP deal', body: '<p>3</p>' } });
    const sent = await t.http('POST', `/chatter/deal/${deal.id}/templates/http/send`, { recipients: ['zed@customer.test'], authorEmail: agent.email });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ type: 'comment', subject: 'About HTTP deal', body: '<p>3</p>' });
    expect(sent.body.notifications.map((n: any) => n.email)).toEqual(['zed@customer.test']);
    expect((await t.http('POST', `/chatter/deal/${deal.id}/templates/http/send`, { recipients: ['not-an-email'] })).status).toBe(400);
    expect((await t.http('DELETE', `/chatter/templates/${saved.body.id}`)).status).toBe(204);
  });
});

describe('templateLayout', () => {
  it('renders a notification layout from a Liquid template, escaping values and keeping the sanitized body', async () => {
    const layout = templateLayout({
      html: '<h1>{{ recordName }}</h1><p>{{ author.name }} → {{ recipient.email }}</p>{{ bodyHtml | raw }}<small>{{ attachments.size }} file(s)</small>{{ constructor }}',
      text: '{{ recordName }}: {{ subject }}',
    });
    const out = await layout({
      model: 'deal',
      resId: '7',
      recordName: 'A <b> deal',
      subject: 'Hello',
      message: { id: 1, type: 'comment', isInternal: false, createdAt: new Date('2026-03-10T12:00:00Z'), subject: 'Hello' },
      bodyHtml: '<p>the <b>body</b></p>',
      author: { name: 'Agent Smith', email: 'agent@example.test' },
      recipient: { partnerId: 2, name: 'Bob', email: 'bob@example.test' },
      attachments: [{ name: 'a.pdf', mimetype: 'application/pdf', size: 3, inline: false }],
    });
    expect(out).toEqual({
      html: '<h1>A &lt;b&gt; deal</h1><p>Agent Smith → bob@example.test</p><p>the <b>body</b></p><small>1 file(s)</small>',
      text: 'A <b> deal: Hello',
    });
    expect(() => templateLayout({ html: '{% include "x" %}' })).toThrow();
  });
});
