import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { todayIn } from '../../lib/index.js';
import type { ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { createDeal, startDeals } from './fixtures.js';

describe.each(DIALECTS)('activities over HTTP (%s)', (dialect) => {
  let t: ChatterTesting;

  beforeAll(async () => {
    t = await startDeals(dialect, { http: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists the activity types', async () => {
    const res = await t.http('GET', '/chatter/activity-types?model=deal');
    expect(res.status).toBe(200);
    expect(res.body.map((ty: any) => ty.name)).toEqual(['To-Do', 'Email', 'Call', 'Meeting']);
  });

  it('schedules, lists, reschedules and marks done with feedback', async () => {
    const deal = await createDeal(t);
    const base = `/chatter/deal/${deal.id}/activities`;
    const created = await t.http('POST', base, { type: 'Call', assigneeEmail: 'bob@example.test', assigneeName: 'Bob', summary: 'Call back', deadline: '2000-01-01' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: { name: 'Call' },
      summary: 'Call back',
      deadline: '2000-01-01',
      state: 'overdue',
      assignee: { email: 'bob@example.test', name: 'Bob' },
      model: 'deal',
      resId: String(deal.id),
    });
    const today = todayIn('UTC');
    const todo = await t.http('POST', base, { type: 'To-Do', assigneeEmail: 'bob@example.test', deadline: today });
    expect(todo.body.state).toBe('today');
    expect((await t.http('GET', base)).body.map((a: any) => a.summary ?? a.type.name)).toEqual(['Call back', 'To-Do']);
    const mine = await t.http('GET', '/chatter/activities?assignee=bob@example.test&states=overdue');
    expect(mine.body.map((a: any) => a.id)).toEqual([created.body.id]);

    const moved = await t.http('PATCH', `/chatter/activities/${created.body.id}`, { deadline: '2999-12-31' });
    expect(moved).toMatchObject({ status: 200, body: { deadline: '2999-12-31', state: 'planned' } });

    const done = await t.http('POST', `/chatter/activities/${created.body.id}/done`, { feedback: 'Reached her <3' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ type: 'activity', subtype: 'Activities', isInternal: true });
    expect(done.body.body).toContain('Call</span> done: <b>Call back</b>');
    expect(done.body.body).toContain('Reached her &lt;3');
    expect((await t.http('GET', base)).body.map((a: any) => a.id)).toEqual([todo.body.id]);
    expect((await t.http('POST', `/chatter/activities/${created.body.id}/done`, {})).status).toBe(404);
    const thread = (await t.http('GET', `/chatter/deal/${deal.id}/messages`)).body;
    expect(thread[0].id).toBe(done.body.id);

    expect((await t.http('DELETE', `/chatter/activities/${todo.body.id}`)).status).toBe(204);
    expect((await t.http('GET', base)).body).toEqual([]);
  });

  it('answers 400 for bad input and 404 for unknown records and activities', async () => {
    const deal = await createDeal(t);
    const base = `/chatter/deal/${deal.id}/activities`;
    expect((await t.http('POST', base, { type: 'Call' })).status).toBe(400);
    expect((await t.http('POST', base, { type: 'Nap', assigneeEmail: 'bob@example.test' })).status).toBe(400);
    expect((await t.http('POST', base, { type: 'Call', assigneeEmail: 'bob@example.test', deadline: '10/03/2026' })).status).toBe(400);
    expect((await t.http('POST', base, { assigneeEmail: 'bob@example.test' })).status).toBe(400);
    expect((await t.http('POST', '/chatter/deal/999999/activities', { type: 'Call', assigneeEmail: 'bob@example.test' })).status).toBe(404);
    expect((await t.http('GET', '/chatter/nope/1/activities')).status).toBe(404);
    expect((await t.http('PATCH', '/chatter/activities/999999', { deadline: '2026-01-01' })).status).toBe(404);
    expect((await t.http('DELETE', '/chatter/activities/999999')).status).toBe(404);
    expect((await t.http('GET', '/chatter/activities?states=soon&assignee=bob@example.test')).status).toBe(400);
    expect((await t.http('GET', '/chatter/activities')).status).toBe(400);
  });
});
