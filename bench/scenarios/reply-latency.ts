/**
 * reply-latency: a reply appended to a real Dovecot mailbox → visible in the ticket's thread, with the IMAP ingress in
 * IDLE (no interval in between), p50 and p95 in ms over 50 replies sent one after the other. baseline = the same
 * measure for a raw imapflow client in IDLE on the same folder: APPEND → its `exists` event, the floor Dovecot's
 * own change notification sets; ratio = ours / baseline.
 */
import { ImapFlow } from 'imapflow';
import { ChatterModule, ImapIngress, JobRunner, Message } from '../../lib/index.js';
import { Lead } from '../../sample-app/lead.entity.js';
import { Ticket } from '../../sample-app/ticket.entity.js';
import { IMAP_PASSWORD, IMAP_USERS, startDovecot, type DovecotServer } from '../../test/support/dovecot.js';
import { elapsedMs, result, type BenchResult, type BenchScenario } from '../result.js';
import { benchDialects, withBenchApp } from '../support/bench-app.js';

const REPLIES = 50;
const POLL_MS = 5;

export const replyLatency: BenchScenario = {
  name: 'reply-latency',
  async run() {
    const out: BenchResult[] = [];
    for (const dialect of benchDialects()) {
      const dovecot = await startDovecot();
      try {
        const floor = await idleFloor(dovecot);
        const ours = await withBenchApp(dialect, async (app) => {
          const ingress = app.app.get(ImapIngress);
          await until('the IDLE connection', async () => (await ingress.health())[0].idle === true);
          const em = () => app.orm.em.fork();
          const visible = async (id: string) => (await em().count(Message, { messageId: id })) > 0;
          // the ticket the replies answer
          await dovecot.append(mail('<rl-0@outside.test>', 'Laptop does not boot'));
          await until('the first mail in a thread', () => visible('<rl-0@outside.test>'));
          const samples: number[] = [];
          for (let i = 1; i <= REPLIES; i++) {
            const id = `<rl-${i}@outside.test>`;
            const raw = mail(id, 'Re: Laptop does not boot', `<rl-${i - 1}@outside.test>`);
            const client = await dovecot.connect();
            try {
              const started = performance.now();
              await client.append('INBOX', raw);
              await until(`reply ${i} in the thread`, () => visible(id));
              samples.push(elapsedMs(started));
            } finally {
              await client.logout();
            }
          }
          const first = await em().findOneOrFail(Message, { messageId: '<rl-0@outside.test>' });
          const inThread = await em().count(Message, { resModel: first.resModel, resId: first.resId, messageId: { $like: '<rl-%' } });
          if (inThread !== REPLIES + 1) throw new Error(`reply-latency: ${inThread} of ${REPLIES + 1} mails are in the ticket's thread`);
          await app.app.get(JobRunner).drain();
          return samples;
        }, {
          entities: [Ticket, Lead],
          imports: [ChatterModule.forFeature([Ticket, Lead])],
          // 51 mails from one sender to one record in minutes: above the loop guard's default of 20
          chatter: { incoming: { mailboxes: [{ name: 'bench', url: dovecot.url(), idle: true }], loop: { limit: 1000 } } },
        });
        out.push(result(`reply-latency/${dialect}/p50`, 'ms', percentile(ours, 50), percentile(floor, 50), REPLIES));
        out.push(result(`reply-latency/${dialect}/p95`, 'ms', percentile(ours, 95), percentile(floor, 95), REPLIES));
      } finally {
        await dovecot.stop();
      }
    }
    return out;
  },
};

/** APPEND on one connection → `exists` on another in IDLE: what no client can beat on this server */
async function idleFloor(dovecot: DovecotServer): Promise<number[]> {
  const watcher = new ImapFlow({ host: dovecot.host, port: dovecot.port, secure: false, auth: { user: IMAP_USERS.bob, pass: IMAP_PASSWORD }, logger: false, disableAutoIdle: true });
  await watcher.connect();
  await watcher.mailboxOpen('INBOX');
  let arrived: () => void = () => undefined;
  watcher.on('exists', () => arrived());
  const idling = watcher.idle();
  const samples: number[] = [];
  try {
    for (let i = 0; i < REPLIES; i++) {
      const client = await dovecot.connect(IMAP_USERS.bob);
      try {
        const seen = new Promise<void>((resolve) => (arrived = resolve));
        const started = performance.now();
        await client.append('INBOX', mail(`<floor-${i}@outside.test>`, 'floor'));
        await seen;
        samples.push(elapsedMs(started));
      } finally {
        await client.logout();
      }
    }
  } finally {
    await watcher.logout();
    await idling.catch(() => undefined);
  }
  return samples;
}

function mail(id: string, subject: string, inReplyTo?: string): string {
  return [
    'From: Dana Customer <dana@outside.test>',
    'To: support@example.test',
    `Subject: ${subject}`,
    `Message-ID: ${id}`,
    ...(inReplyTo ? [`In-Reply-To: ${inReplyTo}`, `References: ${inReplyTo}`] : []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    'It still shows a black screen after the update.',
    '',
  ].join('\r\n');
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`reply-latency: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
