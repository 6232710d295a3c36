import { afterAll, describe, expect, it } from 'vitest';
import { BullJobRunner, JobRunner } from '../../lib/index.js';
import { startChatter } from '../support/chatter-testing.js';
import { runnerSetup } from '../support/runners.js';

describe('queue mode shutdown', () => {
  const queue = runnerSetup('bull');
  afterAll(() => queue.cleanup());

  it('boots on Bull and closes at once without an unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const t = await startChatter('sqlite', { chatter: { queue: queue.queue } });
      expect(t.app.get(JobRunner)).toBeInstanceOf(BullJobRunner);
      await t.close();
      // a rejection surfaces a tick later
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      process.off('unhandledRejection', onRejection);
    }
    expect(rejections.map((r) => (r as Error)?.stack ?? String(r))).toEqual([]);
  });
});
