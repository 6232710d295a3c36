import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/database.js';

const agent = { 'x-user-email': 'agent@example.test', 'x-user-name': 'Agent Smith' };

describe.each(DIALECTS)('sample app /tickets on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('POST /tickets creates a ticket and answers its id; GET /tickets/:id reads it back', async () => {
    const created = await t.http('POST', '/tickets', { subject: '  Printer jam ', description: 'paper everywhere', customerEmail: 'pat@outside.test' }, agent);
    expect(created).toMatchObject({ status: 201, body: { id: expect.any(Number) } });
    const read = await t.http('GET', `/tickets/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.body.id, subject: 'Printer jam', description: 'paper everywhere', status: 'new', assignee: null, customerEmail: 'pat@outside.test' });
  });

  it('GET /tickets lists newest first', async () => {
    const a = (await t.http('POST', '/tickets', { subject: 'older' })).body.id;
    const b = (await t.http('POST', '/tickets', { subject: 'newer' })).body.id;
    const list = await t.http('GET', '/tickets');
    expect(list.status).toBe(200);
    const ids = list.body.map((x: any) => x.id);
    expect(ids.indexOf(b)).toBeLessThan(ids.indexOf(a));
    expect(ids).toEqual([...ids].sort((x: number, y: number) => y - x));
  });

  it('PATCH /tickets/:id changes status and assignee (null unassigns) and answers the ticket', async () => {
    const id = (await t.http('POST', '/tickets', { subject: 'patch me' }, agent)).body.id;
    const first = await t.http('PATCH', `/tickets/${id}`, { status: 'waiting', assignee: 'bob@example.test' }, agent);
    expect(first).toMatchObject({ status: 200, body: { id, status: 'waiting', assignee: 'bob@example.test' } });
    const second = await t.http('PATCH', `/tickets/${id}`, { assignee: null }, agent);
    expect(second).toMatchObject({ status: 200, body: { status: 'waiting', assignee: null } });
    const tracking = (await t.http('GET', `/chatter/ticket/${id}/messages`)).body.filter((m: any) => m.type === 'tracking');
    expect(tracking.map((m: any) => m.tracking)).toEqual([
      [{ field: 'assignee', fieldType: 'string', oldValue: 'bob@example.test', newValue: null }],
      [
        { field: 'status', fieldType: 'string', oldValue: 'new', newValue: 'waiting' },
        { field: 'assignee', fieldType: 'string', oldValue: null, newValue: 'bob@example.test' },
      ],
    ]);
  });

  it('answers 400 with a message for bad ticket input', async () => {
    const cases: [unknown, string][] = [
      [{}, 'subject must be a non-empty string'],
      [{ subject: '   ' }, 'subject must be a non-empty string'],
      [{ subject: 42 }, 'subject must be a non-empty string'],
      [{ subject: 'x', description: 5 }, 'description must be a string'],
      [{ subject: 'x', customerEmail: 'not-an-email' }, 'customerEmail must be an email address'],
      [[{ subject: 'x' }], 'expected a JSON object body'],
    ];
    for (const [body, message] of cases) {
      expect(await t.http('POST', '/tickets', body)).toMatchObject({ status: 400, body: { message } });
    }
    const id = (await t.http('POST', '/tickets', { subject: 'valid' })).body.id;
    expect(await t.http('PATCH', `/tickets/${id}`, { status: 'exploded' })).toMatchObject({
      status: 400,
      body: { message: 'status must be one of new, in_progress, waiting, done, cancelled' },
    });
    expect(await t.http('PATCH', `/tickets/${id}`, { assignee: 'nobody' })).toMatchObject({ status: 400, body: { message: 'assignee must be an email address or null' } });
    expect((await t.http('GET', `/tickets/${id}`)).body.status).toBe('new');
  });

  it('answers 404 for a ticket that does not exist', async () => {
    expect(await t.http('GET', '/tickets/999999')).toMatchObject({ status: 404, body: { message: 'ticket 999999 not found' } });
    expect(await t.http('GET', '/tickets/abc')).toMatchObject({ status: 404, body: { message: 'ticket abc not found' } });
    expect(await t.http('PATCH', '/tickets/999999', { status: 'done' })).toMatchObject({ status: 404 });
  });
});
