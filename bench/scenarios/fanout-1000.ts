/**
 * fanout-1000: one comment on a record with 1,000 email followers; time from `ThreadService.post` until a loopback
 * smtp-server sink (its own process) has accepted all 1,000 mails. That includes the post's transaction (message,
 * 1,000 notifications, 1,000 outbox rows), the claims, rendering, SMTP and recording each outcome.
 * baseline = raw nodemailer, with the same pool settings, sending the same 1,000 rendered mails to the same sink in
 * the same run; ratio = baseline time / our time (≥ 0.8 is the target).
 */
import { SinkProcess } from '../support/sink-process.js';
import nodemailer from 'nodemailer';
import type { SendMailOptions } from 'nodemailer/lib/mailer';
import { MailRenderer, OutboxSender, OutgoingMail, Partner, SMTP_POOL_DEFAULTS, composeMime, outboxRow, type RenderedOutgoingMail } from '../../lib/index.js';
import { elapsedMs, median, result, type BenchResult, type BenchScenario } from '../result.js';
import { BenchThread, benchDialects, withBenchApp } from '../support/bench-app.js';
import type { ChatterTesting } from '../../test/support/chatter-testing.js';

const FOLLOWERS = 1000;
const ROUNDS = 7;

export const fanout1000: BenchScenario = {
  name: 'fanout-1000',
  async run() {
    const sink = await SinkProcess.start();
    try {
      const out: BenchResult[] = [];
      const server = { host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true };
      for (const dialect of benchDialects()) {
        out.push(await withBenchApp(dialect, (app) => measure(app, sink, server), { chatter: { outgoing: { servers: [{ name: 'sink', transport: server }] } } }));
      }
      return out;
    } finally {
      sink.stop();
    }
  },
};

async function measure(app: ChatterTesting, sink: SinkProcess, server: object): Promise<BenchResult> {
  const em = app.em();
  const record = em.create(BenchThread, { name: 'Fan-out' });
  const author = em.create(Partner, { email: 'agent@bench.test', name: 'Agent', userId: 'agent' });
  await em.persist([record, author]).flush();
  const target = { model: 'bench_thread', id: String(record.id) };
  for (let i = 0; i < FOLLOWERS; i++) await app.threads.follow(target, { email: `customer${i}@outside.test`, name: `Customer ${i}` });
  const sender = app.app.get(OutboxSender);
  const renderer = app.app.get(MailRenderer);
  const raw = nodemailer.createTransport({ ...SMTP_POOL_DEFAULTS, ...server } as never);

  let seq = 0;
  const ours = async (): Promise<{ ms: number; mails: RenderedOutgoingMail[] }> => {
    const { done } = await sink.expect(FOLLOWERS);
    const start = performance.now();
    const message = await app.threads.post(target, { body: `<p>Update ${++seq}: the parts arrived, installation is planned for Monday.</p>`, author: author.id });
    await done;
    const ms = elapsedMs(start);
    await sender.idle();
    // the same mails, rendered the way the sender rendered them, for the baseline
    const rows = await app.em().find(OutgoingMail, { message: message.id }, { orderBy: { id: 'asc' } });
    const sent = rows.filter((r) => r.state === 'sent').length;
    if (sent !== FOLLOWERS) throw new Error(`fanout-1000: ${sent} of ${FOLLOWERS} outbox rows are sent`);
    const plain = rows.map(outboxRow);
    await renderer.prepare(app.em(), plain);
    return { ms, mails: await Promise.all(plain.map((r) => renderer.render(r))) };
  };
  /** nodemailer given each mail's fields, as a developer would send them (it composes the MIME itself) */
  const baseline = async (mails: RenderedOutgoingMail[]): Promise<number> => {
    const messages = mails.map(asNodemailerMessage);
    const { done } = await sink.expect(messages.length);
    const start = performance.now();
    await Promise.all(messages.map((m) => raw.sendMail(m)));
    await done;
    return elapsedMs(start);
  };
  /** for the record only: nodemailer handed the finished bytes (no composing at all), a floor no sender can beat */
  const preComposed = async (mails: RenderedOutgoingMail[]): Promise<number> => {
    const messages = mails.map((m) => ({ raw: composeMime(m.mail), envelope: { ...m.envelope } }));
    const { done } = await sink.expect(messages.length);
    const start = performance.now();
    await Promise.all(messages.map((m) => raw.sendMail(m)));
    await done;
    return elapsedMs(start);
  };

  try {
    // warm-up: connections, JIT, caches
    let mails = (await ours()).mails;
    await baseline(mails);
    await preComposed(mails);
    const oursMs: number[] = [];
    const baseMs: number[] = [];
    const floorMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // alternate who goes first, so drift on a busy machine hits both alike
      if (round % 2) baseMs.push(await baseline(mails));
      const run = await ours();
      oursMs.push(run.ms);
      mails = run.mails;
      if (round % 2 === 0) baseMs.push(await baseline(mails));
      floorMs.push(await preComposed(mails));
    }
    const list = (ns: number[]) => ns.map((n) => n.toFixed(0)).join(', ');
    console.log(`\n  fanout-1000/${app.db.dialect}: ours ${list(oursMs)} ms; baseline ${list(baseMs)} ms; nodemailer with pre-composed bytes ${list(floorMs)} ms`);
    const ourMedian = median(oursMs);
    const baseMedian = median(baseMs);
    // ratio = baseline time / our time (our time is the value)
    return { ...result(`fanout-1000/${app.db.dialect}`, 'ms', ourMedian, baseMedian, ROUNDS), ratio: Math.round((baseMedian / ourMedian) * 1000) / 1000 };
  } finally {
    raw.close();
  }
}

/** what a developer would hand nodemailer for the same mail */
function asNodemailerMessage({ mail, envelope }: RenderedOutgoingMail): SendMailOptions {
  return {
    from: mail.from,
    to: mail.to,
    replyTo: mail.replyTo ?? undefined,
    subject: mail.subject,
    messageId: mail.messageId,
    headers: mail.headers,
    text: mail.text,
    html: mail.html,
    attachments: mail.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType, ...(a.cid ? { cid: a.cid } : {}) })),
    envelope: { ...envelope },
  };
}
