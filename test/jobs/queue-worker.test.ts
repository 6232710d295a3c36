import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullJobRunner, JobRunner } from '../../lib/index.js';
import { startChatter, type ChatterTesting } from '../support/chatter-testing.js';
import { runnerSetup } from '../support/runners.js';

// a chatter job name no handler takes in these hosts (no IMAP mailbox is configured)
const JOB = 'chatter.mailbox.fetch';

describe('queue mode with `worker: false`', () => {
  const queue = runnerSetup('bull');
  let enqueuer: ChatterTesting;
  let worker: ChatterTesting | undefined;
  beforeAll(async () => {
    enqueuer = await startChatter('sqlite', { chatter: { queue: { ...queue.queue!, worker: false } } });
  });
  afterAll(async () => {
    await worker?.close();
    await enqueuer?.close();
    await queue.cleanup();
  });

  it('enqueues on the shared queue but runs nothing; a replica that is a worker runs the job', async () => {
    const jobs = enqueuer.app.get(JobRunner) as BullJobRunner;
    expect(jobs.runsJobs).toBe(false);
    const ranOnEnqueuer: number[] = [];
    jobs.register<{ n: number }>(JOB, async ({ n }) => void ranOnEnqueuer.push(n));
    await jobs.enqueue(JOB, { n: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(ranOnEnqueuer).toEqual([]);
    expect((await jobs.counts()).find((c) => c.name === JOB)?.waiting).toBe(1);

    worker = await startChatter('sqlite', { chatter: { queue: queue.queue } });
    const workerJobs = worker.app.get(JobRunner);
    expect(workerJobs.runsJobs).toBe(true);
    const ranOnWorker: number[] = [];
    workerJobs.register<{ n: number }>(JOB, async ({ n }) => void ranOnWorker.push(n));
    // the enqueuer's drain counts the jobs the other replica runs
    await jobs.drain();
    expect(ranOnWorker).toEqual([1]);
    expect(ranOnEnqueuer).toEqual([]);
  });
});
