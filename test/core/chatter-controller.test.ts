import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatterModule, runAsActor } from '../../lib/index.js';
import { startChatter, TEST_SECRET, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { TEST_ENTITIES, Task } from '../support/test-entities.js';

describe.each(DIALECTS)('the optional /chatter controller in a host app on %s', (dialect) => {
  let t: ChatterTesting;
  beforeAll(async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES, http: true, chatter: { http: true } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves a message with its attachments, tracking values and notifications as JSON', async () => {
    const em = t.em();
    const task = await runAsActor({ email: 'agent@example.test', userId: 'a' }, async () => {
      const x = em.create(Task, { title: 'Served' });
      await em.persist(x).flush();
      return x;
    });
    await t.threads.follow(task, { email: 'cust@outside.test' });
    const content = Buffer.from('hello attachment');
    const posted = await t.threads.post(task, { body: '<p>see attached</p>', author: { email: 'agent@example.test' }, attachments: [{ name: 'hello.txt', mimetype: 'text/plain', content }] });
    task.status = 'review';
    await em.flush();
    const res = await t.http('GET', `/chatter/task/${task.id}/messages`);
    expect(res.status).toBe(200);
    const [tracking, message, created] = res.body;
    expect(tracking).toMatchObject({ type: 'tracking', tracking: [{ field: 'status', fieldType: 'string', oldValue: 'open', newValue: 'review' }] });
    expect(message).toMatchObject({
      id: posted.id,
      type: 'comment',
      subtype: 'Discussions',
      author: { email: 'agent@example.test' },
      body: '<p>see attached</p>',
      attachments: [{ id: expect.any(Number), name: 'hello.txt', mimetype: 'text/plain', size: content.length, cid: null }],
      notifications: [{ email: 'cust@outside.test', type: 'email', status: 'ready', failureType: null, failureReason: null, partnerId: expect.any(Number) }],
    });
    expect(created).toMatchObject({ type: 'notification', body: '<p>Task created</p>' });
  });
});

describe('the /chatter controller is not mounted without { http: true }', () => {
  it('answers 404 for its routes', async () => {
    const t = await startChatter('sqlite', { entities: TEST_ENTITIES, http: true });
    try {
      const em = t.em();
      const task = em.create(Task, { title: 'Hidden' });
      await em.persist(task).flush();
      expect(await t.http('GET', `/chatter/task/${task.id}/messages`)).toMatchObject({ status: 404, body: { message: `Cannot GET /chatter/task/${task.id}/messages` } });
    } finally {
      await t.close();
    }
  });
});

describe('forRootAsync mounts the controller with { http: true } beside its factory', () => {
  it('serves /chatter routes', async () => {
    const t = await startChatter('sqlite', {
      entities: TEST_ENTITIES,
      http: true,
      chatterModule: ChatterModule.forRootAsync({ useFactory: () => ({ domains: [{ name: 'example.test' }], secret: TEST_SECRET }), http: true }),
    });
    try {
      const em = t.em();
      const task = em.create(Task, { title: 'Async' });
      await em.persist(task).flush();
      const res = await t.http('GET', `/chatter/task/${task.id}/followers`);
      expect(res).toEqual({ status: 200, body: [] });
    } finally {
      await t.close();
    }
  });
});
