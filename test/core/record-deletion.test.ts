import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attachment, Chatter, Follower, Message, Notification, Partner, TrackingValue } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { DIALECTS } from '../support/database.js';
import { TEST_ENTITIES, Task } from '../support/test-entities.js';

/** a record whose thread outlives it */
@Chatter({ model: 'memo', onDelete: 'orphan', track: ['text'] })
@Entity({ tableName: 'test_memo' })
class Memo {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string', length: 256 })
  text!: string;
}

const agent = { email: 'agent@example.test', userId: 'u-agent' };
const customer = { email: 'customer@outside.test' };

describe.each(DIALECTS)('deleting a record with a chatter on %s', (dialect) => {
  let t: ChatterTesting;
  beforeAll(async () => {
    t = await startChatter(dialect, { entities: [...TEST_ENTITIES, Memo] });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** a record with a full thread: creation, a post with an attachment and notifications, a tracking change, followers */
  async function busyRecord<T extends object>(entity: new () => T, data: Partial<T>, change: (record: T) => void): Promise<T> {
    const em = t.em();
    const record = em.create(entity, data as any);
    await em.persist(record).flush();
    await t.threads.follow(record, agent);
    await t.threads.follow(record, customer);
    await t.threads.post(record, { body: 'with a file', author: { email: 'writer@example.test' }, attachments: [{ name: 'a.txt', content: Buffer.from('a') }] });
    change(record);
    await em.flush();
    return record;
  }

  async function threadRows(model: string, id: number) {
    const em = t.em();
    const where = { resModel: model, resId: String(id) };
    const messageIds = (await em.find(Message, where)).map((m) => m.id);
    const followerIds = (await em.find(Follower, where)).map((f) => f.id);
    const pivot = followerIds.length
      ? await em.getConnection().execute<{ n: number | string }[]>(`select count(*) as n from chatter_follower_subtype where follower_id in (${followerIds.join(',')})`)
      : [{ n: 0 }];
    return {
      messages: messageIds.length,
      attachments: await em.count(Attachment, where),
      notifications: messageIds.length ? await em.count(Notification, { message: { $in: messageIds } }) : 0,
      tracking: messageIds.length ? await em.count(TrackingValue, { message: { $in: messageIds } }) : 0,
      followers: followerIds.length,
      followerSubtypes: Number(pivot[0].n),
    };
  }

  async function remove(entity: Function, id: number) {
    const em = t.em();
    em.remove(await em.findOneOrFail(entity as any, id));
    await em.flush();
  }

  it("by default ('delete') removes the thread: messages, attachments, notifications, tracking, followers", async () => {
    const task = await busyRecord(Task, { title: 'Doomed' }, (x) => (x.status = 'closing'));
    const keep = await busyRecord(Task, { title: 'Survivor' }, (x) => (x.status = 'kept'));
    const full = { messages: 3, attachments: 1, notifications: 2, tracking: 1, followers: 2, followerSubtypes: 3 };
    expect(await threadRows('task', task.id)).toEqual(full);
    await remove(Task, task.id);
    expect(await threadRows('task', task.id)).toEqual({ messages: 0, attachments: 0, notifications: 0, tracking: 0, followers: 0, followerSubtypes: 0 });
    expect(await threadRows('task', keep.id)).toEqual(full);
    expect(await t.em().count(Partner, { email: { $in: ['agent@example.test', 'customer@outside.test'] } })).toBe(2);
  });

  it("with onDelete: 'orphan' keeps the messages (and what hangs off them) but removes the followers", async () => {
    const memo = await busyRecord(Memo, { text: 'v1' }, (x) => (x.text = 'v2'));
    const before = await threadRows('memo', memo.id);
    expect(before).toEqual({ messages: 3, attachments: 1, notifications: 2, tracking: 1, followers: 2, followerSubtypes: 3 });
    await remove(Memo, memo.id);
    expect(await threadRows('memo', memo.id)).toEqual({ ...before, followers: 0, followerSubtypes: 0 });
    await expect(t.threads.messages({ model: 'memo', id: String(memo.id) })).rejects.toThrow(`memo ${memo.id} not found`);
  });

  it('a deletion rolled back by the host keeps the thread', async () => {
    const task = await busyRecord(Task, { title: 'Almost' }, (x) => (x.status = 'x'));
    const before = await threadRows('task', task.id);
    await expect(
      t.em().transactional(async (tx) => {
        tx.remove(await tx.findOneOrFail(Task, task.id));
        await tx.flush();
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await threadRows('task', task.id)).toEqual(before);
  });
});
