import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Partner, parseMentions } from '../../lib/index.js';
import type { ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { agent, bob, carol, createDeal, customer, notificationsOf, partner, startDeals } from './fixtures.js';

describe('parseMentions', () => {
  it('finds @email mentions in text and HTML, and partner links by id', () => {
    expect(parseMentions('Ping @Bob@Example.test and (@carol@example.test). Not me@example.test nor a@b', false)).toEqual({
      emails: ['bob@example.test', 'carol@example.test'],
      partnerIds: [],
    });
    const html =
      '<p>Hi <a href="#" data-oe-model="res.partner" data-oe-id="3">@Bob</a>, <a data-oe-id=\'7\' data-oe-model=\'partner\'>@Eve</a>' +
      ' <a data-oe-model="res.users" data-oe-id="9">x</a> <img alt="@hidden@example.test"> see @dan@example.test.</p>';
    expect(parseMentions(html)).toEqual({ emails: ['dan@example.test'], partnerIds: [3, 7] });
  });
});

describe.each(DIALECTS)('mentions (%s)', (dialect) => {
  let t: ChatterTesting;

  beforeAll(async () => {
    t = await startDeals(dialect, { http: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('notifies a partner mentioned by email even if they do not follow, by their preference', async () => {
    const deal = await createDeal(t, { name: 'Mention by email' });
    await partner(t, bob, 'email');
    const message = await t.threads.post(deal, { body: 'Could you look, @bob@example.test? Also @stranger@example.test', format: 'text', author: agent });
    expect(await notificationsOf(t, message.id)).toEqual(['bob@example.test:email:ready']);
    // an unknown address does not become a contact
    expect(await t.em().count(Partner, { email: 'stranger@example.test' })).toBe(0);
  });

  it('notifies a partner mentioned by an id link, and keeps the link in the stored body', async () => {
    const deal = await createDeal(t, { name: 'Mention by id' });
    const c = await partner(t, carol, 'inbox');
    const message = await t.threads.post(deal, { body: `<p>Over to <a data-oe-model="res.partner" data-oe-id="${c.id}">@Carol</a></p>`, author: agent });
    expect(await notificationsOf(t, message.id)).toEqual(['carol@example.test:inbox:sent']);
    expect(message.body).toContain(`data-oe-model="res.partner" data-oe-id="${c.id}"`);
  });

  it('a mention in a note reaches internal users only', async () => {
    const deal = await createDeal(t, { name: 'Internal note' });
    await partner(t, customer);
    await partner(t, bob, 'inbox');
    const note = await t.threads.logNote(deal, '<p>@alice@customer.test must not see this; @bob@example.test should</p>', { author: agent });
    expect(await notificationsOf(t, note.id)).toEqual(['bob@example.test:inbox:sent']);
    // the same mention in a comment reaches the customer by email
    const comment = await t.threads.post(deal, { body: 'Hello @alice@customer.test', format: 'text', author: agent });
    expect(await notificationsOf(t, comment.id)).toEqual(['alice@customer.test:email:ready']);
  });

  it('works through the HTTP API: a plain-text body with an @mention', async () => {
    const deal = await createDeal(t, { name: 'Over HTTP' });
    await partner(t, { email: 'http-bob@example.test', userId: 'hb' }, 'inbox');
    const res = await t.http('POST', `/chatter/deal/${deal.id}/messages`, { body: 'FYI @http-bob@example.test', authorEmail: agent.email });
    expect(res.status).toBe(201);
    expect(res.body.notifications.map((n: any) => `${n.email}:${n.type}`)).toEqual(['http-bob@example.test:inbox']);
  });
});
