import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsActor, type ActorRef } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { TEST_ENTITIES, Task } from '../support/test-entities.js';
import { withoutCreationLog } from '../../lib/thread/creation-log.js';

const agent: ActorRef = { email: 'agent@example.test', name: 'Agent', userId: 'u-agent' };

describe.each(DIALECTS)('record creation, assignment and auto-follow on %s', (dialect) => {
  let t: ChatterTesting;
  /** what the host's `users.currentActor` answers */
  let current: ActorRef | undefined;
  beforeAll(async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES, chatter: { users: { currentActor: () => current } } });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function create(data: Partial<Task> = {}): Promise<Task> {
    const em = t.em();
    const task = em.create(Task, { title: 'Fresh', ...data });
    await em.persist(task).flush();
    return task;
  }

  const followers = async (task: Task) => (await t.threads.followers(task)).map((f) => f.partner.email);

  it('creating a record posts a creation message by the creating user, who follows it', async () => {
    const task = await runAsActor(agent, () => create());
    const page = await t.threads.messages(task);
    expect(page).toHaveLength(1);
    expect(page[0].message).toMatchObject({ messageType: 'notification', body: '<p>Task created</p>', isInternal: false });
    expect(page[0].message.subtype?.name).toBe('Discussions');
    expect(page[0].message.author?.email).toBe('agent@example.test');
    expect(page[0].notifications).toEqual([]);
    expect(await followers(task)).toEqual(['agent@example.test']);
  });

  it('the creating user comes from users.currentActor when runAsActor is not used', async () => {
    current = { email: 'host-user@example.test', userId: 7 };
    try {
      const task = await create();
      expect((await t.threads.messages(task))[0].message.author?.email).toBe('host-user@example.test');
      expect(await followers(task)).toEqual(['host-user@example.test']);
    } finally {
      current = undefined;
    }
  });

  it('a record created by nobody gets an authorless creation message and no follower', async () => {
    const task = await create();
    const [entry] = await t.threads.messages(task);
    expect(entry.message.author).toBeNull();
    expect(await followers(task)).toEqual([]);
  });

  it('a record created by a customer is authored by them, but customers do not auto-follow', async () => {
    const task = await runAsActor({ email: 'someone@outside.test' }, () => create());
    expect((await t.threads.messages(task))[0].message.author?.email).toBe('someone@outside.test');
    expect(await followers(task)).toEqual([]);
  });

  it('a record created without its creation log (as from mail) gets no message; its assignee, if any, still follows', async () => {
    const assigned = await withoutCreationLog(() => create({ assignee: 'bob@example.test' }));
    const unassigned = await withoutCreationLog(() => create());
    expect(await t.threads.messages(assigned)).toEqual([]);
    expect(await followers(assigned)).toEqual(['bob@example.test']);
    expect(await t.threads.messages(unassigned)).toEqual([]);
    expect(await followers(unassigned)).toEqual([]);
  });

  it('the assignee follows a record created assigned, and each new assignee follows on assignment', async () => {
    const task = await runAsActor(agent, () => create({ assignee: 'bob@example.test' }));
    expect(await followers(task)).toEqual(['agent@example.test', 'bob@example.test']);
    const em = t.em();
    const loaded = await em.findOneOrFail(Task, task.id);
    loaded.assignee = 'carol@example.test';
    await em.flush();
    expect(await followers(task)).toEqual(['agent@example.test', 'bob@example.test', 'carol@example.test']);
    const carol = (await t.threads.followers(task)).find((f) => f.partner.email === 'carol@example.test')!;
    expect(carol.partner.isInternal).toBe(true);
    loaded.assignee = null;
    await em.flush();
    expect(await followers(task)).toHaveLength(3);
  });

  it('posting makes a user a follower (auto-follow), once', async () => {
    const task = await create();
    await t.threads.post(task, { body: 'first', author: agent });
    await t.threads.post(task, { body: 'second', author: agent });
    await t.threads.post(task, { body: 'from a customer', author: { email: 'c@outside.test' } });
    expect(await followers(task)).toEqual(['agent@example.test']);
  });
});

describe('users.resolveUser maps assignee values to users', () => {
  it('makes the resolved user follow, and ignores a value it cannot resolve', async () => {
    const directory: Record<string, ActorRef> = { u1: { userId: 'u1', email: 'one@example.test', name: 'User One' } };
    const t = await startChatter('sqlite', { entities: TEST_ENTITIES, chatter: { users: { resolveUser: async (value) => directory[String(value)] } } });
    try {
      const em = t.em();
      const task = em.create(Task, { title: 'Directory', assignee: 'u1' });
      const ghost = em.create(Task, { title: 'Nobody', assignee: 'ghost' });
      await em.persist([task, ghost]).flush();
      const [follower] = await t.threads.followers(task);
      expect(follower.partner).toMatchObject({ email: 'one@example.test', name: 'User One', userId: 'u1' });
      expect(await t.threads.followers(ghost)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
