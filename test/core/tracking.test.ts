import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, Partner, TrackingValue } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { Project, TEST_ENTITIES, Task } from '../support/test-entities.js';

describe.each(DIALECTS)('field tracking on %s', (dialect) => {
  let t: ChatterTesting;
  beforeAll(async () => {
    t = await startChatter(dialect, { entities: TEST_ENTITIES });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function create(data: Partial<Task> = {}): Promise<Task> {
    const em = t.em();
    const task = em.create(Task, { title: 'Tracked', ...data });
    await em.persist(task).flush();
    return task;
  }

  /** the tracking messages of a task, oldest first, as [field, type, old, new] lists */
  async function tracking(task: Task): Promise<unknown[][][]> {
    const page = await t.threads.messages(task, { limit: 200 });
    return page
      .filter((e) => e.message.messageType === 'tracking')
      .reverse()
      .map((e) => e.tracking.map((v) => [v.field, v.fieldType, v.oldValue, v.newValue]));
  }

  const messageCount = () => t.em().count(Message, {});

  async function update(task: Task, change: (task: Task) => void): Promise<void> {
    const em = t.em();
    const loaded = await em.findOneOrFail(Task, task.id);
    change(loaded);
    await em.flush();
  }

  it('writes one tracking message per changed record per flush, with every changed field and typed values', async () => {
    const task = await create();
    await update(task, (x) => {
      x.status = 'done';
      x.priority = 3;
      x.done = true;
      x.assignee = 'bob@example.test';
    });
    expect(await tracking(task)).toEqual([
      [
        ['status', 'string', 'open', 'done'],
        ['priority', 'number', 1, 3],
        ['assignee', 'string', null, 'bob@example.test'],
        ['done', 'boolean', false, true],
      ],
    ]);
    const [entry] = await t.threads.messages(task, { limit: 1 });
    expect(entry.message).toMatchObject({ messageType: 'tracking', body: '', isInternal: false });
    expect(entry.message.subtype?.name).toBe('Discussions');
  });

  it('tracks a value set back to null, numbers to zero, and dates as ISO strings', async () => {
    const due = new Date('2030-01-02T03:04:05.000Z');
    const task = await create({ assignee: 'ann@example.test', priority: 5 });
    await update(task, (x) => {
      x.assignee = null;
      x.priority = 0;
      x.dueDate = due;
    });
    await update(task, (x) => {
      x.dueDate = null;
    });
    expect(await tracking(task)).toEqual([
      [
        ['priority', 'number', 5, 0],
        ['assignee', 'string', 'ann@example.test', null],
        ['dueDate', 'date', null, due.toISOString()],
      ],
      [['dueDate', 'date', due.toISOString(), null]],
    ]);
  });

  it('tracks a reference by id and display name', async () => {
    const em = t.em();
    const [alpha, beta] = [em.create(Project, { name: 'Alpha' }), em.create(Project, { name: 'Beta' })];
    await em.persist([alpha, beta]).flush();
    const task = await create();
    await update(task, (x) => {
      x.project = x.project ?? t.em().getReference(Project, alpha.id);
    });
    const em2 = t.em();
    const loaded = await em2.findOneOrFail(Task, task.id, { populate: ['project'] });
    loaded.project = await em2.findOneOrFail(Project, beta.id);
    await em2.flush();
    const [first, second] = await tracking(task);
    expect(first).toHaveLength(1);
    expect(first[0].slice(0, 3)).toEqual(['project', 'reference', null]);
    expect((first[0][3] as { id: number }).id).toBe(alpha.id);
    expect(second).toEqual([['project', 'reference', { id: alpha.id, name: 'Alpha' }, { id: beta.id, name: 'Beta' }]]);
  });

  it('tracks changes made with the entity manager that created the record, once per flush', async () => {
    const em = t.em();
    const task = em.create(Task, { title: 'Same EM' });
    await em.persist(task).flush();
    task.status = 'first';
    await em.flush();
    task.status = 'second';
    task.priority = 2;
    await em.flush();
    await em.flush();
    expect(await tracking(task)).toEqual([
      [['status', 'string', 'open', 'first']],
      [
        ['status', 'string', 'first', 'second'],
        ['priority', 'number', 1, 2],
      ],
    ]);
  });

  it('a flush that changes three records writes three tracking messages', async () => {
    const tasks = [await create(), await create(), await create()];
    const before = await messageCount();
    const em = t.em();
    const loaded = await em.find(Task, { id: { $in: tasks.map((x) => x.id) } });
    loaded.forEach((x, i) => (x.status = `step-${i}`));
    await em.flush();
    expect(await messageCount()).toBe(before + 3);
    for (const task of tasks) expect(await tracking(task)).toHaveLength(1);
  });

  it('writes nothing for untracked fields, unchanged values, or a flush of unrelated entities', async () => {
    const task = await create();
    const before = await messageCount();
    await update(task, (x) => {
      x.notes = 'untracked';
      x.title = 'renamed';
    });
    await update(task, (x) => {
      x.status = 'open';
    });
    const em = t.em();
    em.create(Project, { name: 'Unrelated' });
    em.create(Partner, { email: 'unrelated@example.test', name: 'Unrelated' });
    await em.flush();
    expect(await messageCount()).toBe(before);
    expect(await tracking(task)).toEqual([]);
  });

  it('tracking and creation messages roll back with the host’s transaction', async () => {
    const task = await create();
    const before = await messageCount();
    const trackingBefore = await t.em().count(TrackingValue, {});
    let createdId: number | undefined;
    await expect(
      t.em().transactional(async (tx) => {
        const loaded = await tx.findOneOrFail(Task, task.id);
        loaded.status = 'rolled-back';
        const created = tx.create(Task, { title: 'never' });
        await tx.flush();
        createdId = created.id;
        expect(await tx.count(Message, { resModel: 'task', resId: { $in: [String(task.id), String(created.id)] } })).toBe(3);
        throw new Error('the host failed after its flush');
      }),
    ).rejects.toThrow('the host failed after its flush');
    expect(createdId).toBeDefined();
    expect(await t.em().findOne(Task, createdId!)).toBeNull();
    expect((await t.em().findOneOrFail(Task, task.id)).status).toBe('open');
    expect(await messageCount()).toBe(before);
    expect(await t.em().count(TrackingValue, {})).toBe(trackingBefore);
    expect(await t.em().count(Message, { resModel: 'task', resId: String(createdId) })).toBe(0);
  });

  it('a flush that fails in the database leaves no creation or tracking message behind', async () => {
    const task = await create();
    await t.threads.follow(task, { email: 'taken@example.test' });
    const before = await messageCount();
    const em = t.em();
    const loaded = await em.findOneOrFail(Task, task.id);
    loaded.status = 'doomed';
    em.create(Task, { title: 'doomed too' });
    em.create(Partner, { email: 'taken@example.test', name: 'Duplicate' }); // unique violation
    await expect(em.flush()).rejects.toThrow();
    expect(await messageCount()).toBe(before);
    expect(await t.em().count(Task, { title: 'doomed too' })).toBe(0);
    expect((await t.em().findOneOrFail(Task, task.id)).status).toBe('open');
  });
});
