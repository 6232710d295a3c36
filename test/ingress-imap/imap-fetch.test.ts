import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/database.js';
import { IMAP_USERS, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { InboundGateway } from '../../lib/index.js';
import { batchShare, ImapFetcher, planBatches } from '../../lib/ingress/imap-fetcher.js';
import { resolveImapMailbox } from '../../lib/ingress/imap-mailbox-config.js';
import { bootImapApp, cleanUp, messageId, rawMail, Ticket, type ImapApp, waitFor } from './imap-app.js';

describe.each(DIALECTS)('IMAP fetch into the ledger (%s)', (dialect) => {
  let dovecot: DovecotServer;
  let db: TestDatabase;
  let app: ImapApp;

  beforeAll(async () => {
    dovecot = await startDovecot();
    db = await createTestDatabase(dialect);
    // no IDLE and an hour between ticks: each test fetches when it says so
    app = await bootImapApp(db, dovecot.url({ params: { idle: false, intervalMs: 3_600_000, batchSize: 3 } }));
    await app.settle();
  });

  afterAll(async () => {
    await cleanUp(() => app?.close(), () => db?.drop(), () => dovecot?.stop());
  });

  it('takes a mail appended to Dovecot into the ledger, posts it as a new ticket, and flags it \\Seen', async () => {
    const { uid, uidValidity } = await dovecot.append(rawMail({ id: 'first', subject: 'Printer on fire' }));
    const result = await app.ingress.fetchNow('imap');
    expect(result).toMatchObject({ leased: true, received: 1, duplicates: 0, failed: 0, uidValidity: String(uidValidity) });

    const [row] = await app.ledger();
    expect(row).toMatchObject({ sourceKind: 'imap', sourceKey: `imap:${uidValidity}:${uid}`, mailbox: 'imap', messageId: messageId('first') });
    await app.settle();
    const [processed] = await app.ledger();
    expect(processed.status).toBe('delivered');

    const [message] = await app.messages([messageId('first')]);
    expect(message).toMatchObject({ resModel: 'ticket', messageType: 'email' });
    const ticket = await app.orm.em.fork().findOneOrFail(Ticket, Number(message.resId));
    expect(ticket.subject).toBe('Printer on fire');
    expect(processed.resId).toBe(String(ticket.id));

    const [mail] = await dovecot.list();
    expect(mail.flags.has('\\Seen')).toBe(true);
  });

  it('takes mails oldest first in batches, keeps a UID cursor, and never takes a mail twice', async () => {
    const ids = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7'];
    await dovecot.appendMany(ids.map((id) => rawMail({ id })));
    const result = await app.ingress.fetchNow('imap');
    expect(result).toMatchObject({ received: 7, duplicates: 0, failed: 0 });

    const rows = (await app.ledger()).filter((r) => ids.some((id) => r.messageId === messageId(id)));
    expect(rows.map((r) => r.messageId)).toEqual(ids.map(messageId));
    const uids = rows.map((r) => Number(r.sourceKey.split(':')[2]));
    expect(uids).toEqual([...uids].sort((a, b) => a - b));

    const mails = await dovecot.list();
    expect(mails.every((m) => m.flags.has('\\Seen'))).toBe(true);
    const state = await app.state();
    expect(state).toMatchObject({ lastUid: mails.at(-1)!.uid, uidValidity: String((await dovecot.status()).uidValidity), leaseOwner: null });
    expect(state!.lastSuccessAt).toBeInstanceOf(Date);

    // a second fetch, and a person marking a taken mail unread again: nothing new
    const client = await dovecot.connect();
    await client.mailboxOpen('INBOX');
    await client.messageFlagsRemove({ uid: String(mails[1].uid) }, ['\\Seen'], { uid: true });
    await client.logout();
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 0, duplicates: 0, failed: 0 });
    expect((await app.ledger()).length).toBe(8);

    await app.settle();
    expect((await app.messages(ids.map(messageId))).length).toBe(7);
  });

  it('posts a reply in the thread of the mail it answers', async () => {
    const [original] = await app.messages([messageId('first')]);
    await dovecot.append(rawMail({ id: 'first-reply', subject: 'Re: Printer on fire', inReplyTo: messageId('first'), body: 'It is out now.' }));
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 1 });
    await app.settle();
    const [reply] = await app.messages([messageId('first-reply')]);
    expect(reply).toMatchObject({ resModel: 'ticket', resId: original.resId });
  });

  it('takes more mails than one search plans in one fetch, each once and oldest first', async () => {
    // batches of 3: 70 mails are 24 batches, planned by two SEARCHes (20 batches, then 4) and a last one finding none
    const ids = Array.from({ length: 70 }, (_, i) => `many-${i}`);
    await dovecot.appendMany(ids.map((id, i) => rawMail({ id, from: `Sender ${i} <sender${i}@outside.test>` })));
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 70, duplicates: 0, failed: 0 });

    const rows = (await app.ledger()).filter((r) => r.messageId.startsWith('<many-'));
    expect(rows.map((r) => r.messageId)).toEqual(ids.map(messageId));
    // they are the folder's last 70 (an earlier mail was marked unread again on purpose)
    const mails = (await dovecot.list()).slice(-70);
    expect(mails.every((m) => m.flags.has('\\Seen'))).toBe(true);
    expect((await app.state())!.lastUid).toBe(mails.at(-1)!.uid);
    await app.settle();
    expect((await app.messages(ids.map(messageId))).length).toBe(70);
  });

  it('sizes only the mails larger than their share of a batch (SEARCH LARGER), and takes large and small alike', async () => {
    // batches of 20,000 mails: a mail's share of the 32 MB a batch may hold is ~1.6 KB, so the long mails here are
    // "large" and sized one by one, the short ones not; every one is still taken, once and oldest first
    const batchSize = 20_000;
    expect(batchShare(batchSize)).toBeLessThan(2_000);
    const ids = Array.from({ length: 8 }, (_, i) => `sized-${i}`);
    await dovecot.appendMany(ids.map((id, i) => rawMail({ id, body: i % 3 === 0 ? `${'A long line of mail text. '.repeat(120)}${id}` : `short ${id}` })));
    const mailbox = resolveImapMailbox({ name: 'imap', url: dovecot.url({ params: { idle: false, batchSize } }) });
    expect(await app.app.get(ImapFetcher).fetch(mailbox, { owner: 'test-sized' })).toMatchObject({ received: 8, duplicates: 0, failed: 0 });
    const rows = (await app.ledger()).filter((r) => r.messageId.startsWith('<sized-'));
    expect(rows.map((r) => r.messageId)).toEqual(ids.map(messageId));
    expect(rows.filter((r) => r.size > batchShare(batchSize)).length).toBe(3);
    await app.settle();
  });

  it('stopped after a batch, leaves the batch it was reading ahead unseen, and the next fetch takes it', async () => {
    const ids = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9'];
    await dovecot.appendMany(ids.map((id) => rawMail({ id })));
    const gateway = app.app.get(InboundGateway);
    const receiveMany = gateway.receiveMany.bind(gateway);
    let stop = false;
    // the stop comes once the first batch is in the ledger: the second batch is being read by then
    gateway.receiveMany = async (mails) => {
      const outcomes = await receiveMany(mails);
      stop = true;
      return outcomes;
    };
    const mailbox = resolveImapMailbox({ name: 'imap', url: dovecot.url({ params: { idle: false, batchSize: 3 } }) });
    try {
      const stopped = await app.app.get(ImapFetcher).fetch(mailbox, { owner: 'test-stop', shouldStop: () => stop });
      expect(stopped).toMatchObject({ received: 3, failed: 0 });
    } finally {
      gateway.receiveMany = receiveMany;
    }
    const mine = async () => (await app.ledger()).filter((r) => ids.some((id) => r.messageId === messageId(id))).map((r) => r.messageId);
    expect(await mine()).toEqual(ids.slice(0, 3).map(messageId));
    const seen = async () => (await dovecot.list()).filter((m) => ids.some((id) => m.messageId === messageId(id)) && m.flags.has('\\Seen')).map((m) => m.messageId);
    expect(await seen()).toEqual(ids.slice(0, 3).map(messageId));

    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 6, duplicates: 0, failed: 0 });
    expect(await mine()).toEqual(ids.map(messageId));
    expect(await seen()).toEqual(ids.map(messageId));
    await app.settle();
  });

  it('flags the mails already in the ledger even when a later batch fails, in fewer STOREs than batches', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `e${i + 1}`);
    await dovecot.appendMany(ids.map((id) => rawMail({ id })));
    const gateway = app.app.get(InboundGateway);
    const receiveMany = gateway.receiveMany.bind(gateway);
    let calls = 0;
    // batches of 2: the first five reach the ledger, the sixth fails before it does
    gateway.receiveMany = async (mails) => {
      if (++calls === 6) throw new Error('the database went away');
      return receiveMany(mails);
    };
    const fetcher = app.app.get(ImapFetcher);
    const mailbox = resolveImapMailbox({ name: 'imap', url: dovecot.url({ params: { idle: false, batchSize: 2 } }) });
    const stores: number[][] = [];
    const proto = Object.getPrototypeOf(fetcher) as { settle: (...args: unknown[]) => Promise<void> };
    const settle = proto.settle;
    proto.settle = async function (this: unknown, ...args: unknown[]) {
      stores.push([...(args[2] as number[])]);
      return settle.apply(this, args);
    };
    try {
      await expect(fetcher.fetch(mailbox, { owner: 'test-error' })).rejects.toThrow(/the database went away/);
    } finally {
      gateway.receiveMany = receiveMany;
      proto.settle = settle;
    }
    const mine = async () => (await app.ledger()).filter((r) => ids.some((id) => r.messageId === messageId(id))).map((r) => r.messageId);
    expect(await mine()).toEqual(ids.slice(0, 10).map(messageId));
    const seen = async () => (await dovecot.list()).filter((m) => ids.some((id) => m.messageId === messageId(id)) && m.flags.has('\\Seen')).map((m) => m.messageId);
    // the five batches in the ledger are flagged, though the fetch failed, each mail once and in fewer STOREs than
    // batches (one per cursor save, every 250 ms); the sixth batch is left for the next fetch
    expect(await seen()).toEqual(ids.slice(0, 10).map(messageId));
    expect(stores.flat().sort((a, b) => a - b)).toEqual([...new Set(stores.flat())].sort((a, b) => a - b));
    expect(stores.flat()).toHaveLength(10);
    expect(stores.length).toBeLessThan(5);

    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 2, duplicates: 0, failed: 0 });
    expect(await mine()).toEqual(ids.map(messageId));
    expect(await seen()).toEqual(ids.map(messageId));
    await app.settle();
  });

  it('reports health per mailbox and tests connections with a readable error', async () => {
    const [health] = await app.ingress.health();
    expect(health).toMatchObject({ name: 'imap', server: `${IMAP_USERS.test}@127.0.0.1:${dovecot.port}/INBOX`, idle: null, lastError: null, fetching: false });
    expect(health.lastSuccessAt).toBeInstanceOf(Date);
    // and the sample app's /health shows it
    const { port } = app.app.getHttpServer().address() as { port: number };
    const body = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { mailboxes: unknown[] };
    expect(body.mailboxes).toEqual([expect.objectContaining({ name: 'imap', lastError: null, lastSuccessAt: health.lastSuccessAt!.toISOString() })]);

    const ok = await app.ingress.testConnection('imap');
    expect(ok).toMatchObject({ ok: true, folder: 'INBOX', idle: true });
    expect(ok.messages).toBeGreaterThanOrEqual(9);

    const base = { name: 'probe', host: '127.0.0.1', port: dovecot.port, auth: { user: IMAP_USERS.test, pass: 'secret' } };
    const badPassword = await app.ingress.testConnection({ ...base, auth: { user: IMAP_USERS.test, pass: 'wrong' } });
    expect(badPassword.ok).toBe(false);
    expect(badPassword.error).toMatch(/login refused for test@example.test, check the password/);
    const noFolder = await app.ingress.testConnection({ ...base, folder: 'Nope' });
    expect(noFolder).toMatchObject({ ok: false, error: expect.stringMatching(/folder "Nope" does not exist/) });
    const closedPort = await app.ingress.testConnection({ ...base, port: 1 });
    expect(closedPort).toMatchObject({ ok: false, error: expect.stringMatching(/connection refused, nothing listens on 127.0.0.1:1/) });
    const badConfig = await app.ingress.testConnection({ name: 'probe', url: 'http://x' });
    expect(badConfig).toMatchObject({ ok: false, error: expect.stringMatching(/url must start with imap/) });
  });

  it('records a failed fetch on the mailbox health and recovers on the next one', async () => {
    const other = await bootImapApp(db, dovecot.url({ folder: 'Missing', params: { idle: false, intervalMs: 3_600_000 } }), { PORT: '0' });
    try {
      await expect(other.ingress.fetchNow('imap')).rejects.toThrow(/IMAP mailbox "imap" .*Missing/);
      const [health] = await other.ingress.health();
      expect(health.lastError).toMatch(/Missing/);
      expect(health.lastErrorAt).toBeInstanceOf(Date);
      // the lease is given back on failure: the next fetch is not locked out
      expect((await other.state())!.leaseOwner).toBeNull();
    } finally {
      await other.close();
    }
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ leased: true, failed: 0 });
    expect((await app.state())!.lastError).toBeNull();
  });

  it('closes its IMAP connections on shutdown', async () => {
    await app.close();
    await waitFor('no IMAP session left', async () => (await dovecot.sessions(IMAP_USERS.test)) === 0, 5_000);
    app = await bootImapApp(db, dovecot.url({ params: { idle: false, intervalMs: 3_600_000 } }));
    await app.settle();
    // the boot-time catch-up fetch found nothing new: every mail is still in the ledger exactly once
    const rows = await app.ledger();
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(rows.length);
  });
});

describe('IMAP batch planning', () => {
  it('cuts batches at batchSize mails and at the byte cap, a mail over the cap alone, oldest first', () => {
    const uids = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(planBatches(uids, () => 10, 3, 100)).toEqual([[1, 2, 3], [4, 5, 6], [7, 8]]);
    const sizes: Record<number, number> = { 1: 40, 2: 40, 3: 40, 4: 500, 5: 10, 6: 60, 7: 50, 8: 10 };
    expect(planBatches(uids, (uid) => sizes[uid], 10, 100)).toEqual([[1, 2], [3], [4], [5, 6], [7, 8]]);
    expect(planBatches([], () => 1, 3, 100)).toEqual([]);
  });

  it("gives each mail a share that a full batch of such mails cannot exceed", () => {
    for (const size of [1, 3, 50, 1000, 20_000]) {
      const share = batchShare(size);
      expect(planBatches(Array.from({ length: size * 2 }, (_, i) => i + 1), () => share, size).every((b) => b.length === size)).toBe(true);
    }
  });
});
