/**
 * inbound-corpus-bull: the 786 corpus mails of inbound-corpus in queue mode, on PostgreSQL and a private Redis, in
 * mails per second until every ledger row has its final status (read from the database). Compiled sample-app
 * processes share one fresh database: one feeder takes the mails through its real ingress — its SMTP listener, an
 * MTA delivering to `support@` over SMTP_SESSIONS sessions at once — and runs no jobs (`CHATTER_QUEUE_WORKER=off`);
 * the processing runs as Bull jobs in 1, then 2 worker processes that take no mail. (SMTP, not the HTTP relay: the
 * relay refuses 12 corpus mails that start with blanks or a BOM; SMTP takes all 786, as inbound-corpus does. SMTP's
 * CRLF makes 7 mails that differ only in line endings byte-identical: they are duplicates at the door, where
 * inbound-corpus stores and ignores them; the rate counts all 786 in both.) The loop limit is lifted, as in
 * inbound-corpus, so every mail gets its route. baseline = mailparser's `simpleParser`
 * alone over the same mails in this run, as in inbound-corpus, so the ratios compare; the growth from 1 to 2
 * workers is printed and kept as a third line (value = 2 workers, baseline = 1 worker, ratio = growth).
 *
 * Warm, as in inbound-corpus: each process set first takes one untimed pass; between passes the tables that were
 * empty after boot (ledger, tickets, messages, partners, …) are emptied, so every pass starts on a fresh database
 * with warm processes. The built-in rows (subtypes, aliases), which the processes cache, stay.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { readCorpusMail, readManifest } from '../../test/support/corpus.js';
import { createTestDatabase } from '../../test/support/database.js';
import { freePort } from '../../test/support/free-port.js';
import { PrivateRedis, Replica, until } from '../../test/support/replicas.js';
import { median, result, type BenchResult, type BenchScenario } from '../result.js';

/** concurrent SMTP sessions of the delivering MTA (Postfix's default_destination_concurrency_limit) */
const SMTP_SESSIONS = 20;
/** timed passes per worker count (after one untimed) */
const ROUNDS = 3;
const FINAL = ['delivered', 'bounced', 'rejected', 'ignored', 'failed'];
const RECIPIENT = 'support@example.test';

export const inboundCorpusBull: BenchScenario = {
  name: 'inbound-corpus-bull',
  async run() {
    const raws = readManifest().map((entry) => readCorpusMail(entry));
    const baselineRate = await parserRate(raws);
    const redis = await PrivateRedis.start();
    const outboxDir = mkdtempSync(join(tmpdir(), 'bench-outbox-'));
    try {
      const one = await measure(raws, redis, 1, outboxDir);
      const two = await measure(raws, redis, 2, outboxDir);
      const list = (ns: number[]) => ns.map((n) => n.toFixed(0)).join(', ');
      const growth = median(two) / median(one);
      console.log(
        `\n  inbound-corpus-bull/postgresql: simpleParser ${baselineRate.toFixed(0)} mails/s; Bull 1 worker ${list(one)} mails/s; ` +
          `2 workers ${list(two)} mails/s; growth 1 → 2 workers ×${growth.toFixed(2)}`,
      );
      const out: BenchResult[] = [
        result('inbound-corpus-bull/postgresql/1-worker', 'mails/s', median(one), baselineRate, raws.length),
        result('inbound-corpus-bull/postgresql/2-workers', 'mails/s', median(two), baselineRate, raws.length),
        result('inbound-corpus-bull/postgresql/growth-1-to-2', 'mails/s', median(two), median(one), ROUNDS),
      ];
      return out;
    } finally {
      await redis.stop();
      rmSync(outboxDir, { recursive: true, force: true });
    }
  },
};

/** simpleParser over every mail, warm (one untimed pass), in mails/s: inbound-corpus's baseline */
async function parserRate(raws: Buffer[]): Promise<number> {
  for (const raw of raws) await simpleParser(raw);
  const started = performance.now();
  for (const raw of raws) await simpleParser(raw);
  return raws.length / ((performance.now() - started) / 1000);
}

/** a feeder and `workers` worker processes on a fresh database; mails/s of each timed pass */
async function measure(raws: Buffer[], redis: PrivateRedis, workers: number, outboxDir: string): Promise<number[]> {
  const db = await createTestDatabase('postgresql');
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    CHATTER_QUEUE_PREFIX: `bench-${randomBytes(3).toString('hex')}`,
    SMTP_LISTEN: 'off',
    CHATTER_OUTBOX_DIR: outboxDir,
    CHATTER_SECRET: 'bench-secret-0123456789abcdef',
    // the corpus has 30 mails from one sender; inbound-corpus lifts the limit too
    CHATTER_INBOUND_LOOP_LIMIT: '1000000',
  };
  const smtpPort = await freePort();
  const feeder = new Replica('feeder', await freePort(), { ...env, CHATTER_QUEUE_WORKER: 'off', SMTP_LISTEN: `127.0.0.1:${smtpPort}` });
  const pool = await Promise.all(Array.from({ length: workers }, async (_, i) => new Replica(`worker${i + 1}`, await freePort(), env)));
  const client = new pg.Client({ connectionString: db.url });
  try {
    await feeder.start(); // creates the schema
    await Promise.all(pool.map((w) => w.start()));
    await client.connect();
    const dataTables = await emptyTables(client);
    const rates: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      if (round > 0) await client.query(`truncate ${dataTables.map((t) => `"${t}"`).join(', ')}`);
      const started = performance.now();
      const rows = await feed(smtpPort, raws);
      const statuses = await allFinal(client, rows);
      const seconds = (performance.now() - started) / 1000;
      if (statuses.failed) throw new Error(`inbound-corpus-bull: ${statuses.failed} mail(s) failed: ${JSON.stringify(statuses)}`);
      if (round === 1) console.log(`\n  inbound-corpus-bull, ${workers} worker(s), ledger: ${JSON.stringify(statuses)}`);
      // round 0 warms up every process
      if (round > 0) rates.push(raws.length / seconds);
    }
    return rates;
  } catch (error) {
    for (const r of [feeder, ...pool]) console.error(`--- ${r.name}\n${r.log.slice(-20).join('\n')}`);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
    await Promise.all([feeder, ...pool].map((r) => r.stop()));
    await db.drop();
  }
}

/** the tables with no row after boot: what a pass writes, emptied before the next */
async function emptyTables(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ tablename: string }>(`select tablename from pg_tables where schemaname = current_schema()`);
  const empty: string[] = [];
  for (const { tablename } of rows) {
    const { rowCount } = await client.query(`select 1 from "${tablename}" limit 1`);
    if (!rowCount) empty.push(tablename);
  }
  if (!empty.includes('chatter_inbound_email')) throw new Error('inbound-corpus-bull: the ledger is not empty after boot');
  return empty;
}

/** every mail to the feeder's SMTP listener, each accepted (250: committed); the new ledger rows (the corpus repeats a few mails) */
async function feed(port: number, raws: Buffer[]): Promise<number> {
  const mta = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: SMTP_SESSIONS, maxMessages: Infinity });
  try {
    const fresh = await Promise.all(
      raws.map(async (raw) => {
        const info = await mta.sendMail({ envelope: { from: 'mta@bench.test', to: [RECIPIENT] }, raw });
        if (!/^250 /.test(info.response)) throw new Error(`inbound-corpus-bull: the listener answered ${info.response}`);
        return !/duplicate/.test(info.response);
      }),
    );
    return fresh.filter(Boolean).length;
  } finally {
    mta.close();
  }
}

/** waits until `total` ledger rows have a final status; their counts by status */
async function allFinal(client: pg.Client, total: number): Promise<Record<string, number>> {
  return until(
    async () => {
      const { rows } = await client.query<{ status: string; n: string }>('select status, count(*) as n from chatter_inbound_email group by status order by status');
      const counts = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      const done = FINAL.reduce((sum, s) => sum + (counts[s] ?? 0), 0);
      return done >= total ? counts : undefined;
    },
    `${total} ledger rows with a final status`,
    90_000,
    25,
  );
}
