import { Logger } from '@nestjs/common';
import type { JobRunner } from '../jobs/job-runner.js';

/** processing job data: the ledger rows to process (`id` is what older jobs carry) */
export interface ProcessJob {
  id?: number;
  ids?: number[];
}

/** batches per job: parsing one batch overlaps routing the previous one */
const BATCHES_PER_JOB = 4;

/** rows remembered as taken along (and as ended), at most: a row whose own job runs on another replica stays */
const MAX_REMEMBERED = 100_000;

/**
 * Which committed ledger rows are processed together. Rows scheduled in the same tick share jobs (of a few batches
 * each); and a job that starts here also takes the rows this process scheduled since (their own jobs, when they run,
 * find them claimed), so mails received one at a time — an SMTP session, an IMAP fetch — are still processed in
 * batches while the previous batch is being written. Jobs carry their rows' ids, so any replica can run them.
 */
export class InboundSchedule {
  private readonly logger = new Logger('ChatterInbound');
  private unscheduled: number[] = [];
  /** scheduled by this process, not yet taken by a job running here */
  private readonly waiting = new Set<number>();
  /** rows a job here took along, before their own job ran */
  private readonly takenAlong = new Set<number>();
  /**
   * rows taken along that then reached their final status: their own job has nothing left to do for them (without
   * this, each such job claimed its rows in vain, one more statement each)
   */
  private readonly endedAlong = new Set<number>();

  constructor(
    private readonly jobs: JobRunner,
    private readonly jobName: string,
    private readonly batchSize: number,
  ) {}

  /** rows per job */
  get jobSize(): number {
    return this.batchSize * BATCHES_PER_JOB;
  }

  schedule(ids: number[]): void {
    if (ids.length === 0) return;
    if (this.unscheduled.length === 0) queueMicrotask(() => void this.enqueue());
    this.unscheduled.push(...ids);
  }

  /** a row reached its final status in this process */
  ended(id: number): void {
    if (this.takenAlong.delete(id)) remember(this.endedAlong, id);
  }

  /**
   * The rows a job starting now processes: its own, then rows waiting here, up to the job size; null when every row
   * of its own was taken along by an earlier job and ended there (the job has nothing to do: it takes no others).
   */
  take(job: ProcessJob): number[] | null {
    const carried = job.ids ?? (job.id === undefined ? [] : [job.id]);
    const own = carried.filter((id) => !this.endedAlong.delete(id));
    if (carried.length && !own.length) return null;
    const ids = new Set(own);
    for (const id of own) {
      this.waiting.delete(id);
      this.takenAlong.delete(id);
    }
    for (const id of this.waiting) {
      if (ids.size >= this.batchSize * BATCHES_PER_JOB) break;
      ids.add(id);
      this.waiting.delete(id);
      remember(this.takenAlong, id);
    }
    return [...ids].sort((a, b) => a - b);
  }

  private async enqueue(): Promise<void> {
    const ids = [...new Set(this.unscheduled)].sort((a, b) => a - b);
    this.unscheduled = [];
    // rows wait here for a job of this process to take them: none will on a replica that runs no jobs
    if (this.jobs.runsJobs) for (const id of ids) this.waiting.add(id);
    const perJob = this.batchSize * BATCHES_PER_JOB;
    for (let i = 0; i < ids.length; i += perJob) {
      const chunk = ids.slice(i, i + perJob);
      // the key makes scheduling the same rows again (a restart on every replica) one job while it waits
      const key = chunk.length === 1 ? String(chunk[0]) : `${chunk[0]}-${chunk[chunk.length - 1]}:${chunk.length}`;
      try {
        await this.jobs.enqueue<ProcessJob>(this.jobName, { ids: chunk }, { key });
      } catch (error) {
        // the rows are committed: the inbound sweep (or the next boot) schedules them again
        this.logger.error(`could not schedule inbound mails ${chunk.join(', ')}: ${(error as Error).message}`);
      }
    }
  }
}

/** adds `id`, forgetting the oldest entry past MAX_REMEMBERED */
function remember(set: Set<number>, id: number): void {
  set.add(id);
  if (set.size > MAX_REMEMBERED) set.delete(set.values().next().value!);
}
