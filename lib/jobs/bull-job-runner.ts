import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { JobRunner, type JobHandler, type JobOptions } from './job-runner.js';
import { CHATTER_JOB_NAMES, type ChatterJobName } from './job-names.js';

/** Bull rejects `process()` when a queue is closed before it finished connecting: never close sooner than this */
const MIN_QUEUE_LIFETIME_MS = 150;
/** failed jobs kept per queue for the health check and operators */
const KEEP_FAILED = 1000;

/** whether this replica runs jobs (`queue.worker`, default true) */
export const CHATTER_QUEUE_WORKER = Symbol('CHATTER_QUEUE_WORKER');

/** Failed and waiting counts of one queue. */
export interface QueueCounts {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
}

/**
 * Runs the chatter's jobs on Bull queues (one per job name, registered through `@nestjs/bull`), so every replica
 * sharing the Redis takes a share of the work. A job key becomes the Bull job id: while a job with that id waits,
 * runs or is delayed, enqueueing the same key again is a no-op — which is how schedule ticks on N replicas become
 * one fetch. Jobs are hints: the rows they act on are claimed in the database, so a job run twice (a stalled job
 * taken over) does no harm, and a lost one is found again by the sweeps.
 *
 * Shutdown: before the app shuts down this replica stops taking jobs and waits for its running ones (while the ORM is
 * still open); then it closes the queues itself — `@nestjs/bull`'s own close hook is routed here, so the two never
 * race and a queue is never closed while still connecting.
 */
@Injectable()
export class BullJobRunner extends JobRunner implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ChatterJobs');
  private readonly startedAt = Date.now();
  private readonly registered = new Set<string>();
  private readonly queues = new Map<string, Queue>();
  private stopping: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    @Optional() @Inject(CHATTER_QUEUE_WORKER) private readonly worker: boolean = true,
  ) {
    super();
  }

  override get runsJobs(): boolean {
    return this.worker;
  }

  private queue(name: string): Queue {
    const known = this.queues.get(name);
    if (known) return known;
    if (!CHATTER_JOB_NAMES.includes(name as ChatterJobName)) throw new Error(`job "${name}" is not one of CHATTER_JOB_NAMES`);
    const queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
    queue.on('error', (error: Error) => this.logger.error(`queue ${name}: ${message(error)}`));
    queue.on('failed', (job, error: Error) => this.logger.error(`job ${name}#${job.id} failed: ${message(error)}`));
    // @nestjs/bull closes each queue in its own shutdown hook: route it through ours (one close, after the wait)
    (queue as Queue & { onApplicationShutdown?: () => Promise<void> }).onApplicationShutdown = () => this.close();
    this.queues.set(name, queue);
    return queue;
  }

  register<T>(name: string, handler: JobHandler<T>, options: { concurrency?: number } = {}): void {
    if (this.registered.has(name)) throw new Error(`job "${name}" is registered twice`);
    this.registered.add(name);
    const queue = this.queue(name);
    // a replica with `worker: false` only enqueues; `drain()` still counts this name's jobs, which the others run
    if (!this.worker) return;
    void queue.process(options.concurrency ?? 1, async (job) => handler(job.data as T)).catch((error: unknown) => {
      // process() rejects (with undefined) when the queue closes under it; anything else is worth a line
      if (!this.closing) this.logger.error(`queue ${name} stopped processing: ${message(error)}`);
    });
  }

  async enqueue<T>(name: string, data: T, options: JobOptions = {}): Promise<void> {
    if (this.stopping) return;
    const queue = this.queue(name);
    const jobId = options.key ? `${name}:${options.key}` : undefined;
    if (jobId) {
      // a failed job keeps its id in Redis and would swallow every later job with the same key
      const previous = await queue.getJob(jobId);
      if (previous && ((await previous.isFailed()) || (await previous.isCompleted()))) await previous.remove().catch(() => undefined);
    }
    await queue.add(data, { jobId, delay: options.delayMs, removeOnComplete: true, removeOnFail: KEEP_FAILED, attempts: 1 });
  }

  /** resolves when no job of this runner's names waits or runs (delayed ones, like retries, do not count) */
  async drain(): Promise<void> {
    for (;;) {
      let pending = 0;
      for (const name of this.registered) {
        const counts = await this.queue(name).getJobCounts();
        pending += counts.waiting + counts.active;
      }
      if (pending === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** per queue: waiting, active, delayed and failed jobs (across every replica) */
  async counts(): Promise<QueueCounts[]> {
    return Promise.all(
      CHATTER_JOB_NAMES.map(async (name) => ({ name, ...(await this.queue(name).getJobCounts()) })),
    );
  }

  /** stops taking jobs on this replica and waits for the running ones; queued jobs stay in Redis for the others */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.settle();
      await Promise.all([...this.queues.values()].map((q) => q.pause(true, false).catch(() => undefined)));
    })();
    return this.stopping;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.stop();
      await Promise.all([...this.queues.values()].map((q) => q.close().catch((e: unknown) => this.logger.warn(`closing queue ${q.name}: ${message(e)}`))));
    })();
    return this.closing;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /**
   * A queue still connecting must not be closed: Bull's worker naming (`process()`) then rejects unhandled. Waits
   * until every Redis connection the queues opened is ready — at most a while, a Redis that is down must not hold
   * the shutdown forever.
   */
  private async settle(): Promise<void> {
    const age = Date.now() - this.startedAt;
    if (age < MIN_QUEUE_LIFETIME_MS) await new Promise((r) => setTimeout(r, MIN_QUEUE_LIFETIME_MS - age));
    const deadline = Date.now() + 2_000;
    const connecting = () =>
      [...this.queues.values()].some((q) => ((q as unknown as { clients: { status: string }[] }).clients ?? []).some((c) => c.status !== 'ready' && c.status !== 'end'));
    while (connecting() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // the worker name goes out right after `ready`
    await new Promise((r) => setTimeout(r, 20));
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
