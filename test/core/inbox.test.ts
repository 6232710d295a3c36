import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Notification, Partner } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { TEST_ENTITIES, Task } from '../support/test-entities.js';

describe.each(DIALECTS)('notifications and the inbox on %s', (dialect) => {
  let t: ChatterTesting;
  let task: Task;
  let reader: Partner; // internal, reads in the chatter inbox
  let mailer: Partner; // internal, wants email
  let client: Partner; // a customer
  beforeAll(async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES });
    const em = t.em();
    task = em.create(Task, { title: 'Watched' });
    await em.persist(task).flush();
    reader = (await t.threads.follow(task, { email: 'reader@example.test', userId: 'u-reader' })).partner;
    mailer = (await t.threads.follow(task, { email: 'mailer@example.test', userId: 'u-mailer' })).partner;
    client = (await t.threads.follow(task, { email: 'client@outside.test' })).partner;
    await t.em().nativeUpdate(Partner, reader.id, { notificationPreference: 'inbox' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a comment notifies every follower but its author: inbox users in the inbox, the others by email', async () => {
    const message = await t.threads.post(task, { body: 'status update', author: mailer.id });
    const [entry] = await t.threads.messages(task, { limit: 1 });
    expect(entry.message.id).toBe(message.id);
    const byEmail = Object.fromEntries(entry.notifications.map((n) => [n.partner.email, [n.notificationType, n.status]]));
    expect(byEmail).toEqual({ 'reader@example.test': ['inbox', 'sent'], 'client@outside.test': ['email', 'ready'] });
  });

  it('a note reaches internal followers of the Note subtype and internal mentions, never customers', async () => {
    await t.threads.follow(task, reader.id, ['Discussions', 'Note']);
    const note = await t.threads.logNote(task, 'internal only', { author: null, partnerIds: [client.id, mailer.id] });
    const rows = await t.em().find(Notification, { message: note.id }, { populate: ['partner'], orderBy: { id: 'asc' } });
    expect(rows.map((n) => [n.partner.email, n.notificationType])).toEqual([
      ['reader@example.test', 'inbox'],
      ['mailer@example.test', 'email'],
    ]);
  });

  it('notificationsFor(partner) is the inbox: unread, newest first, with the message; markRead empties it', async () => {
    const before = await t.threads.notificationsFor(reader);
    await t.threads.post(task, { body: 'one more', author: client.id });
    const inbox = await t.threads.notificationsFor(reader.id);
    expect(inbox.length).toBe(before.length + 1);
    expect(inbox[0].message.body).toBe('one more');
    expect(inbox[0].message.author?.email).toBe('client@outside.test');
    expect(inbox.map((n) => n.id)).toEqual([...inbox.map((n) => n.id)].sort((a, b) => b - a));
    expect(await t.threads.markRead(inbox.map((n) => n.id))).toBe(inbox.length);
    expect(await t.threads.notificationsFor(reader)).toEqual([]);
    const all = await t.threads.notificationsFor(reader, { all: true });
    expect(all.length).toBe(inbox.length);
    expect(all.every((n) => n.isRead && n.readAt instanceof Date)).toBe(true);
    expect(await t.threads.markRead([])).toBe(0);
  });

  it('notificationsFor a customer lists their email notifications, and limit caps it', async () => {
    const rows = await t.threads.notificationsFor(client, { limit: 1 });
    expect(rows).toHaveLength(1);
    expect(rows[0].notificationType).toBe('email');
  });
});
