/**
 * inbound-corpus: the 786 real-world mails of shared/corpus through the whole inbound path — ledger commit, parse,
 * bounce/auto-reply detection, quote trimming, routing, and persistence (tickets and messages from a fallback model,
 * bounce marks, refusals) — in mails per second, until every mail has its final status. baseline = mailparser's
 * `simpleParser` alone over the same mails in the same run, before and after ours; ratio = ours / baseline (target
 * ≥ 0.5). Measured in three rounds (`BENCH_ROUNDS`), each on a new database: the result is the rounds' median.
 *
 * The mails are fed the way an IMAP fetch feeds them: batches of 100 handed to `receiveMany`, the next batch once the
 * previous one is committed to the ledger (an IMAP ingress marks them `\Seen` then), processing running meanwhile.
 * Both sides run warm — a server parses mail all day, and a first pass mostly measures V8 compiling: one untimed pass
 * of `simpleParser`; one untimed pass of the whole path on a throwaway database, and one of the measured app's parse
 * workers (threads compile their own code) over the same mails, in each round.
 */
import { simpleParser } from 'mailparser';
import { InboundParser } from '../../lib/gateway/inbound-parser.js';
import { ChatterModule, InboundEmail, InboundGateway, JobRunner } from '../../lib/index.js';
import { Lead } from '../../sample-app/lead.entity.js';
import { Ticket } from '../../sample-app/ticket.entity.js';
import { readCorpusMail, readManifest } from '../../test/support/corpus.js';
import type { ChatterTesting } from '../../test/support/chatter-testing.js';
import type { Dialect } from '../../test/support/database.js';
import { benchRounds, elapsedMs, measuredRound, roundsResult, type BenchResult, type BenchScenario, type Round } from '../result.js';
import { benchDialects, withBenchApp } from '../support/bench-app.js';

/** mails per `receiveMany`, like an IMAP fetch batch */
const FETCH_BATCH = 100;
/** measured rounds per database (`BENCH_ROUNDS` sets another number) */
const ROUNDS = 3;

export const inboundCorpus: BenchScenario = {
  name: 'inbound-corpus',
  async run() {
    const raws = readManifest().map((entry) => readCorpusMail(entry));
    const out: BenchResult[] = [];
    const rounds = benchRounds(ROUNDS);
    for (const raw of raws) await simpleParser(raw); // warm-up, untimed
    for (const dialect of benchDialects()) {
      await withCorpusApp(dialect, (app) => ingest(app, raws)); // warm-up, untimed
      const measured: Round[] = [];
      // each round on a new database: the same mails again would be duplicates
      for (let round = 0; round < rounds; round++) measured.push(await withCorpusApp(dialect, (app) => measure(app, raws)));
      out.push(roundsResult(`inbound-corpus/${dialect}`, 'mails/s', measured, raws.length));
    }
    return out;
  },
};

function withCorpusApp<T>(dialect: Dialect, fn: (app: ChatterTesting) => Promise<T>): Promise<T> {
  return withBenchApp(dialect, fn, {
    entities: [Ticket, Lead],
    imports: [ChatterModule.forFeature([Ticket, Lead])],
    chatter: { incoming: { fallbackModel: 'ticket', answerRefusals: false, loop: { limit: 1_000_000 } } } as any,
  });
}

/** one round: the baseline, ours, the baseline again (their mean is the round's baseline) */
async function measure(app: ChatterTesting, raws: Buffer[]): Promise<Round> {
  const parser = app.app.get(InboundParser);
  for (const raw of raws) await parser.parse(raw, { envelope: [], bounceAddresses: [], messageId: '<warm-up@bench.test>' }); // warm-up, untimed
  const before = await simpleParserMs(raws);
  const started = performance.now();
  await ingest(app, raws);
  const oursMs = elapsedMs(started);
  const after = await simpleParserMs(raws);
  return measuredRound(raws.length, oursMs, before, after);
}

async function simpleParserMs(raws: Buffer[]): Promise<number> {
  const started = performance.now();
  for (const raw of raws) await simpleParser(raw);
  return elapsedMs(started);
}

/** every mail into the ledger, then every mail processed; fails unless each row ended with a final status */
async function ingest(app: ChatterTesting, raws: Buffer[]): Promise<void> {
  const gateway = app.app.get(InboundGateway);
  for (let i = 0; i < raws.length; i += FETCH_BATCH) {
    const outcomes = await gateway.receiveMany(raws.slice(i, i + FETCH_BATCH).map((raw) => ({ raw, source: { kind: 'pipe' as const } })));
    const refused = outcomes.find((o) => o.status === 'rejected');
    if (refused) throw new Error(`inbound-corpus: a mail was refused: ${(refused as PromiseRejectedResult).reason}`);
  }
  await app.app.get(JobRunner).drain();
  const em = app.em();
  const unfinished = await em.count(InboundEmail, { status: { $in: ['received', 'processing'] } });
  const failed = await em.count(InboundEmail, { status: 'failed' });
  if (unfinished || failed) throw new Error(`inbound-corpus: ${unfinished} mail(s) unfinished and ${failed} failed after the run`);
}
