import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSink } from '../outbound/support/smtp-sink.js';
import { PrivatePostgres } from '../support/private-postgres.js';
import { PrivateRedis, Replica, startReplicas, until } from '../support/replicas.js';
import { countAtSink, inFlightAtKill } from './support/sink-accounting.js';

const FOLLOWERS = 60; // above the sample app's inline limit (50): every post fans out through the queue
const TICKETS = 4;
/** followers of the ticket whose post the killed replica sends itself (below the inline limit) */
const INLINE_FOLLOWERS = 40;
/**
 * above the PostgreSQL restart's downtime: a sender whose database went away records what it sent once it is back,
 * while its claim still holds (the library default is 10 minutes)
 */
const CLAIM_TIMEOUT_MS = 8_000;
/**
 * the sample app's retries start here and double up to 5 times this: 8 attempts span 54 s, more than the SMTP outage
 * (at 500 ms they spanned 13.5 s and the outage's first mails were given up)
 */
const RETRY_MS = 2_000;
/** as the issue asks; a post round every OUTAGE_ROUND_MS meanwhile */
const SINK_OUTAGE_MS = 30_000;
const OUTAGE_ROUND_MS = 5_000;
/** how long PostgreSQL stays down in its restart (nothing listens on its port meanwhile) */
const PG_DOWN_MS = 3_000;
/** a client retries a refused post for this long (the PostgreSQL restart refuses posts for a few seconds) */
const POST_RETRY_MS = 30_000;
const agent = { 'x-user-email': 'agent@example.test', 'x-user-name': 'Agent Smith' };

/**
 * Three sample-app processes on one private PostgreSQL and one private Redis post to tickets with many followers
 * while one replica is SIGKILLed mid-send, the SMTP sink is down for 30 s, Redis restarts and PostgreSQL restarts
 * mid fan-out. Afterwards every notification reached the sink exactly once (counted by Message-ID + recipient),
 * the outbox holds nothing stuck, and the replicas that were not killed are still running.
 */
describe('three replicas on PostgreSQL + Redis under faults', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let sink: SmtpSink;
  let replicas: Replica[] = [];
  /** a pool, not one client: the test's own connection also dies in the PostgreSQL restart */
  let sql: pg.Pool;

  beforeAll(async () => {
    postgres = await PrivatePostgres.start();
    redis = await PrivateRedis.start();
    sink = await SmtpSink.start();
    const env = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      CHATTER_QUEUE_PREFIX: `faults-${randomBytes(3).toString('hex')}`,
      SMTP_URL: sink.url,
      SMTP_LISTEN: 'off',
      CHATTER_SECRET: 'fault-suite-secret-0123456789',
      CHATTER_OUTBOX_CLAIM_TIMEOUT_MS: String(CLAIM_TIMEOUT_MS),
      CHATTER_OUTBOX_SWEEP_MS: '500',
      CHATTER_OUTBOX_RETRY_MS: String(RETRY_MS),
    };
    replicas = await startReplicas(['a', 'b', 'c'], env);
    sql = new pg.Pool({ connectionString: postgres.url, max: 2 });
    sql.on('error', () => undefined); // an idle connection ended by the restart; the pool opens a new one
  }, 120_000);

  afterAll(async () => {
    await sql?.end().catch(() => undefined);
    await Promise.all(replicas.map((r) => r.stop()));
    await redis?.stop();
    await postgres?.destroy();
    // last: it reads every mail the sink received and throws on a malformed one
    await sink?.stop();
  }, 120_000);

  async function count(query: string, params: unknown[] = []): Promise<number> {
    return Number((await sql.query(query, params)).rows[0].n);
  }

  let posts = 0;
  let expectedMails = 0;

  /** one post on every ticket, through the replicas in turn; a post the app refuses (500) is tried again, as a client would */
  async function postRound(label: string, tickets: number[], through: Replica[], followers = FOLLOWERS): Promise<string[]> {
    const refused: string[] = [];
    const giveUp = Date.now() + POST_RETRY_MS;
    await Promise.all(tickets.map(async (id, i) => {
      for (let attempt = 0; ; attempt++) {
        const r = await through[(i + attempt) % through.length].http('POST', `/chatter/ticket/${id}/messages`, { body: `${label} on ticket ${id}` }, agent).catch((e: Error) => ({ status: 0, body: e.message }));
        if (r.status === 201) break;
        refused.push(`${r.status} ${JSON.stringify(r.body)}`);
        if (Date.now() > giveUp) throw new Error(`post ${label} on ticket ${id} refused for ${POST_RETRY_MS / 1000} s: ${refused.join('; ')}`);
        await new Promise((res) => setTimeout(res, 250));
      }
      posts++;
      expectedMails += followers;
    }));
    return refused;
  }

  async function newTicket(subject: string, followers: number, prefix: string): Promise<number> {
    const { body: ticket } = await replicas[0].http('POST', '/tickets', { subject }, agent);
    for (let f = 0; f < followers; f++) {
      const res = await replicas[f % 3].http('POST', `/chatter/ticket/${ticket.id}/followers`, { email: `${prefix}${f}@outside.test`, name: `Follower ${f}` });
      expect(res.status).toBe(201);
    }
    return ticket.id;
  }

  it('loses no notification and sends none twice, except the mails in flight at a SIGKILL, through SIGKILL, an SMTP outage, a Redis restart and a PostgreSQL restart', { timeout: 240_000 }, async () => {
    const [a, b, c] = replicas;
    const tickets: number[] = [];
    for (let t = 0; t < TICKETS; t++) tickets.push(await newTicket(`Fault ticket ${t}`, FOLLOWERS, `t${t}f`));
    const inline = await newTicket('Sent by the replica that dies', INLINE_FOLLOWERS, 'k');
    const faults: string[] = [];

    // 1. SIGKILL a replica while it sends: b posts a small fan-out (sent by b itself, right after commit) while the
    //    large ones go through the queue to any replica
    const fromB = () => sink.mails.filter((m) => m.rcptTo.some((r) => /^k\d+@/.test(r))).length;
    const round1 = postRound('killed mid-send', tickets, [b, c, a]);
    // b's own post is not retried elsewhere: b may die before it answers (what it committed is counted from the DB)
    void b.http('POST', `/chatter/ticket/${inline}/messages`, { body: 'sent by b' }, agent).catch(() => undefined);
    await until(() => fromB() >= 5 || undefined, 'b to start sending', 30_000, 1);
    b.kill('SIGKILL');
    const deliveredByB = fromB();
    const sending = await count(`select count(*) n from chatter_outgoing_mail where state = 'sending'`);
    await b.exited;
    await round1;
    // what b left behind: mails the sink accepted whose row is still `sending` a second later (a live replica
    // commits within milliseconds). SMTP has no two-phase commit: these, and only these, may be sent twice.
    await new Promise((r) => setTimeout(r, 1_000));
    const window = await inFlightAtKill(sql, sink);
    faults.push(`SIGKILL replica b after it delivered ${deliveredByB}/${INLINE_FOLLOWERS} of its own fan-out (${sending} mails claimed right after)`);
    const alive = [a, c];

    // 2. the SMTP server goes away for 30 s while posts go on, then comes back: every mail meanwhile is retried
    await sink.stop();
    const outageStart = Date.now();
    let outageRounds = 0;
    while (Date.now() - outageStart < SINK_OUTAGE_MS - OUTAGE_ROUND_MS) {
      const roundStart = Date.now();
      await postRound(`smtp outage ${++outageRounds}`, tickets, alive);
      await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_ROUND_MS - (Date.now() - roundStart))));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, SINK_OUTAGE_MS - (Date.now() - outageStart))));
    const retried = await count(`select count(*) n from chatter_outgoing_mail where failure_type is not null and state = 'outgoing'`);
    await sink.start();
    faults.push(`SMTP sink down for ${((Date.now() - outageStart) / 1000).toFixed(1)} s (${outageRounds} post rounds meanwhile, ${retried} mails waiting to be retried)`);
    expect(retried).toBeGreaterThan(0);

    // 3. Redis restarts (without persistence: every queued job is lost; the outbox sweeps find the mails again)
    await redis.stop();
    await postRound('redis down', tickets, alive);
    await new Promise((r) => setTimeout(r, 1_500));
    await redis.start();
    faults.push('Redis killed and restarted empty');

    // 4. PostgreSQL restarts (fast shutdown: open transactions roll back, every connection ends) while a round's
    //    fan-out is being sent, stays down for a few seconds, and another round is posted meanwhile
    const connections = await count(`select count(*) n from pg_stat_activity where datname = current_database()`);
    const atSink = sink.mails.length;
    const midFanout = postRound('pg restart', tickets, alive);
    await until(() => sink.mails.length >= atSink + 20 || undefined, 'the round to be sending', 30_000, 1);
    const restartStart = Date.now();
    const restart = postgres.restart(PG_DOWN_MS).then(() => Date.now() - restartStart);
    await new Promise((r) => setTimeout(r, 500));
    const refused = [...(await midFanout), ...(await postRound('pg down', tickets, alive))];
    const restartMs = await restart;
    // senders whose record of sent mails failed and was written once PostgreSQL was back (see OutcomeRecorder)
    const rewritten = replicas.flatMap((r) => r.log).filter((line) => line.includes('could not record outgoing mail')).length;
    faults.push(
      `PostgreSQL restarted mid fan-out: down ${(restartMs / 1000).toFixed(1)} s, ${connections} connection(s) ended, ` +
        `${rewritten} group(s) of sent mails recorded late (${refused.length} post(s) refused meanwhile and sent again)`,
    );
    expect(refused.length).toBeGreaterThan(0);
    expectRunning(a, c);

    // the replica that was killed comes back
    await b.start();
    await postRound('after the faults', tickets, replicas);

    // every mail the outbox holds is settled: sent, or failed for good (none should be)
    const settled = await until(async () => {
      const open = await count(`select count(*) n from chatter_outgoing_mail where state in ('outgoing', 'sending')`);
      return open === 0 ? true : undefined;
    }, 'the outbox to drain', 120_000, 250);
    expect(settled).toBe(true);
    // a few more sweeps: anything sent twice would show now
    await new Promise((r) => setTimeout(r, 1_500));

    // SMTP has no two-phase commit: a mail the server accepted in the milliseconds before the SIGKILL, not yet
    // committed as sent, is sent again when its claim expires. Group commit bounds that to the mails in flight.
    const { expected, sent, lost, duplicates, killedWindow, failed, unexpected } = await countAtSink(sql, sink, window);
    const stuck = await count(`select count(*) n from chatter_outgoing_mail where state = 'sending' and claimed_at < now() - interval '${CLAIM_TIMEOUT_MS} milliseconds'`);
    console.log(
      `[faults] ${faults.join('; ')}\n[faults] expected ${expected} mails (${posts} posts): ` +
        `sent ${sent}, duplicates ${duplicates + killedWindow} (${killedWindow} of the ${window.size} mails the sink accepted from b in the instant before the SIGKILL), lost ${lost}, failed ${failed}, unexpected ${unexpected.length}, stuck sending ${stuck}`,
    );

    // a post refused with a 500 may still have committed (the client's retry is then a second message)
    expect(expected).toBeGreaterThanOrEqual(expectedMails);
    expect(killedWindow).toBeLessThanOrEqual(window.size);
    // no fault crashed a replica: a dead one would only show as posts moved to the others
    expectRunning(...replicas);
    expect({ duplicates, lost, failed, unexpected: unexpected.length, stuck }).toEqual({ duplicates: 0, lost: 0, failed: 0, unexpected: 0, stuck: 0 });
  });
});

/** fails with the replica's last lines when one of them exited */
function expectRunning(...replicas: Replica[]): void {
  const dead = replicas.filter((r) => !r.running);
  expect(dead.map((r) => `replica ${r.name} exited:\n${r.log.slice(-40).join('\n')}`)).toEqual([]);
}
