import { describe, expect, it } from 'vitest';
import { InboundSchedule, type ProcessJob } from '../../lib/gateway/inbound-schedule.js';
import { InProcessJobRunner } from '../../lib/jobs/in-process-job-runner.js';

const JOB = 'test.inbound.process';

/**
 * Rows committed while a job runs get jobs of their own; the next job takes them along. Their own jobs then run with
 * rows that already ended here: such a job has nothing to do, and must not claim them again in vain.
 */
describe('inbound schedule', () => {
  /** runs the jobs of three schedules; the first job holds until the other two are queued. Returns each job's take. */
  async function takes(endedHere: (ids: number[]) => number[]): Promise<(number[] | null)[]> {
    const jobs = new InProcessJobRunner();
    const schedule = new InboundSchedule(jobs, JOB, 50);
    const taken: (number[] | null)[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    jobs.register<ProcessJob>(JOB, async (job) => {
      const ids = schedule.take(job);
      taken.push(ids);
      if (taken.length === 1) await gate;
      for (const id of endedHere(ids ?? [])) schedule.ended(id);
    });
    schedule.schedule([1, 2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    schedule.schedule([4, 5]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    schedule.schedule([6]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    await jobs.drain();
    await jobs.onApplicationShutdown();
    return taken;
  }

  it('skips a job whose rows all ended in an earlier job that took them along', async () => {
    expect(await takes((ids) => ids)).toEqual([[1, 2, 3], [4, 5, 6], null]);
  });

  it('still runs a job for a row taken along that did not end (it waits for its parent, say)', async () => {
    expect(await takes((ids) => ids.filter((id) => id !== 6))).toEqual([[1, 2, 3], [4, 5, 6], [6]]);
  });
});
