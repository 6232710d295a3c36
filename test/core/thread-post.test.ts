import { createHash } from 'node:crypto';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attachment, ChatterEvents, Follower, Message, runAsActor } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { Project, TEST_ENTITIES, Task } from '../support/test-entities.js';

const agent = { email: 'agent@example.test', name: 'Agent', userId: 'u-agent' };
const customer = { email: 'customer@outside.test', name: 'Customer' };

describe.each(DIALECTS)('ThreadService.post and logNote on %s', (dialect) => {
  let t: ChatterTesting;
  beforeAll(async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function newTask(title = 'A task'): Promise<Task> {
    const em = t.em();
    const task = em.create(Task, { title });
    await em.persist(task).flush();
    return task;
  }

  async function followerEmails(task: Task): Promise<string[]> {
    return (await t.threads.followers(task)).map((f) => f.partner.email);
  }

  it('posts a comment in the Discussions subtype, authored and auto-followed by a user', async () => {
    const task = await newTask();
    const message = await t.threads.post(task, { body: '<p>Hello <b>team</b></p>', author: agent, subject: 'Greetings' });
    const [entry] = await t.threads.messages(task, { limit: 1 });
    expect(entry.message.id).toBe(message.id);
    expect(entry.message).toMatchObject({ messageType: 'comment', isInternal: false, body: '<p>Hello <b>team</b></p>', subject: 'Greetings', preview: 'Hello team' });
    expect(entry.message.subtype?.name).toBe('Discussions');
    expect(entry.message.author?.email).toBe('agent@example.test');
    expect(entry.message.messageId).toMatch(new RegExp(`^<[^>]+-chatter-task-${task.id}-[0-9a-f]{20}@example\\.test>$`));
    expect(await followerEmails(task)).toEqual(['agent@example.test']);
  });

  it('stores a large body whole (written after the insert on PostgreSQL) and keeps it on the returned message', async () => {
    const task = await newTask();
    const body = `<p>${'A long report line, repeated until the body is far past the size written apart. '.repeat(1200)}</p>`;
    const message = await t.threads.post(task, { body, author: agent });
    expect(message.body).toBe(body);
    const stored = await t.em().findOneOrFail(Message, message.id);
    expect(stored.body).toBe(body);
    expect(stored.preview.length).toBeGreaterThan(0);
  });

  it('a customer who posts does not become a follower', async () => {
    const task = await newTask();
    await t.threads.post({ model: 'task', id: String(task.id) }, { body: 'From outside', author: customer });
    expect(await followerEmails(task)).toEqual([]);
  });

  it('logs a note: type note, subtype Note, internal', async () => {
    const task = await newTask();
    const note = await t.threads.logNote(task, 'Called the customer', { author: agent });
    const [entry] = await t.threads.messages(task, { limit: 1 });
    expect(entry.message.id).toBe(note.id);
    expect(entry.message).toMatchObject({ messageType: 'note', isInternal: true, body: 'Called the customer' });
    expect(entry.message.subtype?.name).toBe('Note');
  });

  it('sanitizes HTML before storing it: no script, event handlers or javascript: links', async () => {
    const task = await newTask();
    const body =
      '<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:alert(2)">x</a> <a href="https://example.test/a">ok</a>' +
      '<img src="https://example.test/i.png" onerror="alert(3)"><iframe src="https://evil.test"></iframe><style>p{}</style></p>';
    await t.threads.post(task, { body, author: agent });
    const stored = (await t.em().findOneOrFail(Message, { resModel: 'task', resId: String(task.id), messageType: 'comment' })).body;
    expect(stored).toBe(
      '<p>Hi <a rel="noopener noreferrer nofollow" target="_blank">x</a> ' +
        '<a href="https://example.test/a" rel="noopener noreferrer nofollow" target="_blank">ok</a><img src="https://example.test/i.png" /></p>',
    );
    for (const bad of ['script', 'onclick', 'onerror', 'javascript:', 'iframe', 'alert', 'style']) expect(stored).not.toContain(bad);
  });

  it('escapes a plain-text body into paragraphs', async () => {
    const task = await newTask();
    await t.threads.post(task, { body: 'a < b & c\nnext line\n\nsecond <script>', format: 'text', author: agent });
    const [entry] = await t.threads.messages(task, { limit: 1 });
    expect(entry.message.body).toBe('<p>a &lt; b &amp; c<br />next line</p><p>second &lt;script&gt;</p>');
  });

  it('refuses an empty body, a body that sanitizes to nothing, a bad type, and an oversized body', async () => {
    const task = await newTask();
    await expect(t.threads.post(task, { body: '   ' })).rejects.toThrow(new BadRequestException('body is empty'));
    await expect(t.threads.post(task, { body: '<script>alert(1)</script>' })).rejects.toThrow('body is empty');
    await expect(t.threads.post(task, { body: 'x', type: 'shout' as any })).rejects.toThrow('type must be "comment" or "note", got "shout"');
    await expect(t.threads.post(task, { body: 'x'.repeat((1 << 20) + 1) })).rejects.toThrow(`body is larger than ${1 << 20} bytes`);
    await expect(t.threads.post(task, { body: 42 as any })).rejects.toThrow('body must be a string');
    expect(await t.em().count(Message, { resModel: 'task', resId: String(task.id) })).toBe(1); // the creation message only
  });

  it('posts as the system with author: null, and as the current actor by default', async () => {
    const task = await newTask();
    await t.threads.post(task, { body: 'system says', author: null });
    await runAsActor(agent, () => t.threads.post(task, { body: 'actor says' }));
    const [byActor, bySystem] = await t.threads.messages(task, { limit: 2 });
    expect(bySystem.message.author).toBeNull();
    expect(bySystem.message.emailFrom).toBeNull();
    expect(byActor.message.author?.email).toBe('agent@example.test');
    expect(await followerEmails(task)).toEqual(['agent@example.test']);
  });

  it('stores attachments with their size and sha256 checksum, and an attachment-only post is allowed', async () => {
    const task = await newTask();
    const content = Buffer.from('%PDF-1.4 not really a pdf');
    await t.threads.post(task, { body: '', attachments: [{ name: 'report.pdf', mimetype: 'application/pdf', content }, { name: 'logo.png', content: Buffer.from([137, 80, 78, 71]), cid: 'logo@x' }], author: agent });
    const [entry] = await t.threads.messages(task, { limit: 1 });
    expect(entry.attachments.map((a) => [a.name, a.mimetype, a.size, a.cid, a.checksum])).toEqual([
      ['report.pdf', 'application/pdf', content.length, null, sha256(content)],
      ['logo.png', 'application/octet-stream', 4, 'logo@x', sha256(Buffer.from([137, 80, 78, 71]))],
    ]);
    const stored = await t.em().findOneOrFail(Attachment, entry.attachments[0].id, { populate: ['content'] });
    expect(stored.resModel).toBe('task');
    expect(stored.resId).toBe(String(task.id));
  });

  it('threads a reply under a parent of the same record only', async () => {
    const task = await newTask();
    const other = await newTask('other');
    const parent = await t.threads.post(task, { body: 'question', author: customer });
    const reply = await t.threads.post(task, { body: 'answer', author: agent, parentId: parent.id });
    const [entry] = await t.threads.messages(task, { limit: 1 });
    expect(entry.message.id).toBe(reply.id);
    expect(entry.message.parent?.id).toBe(parent.id);
    await expect(t.threads.post(other, { body: 'x', parentId: parent.id })).rejects.toThrow(new NotFoundException(`message ${parent.id} is not in task ${other.id}`));
  });

  it('notifies mentioned partners who do not follow, and refuses an unknown partner id', async () => {
    const task = await newTask();
    const mentioned = await t.threads.follow(await newTask('elsewhere'), { email: 'mentioned@example.test', userId: 'u-m' });
    await t.threads.post(task, { body: 'look at this', author: customer, partnerIds: [mentioned.partner.id] });
    const [entry] = await t.threads.messages(task, { limit: 1 });
    expect(entry.notifications.map((n) => n.partner.email)).toEqual(['mentioned@example.test']);
    await expect(t.threads.post(task, { body: 'x', partnerIds: [999999] })).rejects.toThrow('partner 999999 does not exist');
  });

  it('emits chatter.message.posted after the commit', async () => {
    const task = await newTask();
    const seen: unknown[] = [];
    const events = t.app.get(ChatterEvents);
    const listener = (e: unknown) => seen.push(e);
    events.on('chatter.message.posted', listener);
    try {
      const message = await t.threads.post(task, { body: 'event', author: agent });
      expect(seen).toEqual([{ messageId: message.id, model: 'task', resId: String(task.id), type: 'comment' }]);
    } finally {
      events.off('chatter.message.posted', listener);
    }
  });

  it('answers 404 for an unknown model or record, and refuses what is not a thread', async () => {
    await expect(t.threads.post({ model: 'nope', id: '1' }, { body: 'x' })).rejects.toThrow(new NotFoundException('unknown chatter model "nope"'));
    await expect(t.threads.post({ model: 'task', id: '999999' }, { body: 'x' })).rejects.toThrow(new NotFoundException('task 999999 not found'));
    await expect(t.threads.messages({ model: 'task', id: 'abc' })).rejects.toThrow(NotFoundException);
    await expect(t.threads.followers({ model: 'nope', id: '1' })).rejects.toThrow(NotFoundException);
    const project = t.em().create(Project, { name: 'no chatter' });
    await expect(t.threads.post(project, { body: 'x' })).rejects.toThrow('Project is not a @Chatter() entity');
    await expect(t.threads.post(new Task(), { body: 'x' })).rejects.toThrow('Task has no id yet: flush it before using its thread');
    expect(await t.em().count(Follower, { resModel: 'nope' })).toBe(0);
  });
});

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
