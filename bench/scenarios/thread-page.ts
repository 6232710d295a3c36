/**
 * thread-page: the newest page of a 100,000-message thread vs the page 100,000 messages deep, through
 * `ThreadService.messages` (keyset paging). value = deep-page median ms, baseline = first-page median ms,
 * ratio = deep / first: a flat cost is ≈ 1.
 */
import { Message, Notification, Partner, Subtype, TrackingValue } from '../../lib/index.js';
import { elapsedMs, median, result, type BenchResult, type BenchScenario } from '../result.js';
import { BenchThread, benchDialects, withBenchApp } from '../support/bench-app.js';
import type { ChatterTesting } from '../../test/support/chatter-testing.js';

const MESSAGES = 100_000;
/** another thread's messages interleaved with ours, so the thread's ids are not one contiguous run */
const NOISE_EVERY = 5;
const PAGE = 30;
const WARMUP = 20;
const SAMPLES = 200;
const BATCH = 1000;

export const threadPage: BenchScenario = {
  name: 'thread-page',
  async run() {
    const out: BenchResult[] = [];
    for (const dialect of benchDialects()) {
      out.push(await withBenchApp(dialect, async (app) => {
        const { threadId, oldestIds } = await seed(app);
        const target = { model: 'bench_thread', id: String(threadId) };
        const deepBefore = oldestIds[PAGE]; // the page holding the thread's 30 oldest messages
        const first = () => app.threads.messages(target, { limit: PAGE });
        const deep = () => app.threads.messages(target, { limit: PAGE, before: deepBefore });
        const check = await deep();
        if (check.length !== PAGE || check[PAGE - 1].message.id !== oldestIds[0]) throw new Error('thread-page: the deep page is not the oldest page');
        for (let i = 0; i < WARMUP; i++) {
          await first();
          await deep();
        }
        const firstMs: number[] = [];
        const deepMs: number[] = [];
        for (let i = 0; i < SAMPLES; i++) {
          // alternate, so drift (caches, autovacuum) hits both alike
          let t = performance.now();
          await first();
          firstMs.push(elapsedMs(t));
          t = performance.now();
          await deep();
          deepMs.push(elapsedMs(t));
        }
        return result(`thread-page/${dialect}`, 'ms', median(deepMs), median(firstMs), SAMPLES);
      }));
    }
    return out;
  },
};

/** 100k messages on one record (with a notification each and a tracking value every 10th), 20k on another */
async function seed(app: ChatterTesting): Promise<{ threadId: number; oldestIds: number[] }> {
  const em = app.em();
  const thread = em.create(BenchThread, { name: 'busy' });
  const other = em.create(BenchThread, { name: 'other' });
  const reader = em.create(Partner, { email: 'reader@bench.test', name: 'Reader', userId: 'reader', notificationPreference: 'inbox' });
  await em.persist([thread, other, reader]).flush();
  const discussions = await em.findOneOrFail(Subtype, { name: 'Discussions', resModel: null });
  const now = Date.now();
  await em.transactional(async (tx) => {
    let rows: Record<string, unknown>[] = [];
    const flushRows = async () => {
      if (rows.length) await tx.insertMany(Message, rows as any);
      rows = [];
    };
    for (let i = 0; i < MESSAGES; i++) {
      rows.push(messageRow(thread.id, i, discussions.id, reader.id, now));
      if (i % NOISE_EVERY === 0) rows.push(messageRow(other.id, i, discussions.id, reader.id, now));
      if (rows.length >= BATCH) await flushRows();
    }
    await flushRows();
  });
  const ids = (await app.em().find(Message, { resModel: 'bench_thread', resId: String(thread.id) }, { fields: ['id'], orderBy: { id: 'asc' } })).map((m) => m.id);
  // + 1: creating the record posted its "created" message
  if (ids.length !== MESSAGES + 1) throw new Error(`thread-page: the thread has ${ids.length} messages, expected ${MESSAGES + 1}`);
  await app.em().transactional(async (tx) => {
    for (let i = 0; i < ids.length; i += BATCH) {
      const slice = ids.slice(i, i + BATCH);
      await tx.insertMany(Notification, slice.map((id) => ({
        message: id, partner: reader.id, notificationType: 'inbox', status: 'sent', isRead: false, createdAt: new Date(now),
      })) as any);
      const tracked = slice.filter((id) => id % 10 === 0);
      if (tracked.length) {
        await tx.insertMany(TrackingValue, tracked.map((id) => ({ message: id, field: 'status', fieldType: 'string', oldValue: 'new', newValue: 'done' })) as any);
      }
    }
  });
  // fresh statistics, as a live database would have after autovacuum / `ANALYZE`
  await app.em().getConnection().execute('analyze', [], 'run');
  return { threadId: thread.id, oldestIds: ids.slice(0, PAGE + 1) };
}

function messageRow(threadId: number, i: number, subtypeId: number, authorId: number, now: number) {
  return {
    resModel: 'bench_thread',
    resId: String(threadId),
    messageType: 'comment',
    subtype: subtypeId,
    author: authorId,
    emailFrom: 'reader@bench.test',
    subject: null,
    body: `<p>Message ${i} of the thread, with a little text to make the row realistic.</p>`,
    preview: `Message ${i} of the thread, with a little text to make the row realistic.`,
    messageId: `<bench-${threadId}-${i}@bench.test>`,
    parent: null,
    isInternal: false,
    createdAt: new Date(now + i),
  };
}
