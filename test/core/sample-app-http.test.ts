import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/database.js';

const agent = { 'x-user-email': 'agent@example.test', 'x-user-name': 'Agent Smith' };

describe.each(DIALECTS)('sample app HTTP API on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates a ticket with a creation message and the creator as follower', async () => {
    const created = await t.http('POST', '/tickets', { subject: 'Printer on fire', description: 'help', customerEmail: 'alice@outside.test' }, agent);
    expect(created.status).toBe(201);
    const id = created.body.id;
    const messages = await t.http('GET', `/chatter/ticket/${id}/messages`);
    expect(messages.status).toBe(200);
    expect(messages.body).toHaveLength(1);
    expect(messages.body[0]).toMatchObject({ type: 'notification', body: '<p>Ticket created</p>', author: { email: 'agent@example.test', name: 'Agent Smith' } });
    const followers = await t.http('GET', `/chatter/ticket/${id}/followers`);
    expect(followers.body.map((f: any) => f.email)).toEqual(['agent@example.test']);
  });

  it('logs one tracking message for several tracked fields changed in one flush, and the assignee follows', async () => {
    const { body } = await t.http('POST', '/tickets', { subject: 'VPN down' }, agent);
    const patched = await t.http('PATCH', `/tickets/${body.id}`, { status: 'in_progress', assignee: 'bob@example.test' }, agent);
    expect(patched.status).toBe(200);
    const messages = (await t.http('GET', `/chatter/ticket/${body.id}/messages`)).body;
    const tracking = messages.filter((m: any) => m.type === 'tracking');
    expect(tracking).toHaveLength(1);
    expect(tracking[0].tracking).toEqual([
      { field: 'status', fieldType: 'string', oldValue: 'new', newValue: 'in_progress' },
      { field: 'assignee', fieldType: 'string', oldValue: null, newValue: 'bob@example.test' },
    ]);
    const followers = (await t.http('GET', `/chatter/ticket/${body.id}/followers`)).body.map((f: any) => f.email);
    expect(followers).toContain('bob@example.test');
  });

  it('answers 404 for an unknown model or record and 400 for bad input, with a message', async () => {
    expect((await t.http('GET', '/chatter/nope/1/messages')).status).toBe(404);
    const missing = await t.http('GET', '/chatter/ticket/999999/messages');
    expect(missing).toMatchObject({ status: 404, body: { message: 'ticket 999999 not found' } });
    const { body } = await t.http('POST', '/tickets', { subject: 'x' });
    const bad = await t.http('POST', `/chatter/ticket/${body.id}/messages`, { body: 'hi', type: 'shout' });
    expect(bad).toMatchObject({ status: 400, body: { message: 'type must be "comment" or "note"' } });
    expect((await t.http('POST', '/tickets', { subject: '' })).status).toBe(400);
    expect((await t.http('GET', `/chatter/ticket/${body.id}/messages?limit=abc`)).status).toBe(400);
  });

  it('reports the database in /health', async () => {
    const health = await t.http('GET', '/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok', database: { status: 'up' } } });
  });
});
