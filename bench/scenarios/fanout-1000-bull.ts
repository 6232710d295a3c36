/**
 * fanout-1000-bull: the fan-out of fanout-1000 (one post on a record with 1,000 email followers, timed until a
 * loopback smtp-server sink in its own process has accepted all 1,000 mails) in queue mode, on PostgreSQL: processes
 * of the compiled sample app sharing one database and a private Redis, the post made through the first one.
 * value = 2 worker processes on Bull; baseline = 1 sample-app process with the in-process runner, in the same run
 * (ratio = baseline / value: above 1 when two processes send faster than one). A second line compares the worker
 * counts on Bull: value = 2 processes, baseline = 1 process, ratio = baseline / value (the growth from 1 to 2 workers).
 */
import { SinkProcess } from '../support/sink-process.js';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '../../test/support/database.js';
import { freePort } from '../../test/support/free-port.js';
import { PrivateRedis, Replica } from '../../test/support/replicas.js';
import { median, result, type BenchResult, type BenchScenario } from '../result.js';

const FOLLOWERS = 1000;
const ROUNDS = 5;
const agent = { 'x-user-email': 'agent@bench.test', 'x-user-name': 'Agent' };

export const fanout1000Bull: BenchScenario = {
  name: 'fanout-1000-bull',
  async run() {
    const sink = await SinkProcess.start();
    const redis = await PrivateRedis.start();
    try {
      const inProcess = await measure(sink, 1, undefined);
      const bull1 = await measure(sink, 1, redis.url);
      const bull2 = await measure(sink, 2, redis.url);
      const list = (ns: number[]) => ns.map((n) => n.toFixed(0)).join(', ');
      const value = median(bull2);
      const baseline = median(inProcess);
      const growth = median(bull1) / value;
      console.log(
        `\n  fanout-1000-bull/postgresql: in-process (1 process) ${list(inProcess)} ms; Bull 1 process ${list(bull1)} ms; ` +
          `Bull 2 processes ${list(bull2)} ms; growth 1 → 2 workers ×${growth.toFixed(2)}`,
      );
      const inverted = (r: BenchResult) => ({ ...r, ratio: Math.round((r.baseline / r.value) * 1000) / 1000 });
      return [
        inverted(result('fanout-1000-bull/postgresql', 'ms', value, baseline, ROUNDS)),
        inverted(result('fanout-1000-bull/postgresql/1-vs-2-workers', 'ms', value, median(bull1), ROUNDS)),
      ];
    } finally {
      await redis.stop();
      sink.stop();
    }
  },
};

/** `processes` sample apps (queue mode when `redisUrl`) on a fresh database; the times of ROUNDS fan-outs */
async function measure(sink: SinkProcess, processes: number, redisUrl: string | undefined): Promise<number[]> {
  const db = await createTestDatabase('postgresql');
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    SMTP_LISTEN: 'off',
    CHATTER_SECRET: 'bench-secret-0123456789abcdef',
    ...(redisUrl ? { REDIS_URL: redisUrl, CHATTER_QUEUE_PREFIX: `bench-${randomBytes(3).toString('hex')}` } : {}),
  };
  const apps = await Promise.all(Array.from({ length: processes }, async (_, i) => new Replica(`w${i}`, await freePort(), env)));
  try {
    await apps[0].start(); // creates the schema
    await Promise.all(apps.slice(1).map((a) => a.start()));
    const { body: ticket } = await apps[0].http('POST', '/tickets', { subject: 'Fan-out' }, agent);
    for (let i = 0; i < FOLLOWERS; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, FOLLOWERS - i) }, (_, j) =>
        apps[0].http('POST', `/chatter/ticket/${ticket.id}/followers`, { email: `customer${i + j}@outside.test`, name: `Customer ${i + j}` })));
    }
    const times: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const { done } = await sink.expect(FOLLOWERS);
      const start = performance.now();
      const posted = await apps[0].http('POST', `/chatter/ticket/${ticket.id}/messages`, { body: `Update ${round}: the parts arrived.` }, agent);
      if (posted.status !== 201) throw new Error(`fanout-1000-bull: the post was refused: ${JSON.stringify(posted.body)}`);
      await done;
      // round 0 warms up connections and JIT
      if (round > 0) times.push(performance.now() - start);
    }
    return times;
  } finally {
    await Promise.all(apps.map((a) => a.stop()));
    await db.drop();
  }
}
