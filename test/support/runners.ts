import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ChatterQueueOptions } from '../../lib/index.js';
import type { Dialect } from './database.js';

/** The job runners every background-job test runs against: in this process, and Bull on Redis (queue mode). */
export const RUNNERS = ['in-process', 'bull'] as const;
export type Runner = (typeof RUNNERS)[number];

/** The Redis tests use; it must be running (CI's machine has it). */
export const REDIS_URL = process.env.CHATTER_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** every dialect with every runner, for `describe.each` */
export function withRunners(dialects: Dialect[]): [Dialect, Runner][] {
  return dialects.flatMap((d) => RUNNERS.map((r) => [d, r] as [Dialect, Runner]));
}

export interface RunnerSetup {
  /** `queue` for ChatterModule.forRoot (undefined: in-process) */
  queue: ChatterQueueOptions | undefined;
  /** the sample app's environment for this runner */
  env: Record<string, string>;
  /** deletes this test's Redis keys */
  cleanup(): Promise<void>;
}

/** a private queue prefix per call, so parallel test files never share jobs */
export function runnerSetup(runner: Runner): RunnerSetup {
  if (runner === 'in-process') return { queue: undefined, env: {}, cleanup: async () => undefined };
  const prefix = `chatter-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  return {
    queue: { redis: REDIS_URL, prefix },
    env: { REDIS_URL, CHATTER_QUEUE_PREFIX: prefix },
    cleanup: () => deleteRedisKeys(`${prefix}:*`),
  };
}

export async function deleteRedisKeys(pattern: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
