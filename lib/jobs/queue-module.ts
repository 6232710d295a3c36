import type { DynamicModule, Provider } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import type { QueueOptions } from 'bull';
import { BullJobRunner, CHATTER_QUEUE_WORKER } from './bull-job-runner.js';
import { CHATTER_JOB_NAMES } from './job-names.js';
import { JobRunner } from './job-runner.js';

/** Queue mode (`ChatterModule.forRoot({ queue })`): the chatter's jobs on Bull queues in this Redis. */
export interface ChatterQueueOptions {
  /** `redis://host:6379/0` or ioredis options */
  redis: string | NonNullable<Exclude<QueueOptions['redis'], string>>;
  /** Redis key prefix of the chatter's queues; default `chatter` (replicas of one app share it) */
  prefix?: string;
  /** false: this replica enqueues jobs but runs none (a web or ingress-only replica; the others run them); default true */
  worker?: boolean;
}

/** the Bull config key the chatter's queues use, so a host's own `BullModule.forRoot()` stays its own */
const CONFIG_KEY = 'nestjs-chatter';

/**
 * A job whose replica died is handed to another after its lock runs out (renewed every half lock while the replica
 * lives) and the next stalled-job check: 15 s + 5 s instead of Bull's 30 s + 30 s, so a mailbox whose fetching replica
 * was killed is fetched again within about 20 s (or its `leaseMs`, if longer). Running a job twice is harmless here:
 * every job re-checks its database claim or lease.
 */
const STALL_SETTINGS = { lockDuration: 15_000, stalledInterval: 5_000 };

/** the imports and the JobRunner provider of queue mode */
export function queueModeParts(queue: ChatterQueueOptions): { imports: DynamicModule[]; providers: Provider[] } {
  if (!queue?.redis) throw new Error('ChatterModule: `queue.redis` is required in queue mode (a redis:// URL or ioredis options)');
  const redis = queue.redis;
  return {
    imports: [
      BullModule.forRoot(CONFIG_KEY, { redis: redis as QueueOptions['redis'], prefix: queue.prefix ?? 'chatter', settings: STALL_SETTINGS }),
      BullModule.registerQueue(...CHATTER_JOB_NAMES.map((name) => ({ name, configKey: CONFIG_KEY }))),
    ],
    // replaces the in-process runner of the module's static providers (a later provider of a token wins)
    providers: [{ provide: JobRunner, useClass: BullJobRunner }, { provide: CHATTER_QUEUE_WORKER, useValue: queue.worker ?? true }],
  };
}
