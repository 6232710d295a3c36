import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullJobRunner, InProcessJobRunner, JobRunner } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { RUNNERS, runnerSetup, type RunnerSetup } from '../support/runners.js';

// a chatter job name no handler takes in this host (no IMAP mailbox is configured)
const JOB = 'chatter.mailbox.fetch';

describe.each(RUNNERS)('the %s job runner', (runner) => {
  let queue: RunnerSetup;
  let t: ChatterTesting;
  beforeAll(async () => {
    queue = runnerSetup(runner);
    t = await startChatter('sqlite', { chatter: { queue: queue.queue } });
  });
  afterAll(async () => {
    await t?.close();
    await queue?.cleanup();
  });

  async function until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('is the runner the module options ask for', () => {
    expect(t.app.get(JobRunner)).toBeInstanceOf(runner === 'bull' ? BullJobRunner : InProcessJobRunner);
  });

  it('drops a keyed job while one with the key waits, and takes the key again once it ran, even after a failure', async () => {
    const jobs = t.app.get(JobRunner);
    const runs: number[] = [];
    jobs.register<{ n: number; fail?: boolean }>(JOB, async ({ n, fail }) => {
      runs.push(n);
      if (fail) throw new Error(`job ${n} fails on purpose`);
    });
    await jobs.enqueue(JOB, { n: 1 }, { key: 'inbox', delayMs: 300 });
    // a tick on another replica while the first waits
    await jobs.enqueue(JOB, { n: 2 }, { key: 'inbox' });
    await until(() => runs.length === 1, 'the delayed job');
    expect(runs).toEqual([1]);
    await jobs.enqueue(JOB, { n: 3, fail: true }, { key: 'inbox' });
    await until(() => runs.length === 2, 'the failing job');
    await jobs.drain();
    await jobs.enqueue(JOB, { n: 4 }, { key: 'inbox' });
    await jobs.enqueue(JOB, { n: 5 });
    await until(() => runs.length === 4, 'the jobs after the failure');
    expect(runs).toEqual([1, 3, 4, 5]);
  });
});
