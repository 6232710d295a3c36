import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/database.js';
import { IMAP_USERS, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bootImapApp, cleanUp, messageId, rawMail, type ImapApp, waitFor } from './imap-app.js';

describe.each(DIALECTS)('IMAP IDLE pickup (%s)', (dialect) => {
  let dovecot: DovecotServer;
  let db: TestDatabase;
  let app: ImapApp | undefined;

  beforeAll(async () => {
    dovecot = await startDovecot();
    db = await createTestDatabase(dialect);
  });

  afterAll(async () => {
    await cleanUp(() => app?.close(), () => db?.drop(), () => dovecot?.stop());
  });

  it('takes a mail as soon as it arrives, without waiting for the interval, and into the right thread', async () => {
    // mail waiting before the app starts is caught up when the IDLE connection opens
    await dovecot.append(rawMail({ id: 'before-boot', subject: 'Waiting since yesterday' }));
    // the interval is an hour: only IDLE can bring the mails in during this test
    app = await bootImapApp(db, dovecot.url({ params: { idle: true, intervalMs: 3_600_000 } }));
    await waitFor('the IDLE connection', async () => (await app!.ingress.health())[0].idle === true);
    await waitFor('the waiting mail in the ledger', async () => (await app!.ledger()).length === 1);

    await dovecot.append(rawMail({ id: 'idle-1', subject: 'Live one' }));
    const row = await waitFor('the new mail in the ledger', async () => (await app!.ledger()).find((r) => r.messageId === messageId('idle-1')));
    expect(row.sourceKind).toBe('imap');
    const [message] = await waitFor('the mail in a thread', async () => {
      const found = await app!.messages([messageId('idle-1')]);
      return found.length ? found : undefined;
    });
    expect(message.resModel).toBe('ticket');

    // a reply, also through IDLE, lands in the same thread
    await dovecot.append(rawMail({ id: 'idle-2', subject: 'Re: Live one', inReplyTo: messageId('idle-1') }));
    const [reply] = await waitFor('the reply in the thread', async () => {
      const found = await app!.messages([messageId('idle-2')]);
      return found.length ? found : undefined;
    });
    expect(reply.resId).toBe(message.resId);
    await waitFor('every mail \\Seen', async () => (await dovecot.list()).every((m) => m.flags.has('\\Seen')));
  });

  it('reconnects IDLE after the server drops it, and stops cleanly with no session left', async () => {
    // Dovecot kicks the user: the IDLE connection is cut from the server side
    await dovecot.doveadm('kick', IMAP_USERS.test);
    await waitFor('IDLE back up', async () => (await app!.ingress.health())[0].idle === true && (await dovecot.sessions(IMAP_USERS.test)) >= 1, 20_000);
    await dovecot.append(rawMail({ id: 'after-kick' }));
    await waitFor('the mail sent after the reconnect', async () => (await app!.ledger()).some((r) => r.messageId === messageId('after-kick')));

    await app!.close();
    app = undefined;
    await waitFor('no IMAP session left', async () => (await dovecot.sessions(IMAP_USERS.test)) === 0, 5_000);
  });
});
