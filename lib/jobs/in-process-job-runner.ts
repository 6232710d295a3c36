import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { JobRunner, type JobHandler, type JobOptions } from './job-runner.js';

interface Queue {
  handler: JobHandler<any>;
  concurrency: number;
  running: number;
  waiting: { data: unknown; key?: string }[];
}

/**
 * Runs jobs in this process, with a concurrency limit per job name. Jobs are not persisted: every job the chatter
 * enqueues is also recoverable from the database (outbox rows, ledger rows), which is what makes this safe.
 */
@Injectable()
export class InProcessJobRunner extends JobRunner implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('ChatterJobs');
  private readonly queues = new Map<string, Queue>();
  private readonly keys = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private idle: (() => void)[] = [];
  private closed = false;

  register<T>(name: string, handler: JobHandler<T>, options: { concurrency?: number } = {}): void {
    if (this.queues.has(name)) throw new Error(`job "${name}" is registered twice`);
    this.queues.set(name, { handler, concurrency: options.concurrency ?? 1, running: 0, waiting: [] });
  }

  async enqueue<T>(name: string, data: T, options: JobOptions = {}): Promise<void> {
    if (this.closed) return;
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`job "${name}" is not registered`);
    const key = options.key ? `${name}:${options.key}` : undefined;
    if (key && this.keys.has(key)) return;
    if (key) this.keys.add(key);
    if (options.delayMs && options.delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        queue.waiting.push({ data, key });
        this.pump(name, queue);
      }, options.delayMs);
      timer.unref();
      this.timers.add(timer);
      return;
    }
    queue.waiting.push({ data, key });
    this.pump(name, queue);
  }

  private pump(name: string, queue: Queue): void {
    while (!this.closed && queue.running < queue.concurrency && queue.waiting.length > 0) {
      const job = queue.waiting.shift()!;
      if (job.key) this.keys.delete(job.key);
      queue.running++;
      queue
        .handler(job.data)
        .catch((error: Error) => this.logger.error(`job ${name} failed: ${error.stack ?? error.message}`))
        .finally(() => {
          queue.running--;
          this.pump(name, queue);
          this.notifyIdle();
        });
    }
    this.notifyIdle();
  }

  private busy(): boolean {
    for (const q of this.queues.values()) if (q.running > 0 || q.waiting.length > 0) return true;
    return false;
  }

  private notifyIdle(): void {
    if (this.busy()) return;
    const waiters = this.idle;
    this.idle = [];
    for (const resolve of waiters) resolve();
  }

  drain(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const q of this.queues.values()) q.waiting.length = 0;
    // let running jobs finish: they hold database rows that must not stay claimed
    while (this.busy()) await new Promise((r) => setTimeout(r, 10));
  }

  /** stop taking jobs and let the running ones finish while the ORM is still open */
  async beforeApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
