/** A unit of background work: a name, JSON-able data, and an optional key that makes enqueueing idempotent. */
export interface JobOptions {
  /** a second job with the same key, while the first is waiting, is dropped */
  key?: string;
  delayMs?: number;
}

export type JobHandler<T = unknown> = (data: T) => Promise<void>;

/**
 * How the chatter runs its background work (sending, inbound processing, fetch ticks, retries).
 * In-process by default; the same handlers run on Bull when a queue is configured.
 */
export abstract class JobRunner {
  abstract register<T>(name: string, handler: JobHandler<T>, options?: { concurrency?: number }): void;
  abstract enqueue<T>(name: string, data: T, options?: JobOptions): Promise<void>;
  /** false on a replica that only enqueues (queue mode with `worker: false`): its jobs run on the other replicas */
  get runsJobs(): boolean {
    return true;
  }
  /** resolves when nothing is queued or running (tests and shutdown) */
  abstract drain(): Promise<void>;
  abstract close(): Promise<void>;
}
