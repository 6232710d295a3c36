import { NotFoundException } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Follower } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { TEST_ENTITIES, Task } from '../support/test-entities.js';

const agent = { email: 'agent@example.test', name: 'Agent', userId: 'u-agent' };
const customer = { email: 'customer@outside.test', name: 'Customer' };

describe.each(DIALECTS)('followers on %s', (dialect) => {
  let t: ChatterTesting;
  beforeAll(async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function newTask(): Promise<Task> {
    const em = t.em();
    const task = em.create(Task, { title: 'Followed' });
    await em.persist(task).flush();
    return task;
  }

  const subtypeNames = (f: Follower) => f.subtypes.getItems().map((s) => s.name).sort();

  it('a user follows the default subtypes, internal ones included', async () => {
    const follower = await t.threads.follow(await newTask(), agent);
    expect(follower.partner).toMatchObject({ email: 'agent@example.test', name: 'Agent', userId: 'u-agent' });
    expect(subtypeNames(follower)).toEqual(['Activities', 'Discussions']);
  });

  it('a customer follows the default subtypes without the internal ones', async () => {
    const follower = await t.threads.follow(await newTask(), customer);
    expect(follower.partner.isInternal).toBe(false);
    expect(subtypeNames(follower)).toEqual(['Discussions']);
  });

  it('a customer never gets internal subtypes, even when asked for them', async () => {
    const follower = await t.threads.follow(await newTask(), customer, ['Discussions', 'Note', 'Activities']);
    expect(subtypeNames(follower)).toEqual(['Discussions']);
  });

  it('asked-for subtypes replace the follower’s set; following again without them keeps it', async () => {
    const task = await newTask();
    expect(subtypeNames(await t.threads.follow(task, agent, ['Note']))).toEqual(['Note']);
    expect(subtypeNames(await t.threads.follow(task, agent))).toEqual(['Note']);
    expect(subtypeNames(await t.threads.follow(task, agent, ['Discussions', 'Note']))).toEqual(['Discussions', 'Note']);
    expect(await t.em().count(Follower, { resModel: 'task', resId: String(task.id) })).toBe(1);
  });

  it('refuses an unknown subtype, an invalid email, and an unknown record', async () => {
    const task = await newTask();
    await expect(t.threads.follow(task, agent, ['Discussions', 'Gossip'])).rejects.toThrow('unknown subtype(s): Gossip');
    await expect(t.threads.follow(task, { email: 'not-an-email' })).rejects.toThrow('"not-an-email" is not a valid email address');
    await expect(t.threads.follow({ model: 'task', id: '999999' }, agent)).rejects.toThrow(NotFoundException);
    expect(await t.threads.followers(task)).toEqual([]);
  });

  it('lists followers oldest first with partner and subtypes; unfollow removes one and says whether it did', async () => {
    const task = await newTask();
    const a = await t.threads.follow(task, agent);
    const c = await t.threads.follow(task, customer);
    const listed = await t.threads.followers(task);
    expect(listed.map((f) => [f.partner.email, subtypeNames(f)])).toEqual([
      ['agent@example.test', ['Activities', 'Discussions']],
      ['customer@outside.test', ['Discussions']],
    ]);
    expect(await t.threads.unfollow(task, a.partner.id)).toBe(true);
    expect(await t.threads.unfollow(task, a.partner.id)).toBe(false);
    expect((await t.threads.followers(task)).map((f) => f.partner.email)).toEqual(['customer@outside.test']);
    expect(await t.threads.unfollow(task, c.partner)).toBe(true);
    expect(await t.threads.followers(task)).toEqual([]);
  });

  it('matches partners by normalized email, so one person follows once', async () => {
    const task = await newTask();
    await t.threads.follow(task, { email: ' Mixed.Case@Example.TEST ' });
    const again = await t.threads.follow(task, { email: 'mixed.case@example.test', name: 'Mixed' });
    expect(again.partner).toMatchObject({ email: 'mixed.case@example.test', name: 'Mixed' });
    expect((await t.threads.followers(task)).length).toBe(1);
  });
});
