/**
 * imap-1000: 1,000 mails waiting in a real Dovecot, fetched by the IMAP ingress into the ledger AND processed (each
 * creates a ticket with its first message), in mails per second. baseline = raw imapflow fetching the same 1,000
 * sources over one connection and running mailparser's simpleParser on each, in the same run (before and after
 * ours, averaged); ratio = ours / baseline throughput (= baseline time / our time). Measured in five rounds of new
 * mails (`BENCH_ROUNDS`), each with its own baselines: the result is the rounds' median, with their range.
 * A second line, `…/ledger-only`, fetches the same mails with processing off (`incoming.autoProcess: false`): the
 * IMAP ingress and the ledger commits alone, against the same baseline.
 * Both sides run warm, as in `inbound-corpus`: the baseline's first pass and ours are preceded by one untimed pass of
 * as many other mails through the same app (a server fetches mail all day; a first pass mostly measures V8 compiling,
 * on the main thread and on each parse worker: with 200 warm-up mails our measured pass ran ~30 % slower, its parse
 * worker and V8's compiler threads still busy compiling).
 */
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { ChatterModule, ImapIngress, InboundEmail, JobRunner } from '../../lib/index.js';
import { Lead } from '../../sample-app/lead.entity.js';
import { Ticket } from '../../sample-app/ticket.entity.js';
import { IMAP_PASSWORD, IMAP_USERS, startDovecot, type DovecotServer } from '../../test/support/dovecot.js';
import { benchRounds, elapsedMs, measuredRound, roundsResult, type BenchResult, type BenchScenario, type Round } from '../result.js';
import { benchDialects, withBenchApp } from '../support/bench-app.js';

const MAILS = 1000;
const WARM_UP_MAILS = MAILS;
/** measured rounds per variant (`BENCH_ROUNDS` sets another number) */
const ROUNDS = 5;

export const imap1000: BenchScenario = {
  name: 'imap-1000',
  async run() {
    const out: BenchResult[] = [];
    const rounds = benchRounds(ROUNDS);
    for (const dialect of benchDialects()) {
      const dovecot = await startDovecot();
      try {
        for (const processed of [true, false]) {
          // each variant fetches its own copy of the mails: test@ processes, bob@ only fills the ledger
          const user = processed ? IMAP_USERS.test : IMAP_USERS.bob;
          out.push(await withBenchApp(dialect, async (app) => {
            // the app is up (its boot-time fetch found the folder empty) before the mails arrive
            const jobs = app.app.get(JobRunner);
            const ingress = app.app.get(ImapIngress);
            await jobs.drain();
            await dovecot.appendMany(Array.from({ length: WARM_UP_MAILS }, (_, i) => benchMail(MAILS + i, `${dialect}-warm-up`)), { user });
            await ingress.fetchNow('bench');
            await jobs.drain();
            await rawImapBaseline(dovecot, user, `1:${WARM_UP_MAILS}`, WARM_UP_MAILS);
            const measured: Round[] = [];
            for (let round = 0; round < rounds; round++) {
              // new mails each round, from new senders (a round finds no partner of an earlier one); a folder numbers
              // its mails from UID 1, so this round's follow the warm-up's and the earlier rounds'
              const taken = WARM_UP_MAILS + round * MAILS;
              await dovecot.appendMany(Array.from({ length: MAILS }, (_, i) => benchMail((round + 2) * MAILS + i, `${dialect}-${round}`)), { user });
              const uids = `${taken + 1}:*`;
              const before = await rawImapBaseline(dovecot, user, uids, MAILS);
              const oursMs = await ours(ingress, jobs, app.orm, processed, taken);
              const after = await rawImapBaseline(dovecot, user, uids, MAILS);
              measured.push(measuredRound(MAILS, oursMs, before, after));
            }
            return roundsResult(`imap-1000/${dialect}${processed ? '' : '/ledger-only'}`, 'mails/s', measured, MAILS);
          }, {
            entities: [Ticket, Lead],
            imports: [ChatterModule.forFeature([Ticket, Lead])],
            chatter: {
              incoming: {
                autoProcess: processed,
                mailboxes: [{ name: 'bench', url: dovecot.url({ user, params: { idle: false, intervalMs: 3_600_000 } }) }],
              },
            },
          }));
        }
      } finally {
        await dovecot.stop();
      }
    }
    return out;
  },
};

/** one fetch job from the first byte to the last mail processed (or, without processing, the last ledger commit) */
async function ours(ingress: ImapIngress, jobs: JobRunner, orm: { em: { fork(): any } }, processed: boolean, taken: number): Promise<number> {
  const already = await orm.em.fork().count(InboundEmail, {});
  if (already !== taken) throw new Error(`imap-1000: ${already - taken} mails were taken before the measurement`);
  const status = processed ? 'delivered' : 'received';
  const done = await orm.em.fork().count(InboundEmail, { status });
  if (done !== taken) throw new Error(`imap-1000: ${done} of the ${taken} mails taken before this round are ${status}`);
  const started = performance.now();
  const fetched = await ingress.fetchNow('bench');
  await jobs.drain();
  const ms = elapsedMs(started);
  if (fetched?.received !== MAILS) throw new Error(`imap-1000: the fetch took ${fetched?.received} mails, expected ${MAILS}`);
  const delivered = (await orm.em.fork().count(InboundEmail, { status })) - taken;
  if (delivered !== MAILS) throw new Error(`imap-1000: ${delivered} of ${MAILS} mails are ${processed ? 'delivered into a thread' : 'in the ledger'}`);
  return ms;
}

/** raw imapflow + simpleParser over the mails of a UID range (BODY.PEEK: it leaves them unseen for us) */
export async function rawImapBaseline(dovecot: DovecotServer, user: string, uids: string, expected: number): Promise<number> {
  const started = performance.now();
  const client = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user, pass: IMAP_PASSWORD }, logger: false, disableAutoIdle: true });
  await client.connect();
  let parsed = 0;
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      for await (const mail of client.fetch(uids, { uid: true, source: true }, { uid: true })) {
        await simpleParser(mail.source!);
        parsed++;
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
  if (parsed !== expected) throw new Error(`imap-1000: the baseline parsed ${parsed} mails, expected ${expected}`);
  return elapsedMs(started);
}

/** a new-ticket mail of a few KB, text and HTML, each from its own sender (the loop guard counts per sender) */
export function benchMail(i: number, tag: string): string {
  const paragraph = `Our order ${1000 + i} arrived with a damaged box and two items missing. We need a replacement before Friday, the event starts on Saturday morning.`;
  const text = Array.from({ length: 8 }, () => paragraph).join('\n\n');
  const html = `<html><body>${Array.from({ length: 8 }, () => `<p>${paragraph}</p>`).join('')}<p>Regards,<br>Customer ${i}</p></body></html>`;
  return [
    `From: Customer ${i} <customer${i}@outside.test>`,
    'To: support@example.test',
    `Subject: Damaged delivery for order ${1000 + i}`,
    `Date: ${new Date(Date.UTC(2026, 0, 1, 8, 0, i % 60)).toUTCString()}`,
    `Message-ID: <imap1000-${tag}-${i}@outside.test>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    text,
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    html,
    '--b1--',
    '',
  ].join('\r\n');
}
