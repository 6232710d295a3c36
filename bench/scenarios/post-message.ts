/**
 * post-message: posts per second through `ThreadService.post` on a record with 10 followers (internal users who
 * read in their inbox), one post at a time. baseline = raw MikroORM writing the same rows (the message and its
 * 10 inbox notifications) in one transaction per post; ratio = ours / baseline throughput.
 */
import { Message, Notification, Partner, Subtype } from '../../lib/index.js';
import { result, type BenchResult, type BenchScenario } from '../result.js';
import { BenchThread, benchDialects, withBenchApp } from '../support/bench-app.js';
import type { EntityManager } from '@mikro-orm/core';
import type { ChatterTesting } from '../../test/support/chatter-testing.js';

const FOLLOWERS = 10;
const WARMUP = 30;
const ROUNDS = 6;
const PER_ROUND = 100;

export const postMessage: BenchScenario = {
  name: 'post-message',
  async run() {
    const out: BenchResult[] = [];
    for (const dialect of benchDialects()) {
      out.push(await withBenchApp(dialect, measure, { chatter: { users: { defaultPreference: 'inbox' } } }));
    }
    return out;
  },
};

async function measure(app: ChatterTesting): Promise<BenchResult> {
  const dialect = app.db.dialect;
  const em = app.em();
  const record = em.create(BenchThread, { name: 'followed' });
  const customer = em.create(Partner, { email: 'customer@bench.test', name: 'Customer' });
  await em.persist([record, customer]).flush();
  const target = { model: 'bench_thread', id: String(record.id) };
  const followerIds: number[] = [];
  for (let i = 0; i < FOLLOWERS; i++) {
    const f = await app.threads.follow(target, { email: `agent${i}@bench.test`, name: `Agent ${i}`, userId: `agent${i}` });
    if (f.partner.notificationPreference !== 'inbox') throw new Error('post-message: followers must read in their inbox');
    followerIds.push(f.partner.id);
  }
  const discussions = await app.em().findOneOrFail(Subtype, { name: 'Discussions', resModel: null });
  let seq = 0;

  const ours = async () => {
    await app.threads.post(target, { body: `<p>Update number ${seq++} on this record.</p>`, type: 'comment', author: customer.id });
  };
  const baseline = async () => {
    const n = seq++;
    await app.orm.em.fork().transactional(async (tx: EntityManager) => {
      const message = tx.create(Message, {
        resModel: target.model,
        resId: target.id,
        messageType: 'comment',
        subtype: tx.getReference(Subtype, discussions.id),
        author: tx.getReference(Partner, customer.id),
        emailFrom: '"Customer" <customer@bench.test>',
        body: `<p>Update number ${n} on this record.</p>`,
        preview: `Update number ${n} on this record.`,
        messageId: `<baseline-${n}@bench.test>`,
      });
      for (const id of followerIds) {
        tx.create(Notification, { message, partner: tx.getReference(Partner, id), notificationType: 'inbox', status: 'sent' });
      }
    });
  };

  for (let i = 0; i < WARMUP; i++) {
    await ours();
    await baseline();
  }
  const last = await app.em().findOneOrFail(Message, { resModel: target.model, resId: target.id, messageId: { $like: '<%' }, emailFrom: { $ne: null } }, { orderBy: { id: 'desc' } });
  const sent = await app.em().count(Notification, { message: last.id, notificationType: 'inbox' });
  if (sent !== FOLLOWERS) throw new Error(`post-message: a post made ${sent} inbox notifications, expected ${FOLLOWERS}`);

  let oursMs = 0;
  let baseMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // alternate which goes first, so drift hits both alike
    const order = round % 2 ? [baseline, ours] : [ours, baseline];
    for (const run of order) {
      const t = performance.now();
      for (let i = 0; i < PER_ROUND; i++) await run();
      const ms = performance.now() - t;
      if (run === ours) oursMs += ms;
      else baseMs += ms;
    }
  }
  const n = ROUNDS * PER_ROUND;
  return result(`post-message/${dialect}`, 'posts/s', (n * 1000) / oursMs, (n * 1000) / baseMs, n);
}
