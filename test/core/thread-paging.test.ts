import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { TEST_ENTITIES, Task } from '../support/test-entities.js';

describe.each(DIALECTS)('ThreadService.messages keyset paging on %s', (dialect) => {
  let t: ChatterTesting;
  let task: Task;
  let all: number[];
  beforeAll(async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES });
    const em = t.em();
    task = em.create(Task, { title: 'Busy' });
    const other = em.create(Task, { title: 'Other' });
    await em.persist([task, other]).flush();
    // interleave another thread's messages so that this thread's ids have holes
    for (let i = 0; i < 24; i++) {
      await t.threads.post(task, { body: `message ${i}`, author: null });
      if (i % 3 === 0) await t.threads.post(other, { body: `noise ${i}`, author: null });
    }
    all = (await t.em().find(Message, { resModel: 'task', resId: String(task.id) }, { orderBy: { id: 'desc' } })).map((m) => m.id);
    expect(all).toHaveLength(25); // 24 posts and the creation message
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reads the newest page first, then each older page with before = the smallest id seen, with no overlap or gap', async () => {
    const pages: number[][] = [];
    let before: number | undefined;
    for (;;) {
      const page = (await t.threads.messages(task, { limit: 10, before })).map((e) => e.message.id);
      if (page.length === 0) break;
      pages.push(page);
      before = Math.min(...page);
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(all);
    expect((await t.threads.messages(task, { limit: 10 }))[0].message.body).toBe('message 23');
  });

  it('defaults to 30 per page and accepts a before that is not a message of the thread', async () => {
    expect((await t.threads.messages(task)).length).toBe(25);
    const page = await t.threads.messages(task, { limit: 3, before: all[4] + 1 });
    expect(page.map((e) => e.message.id)).toEqual(all.slice(4, 7));
    expect(await t.threads.messages(task, { before: Math.min(...all) })).toEqual([]);
  });

  it('refuses a limit outside 1..200 and a before that is not an id', async () => {
    for (const limit of [0, 201, 1.5, Number.NaN]) {
      await expect(t.threads.messages(task, { limit })).rejects.toThrow('limit must be an integer from 1 to 200');
    }
    await expect(t.threads.messages(task, { before: 1.5 })).rejects.toThrow('before must be a message id');
  });
});
