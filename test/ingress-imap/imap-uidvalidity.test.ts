import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/database.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bootImapApp, cleanUp, messageId, rawMail, type ImapApp } from './imap-app.js';

const FOLDER = 'Support';

describe.each(DIALECTS)('IMAP fetch across a UIDVALIDITY change (%s)', (dialect) => {
  let dovecot: DovecotServer;
  let db: TestDatabase;
  let app: ImapApp;

  beforeAll(async () => {
    dovecot = await startDovecot();
    await dovecot.createFolder(FOLDER);
    db = await createTestDatabase(dialect);
    app = await bootImapApp(db, dovecot.url({ folder: FOLDER, params: { idle: false, intervalMs: 3_600_000, batchSize: 4 } }));
    await app.settle();
  });

  afterAll(async () => {
    await cleanUp(() => app?.close(), () => db?.drop(), () => dovecot?.stop());
  });

  /** every ledger row of the mailbox is a different mail, and there are `n` */
  async function expectLedgerOnce(n: number) {
    const rows = await app.ledger();
    expect(rows.length).toBe(n);
    expect(new Set(rows.map((r) => r.sha256)).size).toBe(n);
    expect(new Set(rows.map((r) => r.messageId)).size).toBe(n);
    return rows;
  }

  it('loses and doubles nothing when the folder is recreated with new UIDs and no flags', async () => {
    const first = ['u1', 'u2', 'u3', 'u4'];
    await dovecot.appendMany(first.map((id) => rawMail({ id, withoutMessageId: id === 'u3' })), { folder: FOLDER });
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 4 });
    const before = (await app.state())!;

    // two more arrive but are not fetched yet; then the server migration: new UIDVALIDITY, UIDs from 1, all unseen
    await dovecot.appendMany([rawMail({ id: 'u5' }), rawMail({ id: 'u6' })], { folder: FOLDER });
    const validity = await dovecot.recreateFolder(FOLDER);
    await dovecot.append(rawMail({ id: 'u7' }), { folder: FOLDER });
    expect(String(validity)).not.toBe(before.uidValidity);
    expect((await dovecot.list(FOLDER)).every((m) => !m.flags.has('\\Seen'))).toBe(true);

    const result = await app.ingress.fetchNow('imap');
    // the four known ones (u3 by the hash of its bytes: it has no Message-ID) are matched, not received again
    expect(result).toMatchObject({ received: 3, duplicates: 4, failed: 0, uidValidity: String(validity) });
    await expectLedgerOnce(7);
    const mails = await dovecot.list(FOLDER);
    expect(mails.length).toBe(7);
    expect(mails.every((m) => m.flags.has('\\Seen'))).toBe(true);
    expect(await app.state()).toMatchObject({ uidValidity: String(validity), lastUid: mails.at(-1)!.uid, resyncBelowUid: 0 });

    await app.settle();
    const ids = ['u1', 'u2', 'u4', 'u5', 'u6', 'u7'].map(messageId);
    expect((await app.messages(ids)).length).toBe(6);
    expect((await app.ledger()).every((r) => r.status === 'delivered')).toBe(true);
  });

  it('loses and doubles nothing when only UIDVALIDITY changes and the flags are lost', async () => {
    const { uidValidity } = await dovecot.status(FOLDER);
    await dovecot.doveadm('mailbox', 'update', '-u', 'test@example.test', '--uid-validity', String(uidValidity + 1000n), FOLDER);
    // an index rebuild can also drop flags: every mail looks new
    const client = await dovecot.connect();
    await client.mailboxOpen(FOLDER);
    await client.messageFlagsRemove('1:*', ['\\Seen']);
    await client.logout();
    await dovecot.append(rawMail({ id: 'u8' }), { folder: FOLDER });

    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 1, duplicates: 7, uidValidity: String(uidValidity + 1000n) });
    await expectLedgerOnce(8);
    expect((await dovecot.list(FOLDER)).every((m) => m.flags.has('\\Seen'))).toBe(true);
    // and back to plain cursor fetching: nothing more
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 0, duplicates: 0 });
  });
});
