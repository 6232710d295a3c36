import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { createTestDatabase, DIALECTS, type Dialect, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { Replica, until } from '../support/replicas.js';
import { LedgerProbe, type LedgerRow } from './support/ledger-probe.js';
import { DOMAIN, mail, RELAY_TOKEN } from './support/inbound-host.js';
import { assertConformingEmlDirectory } from '../support/mime-conformance.js';

/**
 * Issue 4's "kill the process between ledger commit and processing → processed once after restart", with a real
 * process and a real SIGKILL: the compiled sample app (`npm run build` first) takes a burst of mails on its HTTP relay
 * or its SMTP listener and is killed while mails it acknowledged (2xx, 250) are still `received` or `processing` in
 * the ledger, read straight from the database. Restarted on the same database, it processes each acknowledged mail
 * exactly once; what the client never saw acknowledged, it sends again without making duplicates.
 */

/** mails in the burst: most open a ticket each, every third or so answers one of the ROOTS threads */
const MAILS = 300;
const ROOTS = 6;
/** clients sending at once: the burst outlasts the moment of the kill, so some mails are never acknowledged */
const CONCURRENCY = 24;
/**
 * a processing claim left by the killed process is taken back after this (the library default is 5 minutes); well
 * above a processing job's duration, so the restarted app never takes back its own live claims
 */
const LEASE_MS = 5_000;
const FINAL = new Set(['delivered', 'bounced', 'rejected', 'ignored', 'failed']);
const SUPPORT = `support@${DOMAIN}`;

interface CrashMail {
  messageId: string;
  subject: string;
  sender: string;
  raw: string;
  /** the root mail's Message-ID, for a reply */
  root?: string;
}

type Ingress = 'http' | 'smtp';

/** One sample-app process and a client of one of its ingresses: `send` says whether the app acknowledged (2xx, 250). */
interface RunningApp {
  replica: Replica;
  send(m: CrashMail): Promise<{ acked: boolean; duplicate: boolean }>;
  close(): void;
}

async function startApp(name: string, ingress: Ingress, env: Record<string, string>): Promise<RunningApp> {
  const smtpPort = ingress === 'smtp' ? await freePort() : undefined;
  const replica = new Replica(name, await freePort(), { ...env, SMTP_LISTEN: smtpPort ? `127.0.0.1:${smtpPort}` : 'off' });
  await replica.start();
  if (ingress === 'http') {
    return {
      replica,
      async send(m) {
        try {
          const res = await fetch(`${replica.url}/chatter/inbound`, {
            method: 'POST',
            headers: { authorization: `Bearer ${RELAY_TOKEN}`, 'content-type': 'message/rfc822' },
            body: m.raw,
          });
          const body = (await res.json().catch(() => ({}))) as { duplicate?: boolean };
          return { acked: res.status >= 200 && res.status < 300, duplicate: body.duplicate === true };
        } catch {
          return { acked: false, duplicate: false };
        }
      },
      close() {},
    };
  }
  // an MTA's view: a pool of SMTP connections; 250 to DATA is the acknowledgement
  const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, pool: true, maxConnections: CONCURRENCY, maxMessages: Infinity });
  return {
    replica,
    async send(m) {
      try {
        const info = await smtp.sendMail({ envelope: { from: m.sender, to: [SUPPORT] }, raw: m.raw });
        return { acked: /^250\b/.test(info.response), duplicate: /\(duplicate\)/.test(info.response) };
      } catch {
        return { acked: false, duplicate: false };
      }
    },
    close: () => smtp.close(),
  };
}

/** which mail of the burst answers which root: every third, round the roots */
const rootOf = (i: number) => (i % 3 === 1 ? i % ROOTS : undefined);

function crashMail(kind: string, i: number, root?: CrashMail): CrashMail {
  const messageId = `<${kind}-${i}.${Date.now()}@outside.test>`;
  const sender = `${kind}${i}@outside.test`;
  const subject = root ? `Re: ${root.subject}` : `Crash ${kind} ${i}`;
  // a root is Cc'd to those who answer it: the reply policy admits recipients of the mail answered
  const answerers = kind === 'root' ? Array.from({ length: MAILS }, (_, j) => j).filter((j) => rootOf(j) === i).map((j) => `reply${j}@outside.test`) : [];
  const cc = answerers.length ? answerers.join(',\r\n ') : undefined;
  const raw = mail({ from: sender, to: SUPPORT, cc, subject, messageId, inReplyTo: root?.messageId, body: `Mail ${kind} ${i}.` });
  return { messageId, subject, sender, raw, root: root?.messageId };
}

/** runs `work` over `items`, `limit` at a time, until `stopped()` */
async function inParallel<T>(items: T[], limit: number, stopped: () => boolean, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length && !stopped()) await work(items[next++]);
  }));
}

function byMessageId(rows: LedgerRow[]): Map<string, LedgerRow[]> {
  const map = new Map<string, LedgerRow[]>();
  for (const row of rows) map.set(row.messageId, [...(map.get(row.messageId) ?? []), row]);
  return map;
}

const CASES: [Dialect, Ingress][] = DIALECTS.flatMap((d) => (['http', 'smtp'] as const).map((i): [Dialect, Ingress] => [d, i]));

describe.each(CASES)('inbound on %s through %s, the process SIGKILLed between ledger commit and processing', (dialect, ingress) => {
  let db: TestDatabase | undefined;
  let probe: LedgerProbe | undefined;
  let outboxDir: string | undefined;
  const apps: RunningApp[] = [];

  afterEach(async () => {
    for (const app of apps.splice(0)) {
      app.close();
      await app.replica.stop();
    }
    await probe?.close();
    await db?.drop();
    try {
      if (outboxDir) await assertConformingEmlDirectory(outboxDir, 'the crashed apps\' outbox folder');
    } finally {
      if (outboxDir) rmSync(outboxDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('processes every acknowledged mail exactly once after a restart; a re-sent unacknowledged mail makes no duplicate', { timeout: 60_000 }, async () => {
    db = await createTestDatabase(dialect);
    outboxDir = mkdtempSync(join(tmpdir(), 'chatter-crash-outbox-'));
    const env = {
      DATABASE_URL: db.url,
      CHATTER_INBOUND_TOKEN: RELAY_TOKEN,
      CHATTER_SECRET: 'crash-test-secret-0123456789',
      CHATTER_OUTBOX_DIR: outboxDir,
      CHATTER_INBOUND_LEASE_MS: String(LEASE_MS),
    };
    const first = await startApp('first', ingress, env);
    apps.push(first);
    probe = await LedgerProbe.open(db);
    const ledger = () => probe!.ledger();
    onTestFailed(() => console.error(apps.map((a) => `--- ${a.replica.name}\n${a.replica.log.slice(-40).join('\n')}`).join('\n')));

    // the threads the replies answer, delivered before the burst
    const roots = Array.from({ length: ROOTS }, (_, r) => crashMail('root', r));
    for (const root of roots) expect((await first.send(root)).acked).toBe(true);
    await until(async () => (await ledger()).filter((r) => r.status === 'delivered').length === ROOTS || undefined, 'the root tickets', 15_000);

    const mails = Array.from({ length: MAILS }, (_, i) => (rootOf(i) !== undefined ? crashMail('reply', i, roots[rootOf(i)!]) : crashMail('ticket', i)));
    const acked = new Set<string>();
    let killed = false;
    const burst = inParallel(mails, CONCURRENCY, () => killed, async (m) => {
      if ((await first.send(m)).acked) acked.add(m.messageId);
    });

    // the moment: a third of the mails acknowledged, and a few of them still waiting in the ledger (a few, so that
    // processing cannot finish them all between this read and the signal)
    const ackedAtKill = await until(async () => {
      if (acked.size < MAILS / 3) return undefined;
      const snapshot = new Set(acked);
      const waiting = (await ledger()).filter((r) => snapshot.has(r.messageId) && !FINAL.has(r.status)).length;
      return waiting >= 3 ? snapshot : undefined;
    }, 'acknowledged mails not yet processed', 20_000, 2);
    first.replica.kill('SIGKILL');
    const killedAt = Date.now();
    killed = true;
    await first.replica.exited;
    await burst;

    // nothing commits after a SIGKILL: what the database holds now is the state the process died in
    const atDeath = await ledger();
    const caught = atDeath.filter((r) => ackedAtKill.has(r.messageId) && r.status !== 'delivered');
    const statuses = Object.fromEntries([...new Set(atDeath.map((r) => r.status))].map((s) => [s, atDeath.filter((r) => r.status === s).length]));
    console.log(`${dialect}/${ingress}: killed with ${ackedAtKill.size} acknowledged (${acked.size} by the end), ledger ${JSON.stringify(statuses)}, ${caught.length} acknowledged and not delivered`);
    expect(caught.length, 'the kill must land between the ledger commit and the end of processing').toBeGreaterThan(0);
    expect(caught.filter((r) => r.status !== 'received' && r.status !== 'processing'), 'acknowledged rows ended otherwise at the kill').toEqual([]);
    const unacked = mails.filter((m) => !acked.has(m.messageId));
    expect(unacked.length, 'some mails must be in flight or unsent at the kill').toBeGreaterThan(0);

    const second = await startApp('after-restart', ingress, env);
    apps.push(second);
    const allFinal = async (ids: Set<string>) => {
      const rows = await ledger();
      return rows.filter((r) => ids.has(r.messageId) && FINAL.has(r.status)).length >= ids.size || undefined;
    };
    await until(() => allFinal(acked), 'every acknowledged mail processed after the restart', 20_000, 50);
    const recoveredMs = Date.now() - killedAt;

    // what the client never saw acknowledged it sends again: committed ones are no-ops, the others new
    let duplicates = 0;
    await inParallel(unacked, CONCURRENCY, () => false, async (m) => {
      const res = await second.send(m);
      expect(res.acked, `re-sent ${m.messageId}`).toBe(true);
      if (res.duplicate) duplicates++;
      acked.add(m.messageId);
    });
    // and the acknowledged ones the kill caught unprocessed, as a client unsure of its 2xx would: all no-ops
    const caughtMails = mails.filter((m) => caught.some((r) => r.messageId === m.messageId));
    for (const m of caughtMails) expect(await second.send(m), `re-sent ${m.messageId}`).toEqual({ acked: true, duplicate: true });
    await until(() => allFinal(acked), 'the re-sent mails processed', 20_000, 50);
    console.log(
      `${dialect}/${ingress}: every acknowledged mail processed ${recoveredMs} ms after the kill (restart and ${LEASE_MS} ms lease included); re-sent ${unacked.length} unacknowledged ` +
        `(${duplicates} already in the ledger) and ${caughtMails.length} acknowledged`,
    );

    // the ledger: each mail once, delivered
    const rows = byMessageId(await ledger());
    expect([...rows.values()].flat().length, 'ledger rows').toBe(ROOTS + MAILS);
    const notOnce = mails.filter((m) => rows.get(m.messageId)?.length !== 1).map((m) => `${m.messageId}: ${rows.get(m.messageId)?.length ?? 0} rows`);
    expect(notOnce, 'mails not in the ledger exactly once').toEqual([]);
    const notDelivered = mails.map((m) => rows.get(m.messageId)![0]).filter((r) => r.status !== 'delivered').map((r) => `${r.messageId}: ${r.status}`);
    expect(notDelivered, 'mails not delivered').toEqual([]);
    expect(new Set([...rows.values()].flat().map((r) => r.sourceKind)), 'ingresses in the ledger').toEqual(new Set([ingress]));

    // the threads: each mail one message, replies on their root's ticket, each new-ticket mail its own ticket
    const messages = await probe.messages([...roots, ...mails].map((m) => m.messageId));
    const posted = new Map<string, { resModel: string; resId: string }[]>();
    for (const m of messages) posted.set(m.messageId, [...(posted.get(m.messageId) ?? []), m]);
    expect([...roots, ...mails].filter((m) => posted.get(m.messageId)?.length !== 1).map((m) => m.messageId), 'mails not posted exactly once').toEqual([]);
    const rootTicket = new Map(roots.map((r) => [r.messageId, posted.get(r.messageId)![0].resId]));
    const tickets = await probe.tickets();
    const ticketsBySubject = new Map<string, number[]>();
    for (const t of tickets) ticketsBySubject.set(t.subject, [...(ticketsBySubject.get(t.subject) ?? []), t.id]);
    for (const m of mails) {
      const [message] = posted.get(m.messageId)!;
      expect(message.resModel, `${m.messageId} posted on`).toBe('ticket');
      if (m.root) {
        expect(message.resId, `${m.messageId} answers ${m.root}`).toBe(rootTicket.get(m.root));
      } else {
        expect(ticketsBySubject.get(m.subject), `tickets made by ${m.messageId}`).toEqual([Number(message.resId)]);
      }
    }
    expect(tickets.length, 'tickets').toBe(ROOTS + mails.filter((m) => !m.root).length);

    // and relayed once: each reply to the followers its thread had (at least the root's sender), no recipient twice
    const relays = await probe.relays(mails.map((m) => m.messageId));
    const relayKeys = relays.map((r) => `${r.messageId} → ${r.to}`);
    expect(relayKeys.filter((k, i) => relayKeys.indexOf(k) !== i), 'relays made twice').toEqual([]);
    const relayed = new Set(relays.map((r) => r.messageId));
    expect(mails.filter((m) => m.root && !relayed.has(m.messageId)).map((m) => m.messageId), 'replies never relayed').toEqual([]);
  });
});
