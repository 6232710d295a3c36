import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MikroORM } from '@mikro-orm/core';
import { Partner } from '../../lib/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/database.js';

const agent = { 'x-user-email': 'agent@example.test', 'x-user-name': 'Agent Smith' };

describe.each(DIALECTS)('sample app /chatter on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  const newTicket = async () => (await t.http('POST', '/tickets', { subject: 'Chatter', customerEmail: 'cust@outside.test' }, agent)).body.id as number;

  it('POST messages posts a comment as the current user and answers the message', async () => {
    const id = await newTicket();
    const res = await t.http('POST', `/chatter/ticket/${id}/messages`, { body: 'Looking into it', subject: 'Status' }, agent);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      type: 'comment',
      subtype: 'Discussions',
      isInternal: false,
      subject: 'Status',
      body: '<p>Looking into it</p>',
      author: { name: 'Agent Smith', email: 'agent@example.test' },
      attachments: [],
      tracking: [],
    });
    expect(new Date(res.body.createdAt).toString()).not.toBe('Invalid Date');
    const page = await t.http('GET', `/chatter/ticket/${id}/messages?limit=1`);
    expect(page.body).toEqual([res.body]);
  });

  it('POST messages: a note is internal; authorEmail names a customer author; mentions are notified', async () => {
    const id = await newTicket();
    const note = await t.http('POST', `/chatter/ticket/${id}/messages`, { body: 'internal remark', type: 'note', mentions: ['boss@example.test'] }, agent);
    expect(note).toMatchObject({ status: 201, body: { type: 'note', subtype: 'Note', isInternal: true } });
    const reply = await t.http('POST', `/chatter/ticket/${id}/messages`, { body: 'thanks', authorEmail: 'Cust@Outside.test', mentions: ['boss@example.test'] });
    expect(reply.body.author).toMatchObject({ email: 'cust@outside.test' });
    expect(reply.body.notifications.map((n: any) => [n.email, n.type])).toEqual([
      ['agent@example.test', 'email'],
      ['boss@example.test', 'email'],
    ]);
  });

  it('POST messages sanitizes an HTML body (format "html") and escapes a text one (the default)', async () => {
    const id = await newTicket();
    const html = await t.http('POST', `/chatter/ticket/${id}/messages`, { format: 'html', body: '<p>ok<script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:x()">l</a></p>' }, agent);
    expect(html.body.body).toBe('<p>ok<img src="x" /><a rel="noopener noreferrer nofollow" target="_blank">l</a></p>');
    const text = await t.http('POST', `/chatter/ticket/${id}/messages`, { body: 'if a < b then\nsay "hi"' }, agent);
    expect(text.body.body).toBe('<p>if a &lt; b then<br />say "hi"</p>');
  });

  it('keeps every character of a text body, whatever looks like a tag in it; a comment and a note get one shape', async () => {
    const id = await newTicket();
    const post = (body: Record<string, unknown>) => t.http('POST', `/chatter/ticket/${id}/messages`, body, agent);
    const tags = await post({ body: 'if x < 3 && y > 2 then <foo> happens\nsecond line' });
    expect(tags.body.body).toBe('<p>if x &lt; 3 &amp;&amp; y &gt; 2 then &lt;foo&gt; happens<br />second line</p>');
    const div = await post({ body: 'use <div> here\nnext', format: 'text' });
    expect(div.body.body).toBe('<p>use &lt;div&gt; here<br />next</p>');
    const note = await post({ body: 'use <div> here\nnext', type: 'note' });
    expect([note.body.body, note.body.isInternal]).toEqual(['<p>use &lt;div&gt; here<br />next</p>', true]);
  });

  it('GET messages pages newest first with limit and before', async () => {
    const id = await newTicket();
    for (let i = 0; i < 5; i++) await t.http('POST', `/chatter/ticket/${id}/messages`, { body: `m${i}` }, agent);
    const first = (await t.http('GET', `/chatter/ticket/${id}/messages?limit=2`)).body;
    expect(first.map((m: any) => m.body)).toEqual(['<p>m4</p>', '<p>m3</p>']);
    const second = (await t.http('GET', `/chatter/ticket/${id}/messages?limit=2&before=${first[1].id}`)).body;
    expect(second.map((m: any) => m.body)).toEqual(['<p>m2</p>', '<p>m1</p>']);
    const rest = (await t.http('GET', `/chatter/ticket/${id}/messages?before=${second[1].id}`)).body;
    expect(rest.map((m: any) => m.body)).toEqual(['<p>m0</p>', '<p>Ticket created</p>']);
  });

  it('followers: POST adds one with subtypes, GET lists them, DELETE removes one', async () => {
    const id = await newTicket();
    const added = await t.http('POST', `/chatter/ticket/${id}/followers`, { email: 'watcher@outside.test', name: 'Watcher', subtypes: ['Discussions', 'Note'] });
    expect(added).toMatchObject({ status: 201, body: { name: 'Watcher', email: 'watcher@outside.test', internal: false, subtypes: ['Discussions'] } });
    const plain = await t.http('POST', `/chatter/ticket/${id}/followers`, { email: 'other@outside.test' });
    expect(plain.body.subtypes).toEqual(['Discussions']);
    const list = await t.http('GET', `/chatter/ticket/${id}/followers`);
    expect(list.status).toBe(200);
    expect(list.body.map((f: any) => f.email)).toEqual(['agent@example.test', 'watcher@outside.test', 'other@outside.test']);
    expect(list.body[0]).toMatchObject({ internal: true, subtypes: ['Activities', 'Discussions'] });
    const removed = await t.http('DELETE', `/chatter/ticket/${id}/followers/${added.body.partnerId}`);
    expect(removed.status).toBe(204);
    expect((await t.http('GET', `/chatter/ticket/${id}/followers`)).body.map((f: any) => f.email)).toEqual(['agent@example.test', 'other@outside.test']);
    expect(await t.http('DELETE', `/chatter/ticket/${id}/followers/${added.body.partnerId}`)).toMatchObject({
      status: 400,
      body: { message: `partner ${added.body.partnerId} does not follow ticket ${id}` },
    });
  });

  it('answers 400 with a message for bad chatter input', async () => {
    const id = await newTicket();
    const post = (body: unknown) => t.http('POST', `/chatter/ticket/${id}/messages`, body);
    expect(await post({})).toMatchObject({ status: 400, body: { message: 'body must be a non-empty string' } });
    expect(await post({ body: '  ' })).toMatchObject({ status: 400, body: { message: 'body must be a non-empty string' } });
    expect(await post({ body: '<script>x</script>', format: 'html' })).toMatchObject({ status: 400, body: { message: 'body is empty' } });
    expect(await post({ body: 'x', format: 'markdown' })).toMatchObject({ status: 400, body: { message: 'format must be "text" or "html"' } });
    expect(await post({ body: 'x', format: 1 })).toMatchObject({ status: 400, body: { message: 'format must be "text" or "html"' } });
    expect(await post({ body: 'x', type: 'email' })).toMatchObject({ status: 400, body: { message: 'type must be "comment" or "note"' } });
    expect(await post({ body: 'x', authorEmail: 'nope' })).toMatchObject({ status: 400, body: { message: 'authorEmail must be an email address' } });
    expect(await post({ body: 'x', mentions: 'a@b.test' })).toMatchObject({ status: 400, body: { message: 'mentions must be an array of email addresses' } });
    expect(await post({ body: 'x', mentions: ['bad'] })).toMatchObject({ status: 400, body: { message: 'mentions must be an array of email addresses' } });
    expect(await post(['x'])).toMatchObject({ status: 400, body: { message: 'expected a JSON object body' } });
    const get = (query: string) => t.http('GET', `/chatter/ticket/${id}/messages?${query}`);
    expect(await get('limit=abc')).toMatchObject({ status: 400, body: { message: 'limit must be a positive integer' } });
    expect(await get('limit=0')).toMatchObject({ status: 400, body: { message: 'limit must be an integer from 1 to 200' } });
    expect(await get('limit=500')).toMatchObject({ status: 400, body: { message: 'limit must be an integer from 1 to 200' } });
    expect(await get('before=-1')).toMatchObject({ status: 400, body: { message: 'before must be a positive integer' } });
    const follow = (body: unknown) => t.http('POST', `/chatter/ticket/${id}/followers`, body);
    expect(await follow({})).toMatchObject({ status: 400, body: { message: 'email is required' } });
    expect(await follow({ email: 'bad' })).toMatchObject({ status: 400, body: { message: 'email must be an email address' } });
    expect(await follow({ email: 'a@b.test', subtypes: 'Note' })).toMatchObject({ status: 400, body: { message: 'subtypes must be an array of subtype names' } });
    expect(await follow({ email: 'a@b.test', subtypes: ['Gossip'] })).toMatchObject({ status: 400, body: { message: 'unknown subtype(s): Gossip' } });
    expect(await t.http('DELETE', `/chatter/ticket/${id}/followers/abc`)).toMatchObject({ status: 400, body: { message: 'partnerId must be a positive integer' } });
    expect((await t.http('GET', `/chatter/ticket/${id}/messages`)).body).toHaveLength(1);
  });

  it('answers 404 for an unknown model or record on every route', async () => {
    for (const path of ['/chatter/nope/1', '/chatter/ticket/999999', '/chatter/ticket/abc']) {
      expect((await t.http('GET', `${path}/messages`)).status).toBe(404);
      expect((await t.http('POST', `${path}/messages`, { body: 'x' })).status).toBe(404);
      expect((await t.http('GET', `${path}/followers`)).status).toBe(404);
      expect((await t.http('POST', `${path}/followers`, { email: 'a@b.test' })).status).toBe(404);
      expect((await t.http('DELETE', `${path}/followers/1`)).status).toBe(404);
    }
    expect(await t.http('GET', '/chatter/nope/1/messages')).toMatchObject({ body: { message: 'unknown chatter model "nope"' } });
  });
  it('a refused post creates no partner for its mentions', async () => {
    const orm = t.app.get(MikroORM);
    const id = await newTicket();
    const missing = await t.http('POST', '/chatter/ticket/999999/messages', { body: 'hi', mentions: ['ghost-404@outside.test'] }, agent);
    expect(missing.status).toBe(404);
    const empty = await t.http('POST', `/chatter/ticket/${id}/messages`, { body: '<script>only</script>', format: 'html', mentions: ['ghost-400@outside.test'] }, agent);
    expect(empty).toMatchObject({ status: 400, body: { message: 'body is empty' } });
    const ghosts = await orm.em.fork().count(Partner, { email: { $in: ['ghost-404@outside.test', 'ghost-400@outside.test'] } });
    expect(ghosts).toBe(0);
  });
});
