import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type Dialect, type TestDatabase } from '../support/database.js';
import { IMAP_USERS, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bootImapApp, cleanUp, messageId, rawMail, type ImapApp } from './imap-app.js';

/**
 * A real failure, no mock: a trigger makes the database refuse ledger rows of mails whose Message-ID starts with
 * `<refuse-me` (as a full disk or a lost connection would), until it is dropped.
 */
async function refuseInLedger(app: ImapApp, dialect: Dialect, on: boolean): Promise<void> {
  const connection = app.orm.em.getConnection();
  if (dialect === 'sqlite') {
    await connection.execute(on
      ? `create trigger chatter_test_refuse before insert on chatter_inbound_email when new.message_id like '<refuse-me%'
         begin select raise(abort, 'refused by the test trigger'); end`
      : 'drop trigger chatter_test_refuse');
    return;
  }
  if (on) {
    await connection.execute(`create or replace function chatter_test_refuse() returns trigger as $$
      begin if new.message_id like '<refuse-me%' then raise exception 'refused by the test trigger'; end if; return new; end $$ language plpgsql`);
    await connection.execute('create trigger chatter_test_refuse before insert on chatter_inbound_email for each row execute function chatter_test_refuse()');
  } else {
    await connection.execute('drop trigger chatter_test_refuse on chatter_inbound_email');
  }
}

function flagsOf(mails: { messageId?: string; flags: Set<string> }[], id: string): Set<string> | undefined {
  return mails.find((m) => m.messageId === messageId(id))?.flags;
}

describe.each(DIALECTS)('IMAP fetch when the ledger refuses a mail (%s)', (dialect) => {
  let dovecot: DovecotServer;
  const dbs: TestDatabase[] = [];
  const apps: ImapApp[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot();
  });

  afterAll(async () => {
    await cleanUp(...apps.map((app) => () => app.close()), ...dbs.map((db) => () => db.drop()), () => dovecot?.stop());
  });

  async function boot(params: Record<string, string | number | boolean>, user: string = IMAP_USERS.test): Promise<ImapApp> {
    const db = await createTestDatabase(dialect);
    dbs.push(db);
    const app = await bootImapApp(db, dovecot.url({ user, params: { idle: false, intervalMs: 3_600_000, ...params } }));
    apps.push(app);
    await app.settle();
    return app;
  }

  it('leaves a refused mail unseen, takes the others, and takes it once the cause is fixed', async () => {
    const app = await boot({ batchSize: 10 });
    await refuseInLedger(app, dialect, true);
    await dovecot.appendMany([rawMail({ id: 'good-1' }), rawMail({ id: 'refuse-me-1' }), rawMail({ id: 'good-2' })]);

    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 2, failed: 1 });
    let mails = await dovecot.list();
    expect(flagsOf(mails, 'good-1')!.has('\\Seen')).toBe(true);
    expect(flagsOf(mails, 'refuse-me-1')!.has('\\Seen')).toBe(false);
    expect(flagsOf(mails, 'good-2')!.has('\\Seen')).toBe(true);
    expect((await app.ledger()).map((r) => r.messageId)).toEqual([messageId('good-1'), messageId('good-2')]);
    // the cursor waits before the refused mail, and the health says why
    const state = (await app.state())!;
    expect(state.lastUid).toBe(mails[0].uid);
    expect(state.lastError).toMatch(/1 mail\(s\) refused by the ledger, left in INBOX/);

    // still refused: retried, still unseen, nothing doubled
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 0, failed: 1 });
    expect(flagsOf(await dovecot.list(), 'refuse-me-1')!.has('\\Seen')).toBe(false);

    await refuseInLedger(app, dialect, false);
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 1, failed: 0 });
    mails = await dovecot.list();
    expect(mails.every((m) => m.flags.has('\\Seen'))).toBe(true);
    expect((await app.ledger()).map((r) => r.messageId).sort()).toEqual(['good-1', 'good-2', 'refuse-me-1'].map(messageId).sort());
    expect(await app.state()).toMatchObject({ lastUid: mails.at(-1)!.uid, lastError: null });
  });

  it('moves taken mails to a folder, and a mail refused too often to the failure folder, unseen', async () => {
    const user = IMAP_USERS.bob;
    await dovecot.createFolder('Failed', user);
    const app = await boot({ moveTo: 'Archive', failedTo: 'Failed', failedAttempts: 2 }, user);
    await refuseInLedger(app, dialect, true);
    await dovecot.appendMany([rawMail({ id: 'move-1' }), rawMail({ id: 'refuse-me-2' }), rawMail({ id: 'move-2' })], { user });

    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 2, failed: 1 });
    expect((await dovecot.list('Archive', user)).map((m) => m.messageId)).toEqual([messageId('move-1'), messageId('move-2')]);
    expect((await dovecot.list('INBOX', user)).map((m) => m.messageId)).toEqual([messageId('refuse-me-2')]);

    // the second refusal reaches `failedAttempts`: parked in Failed, still unread, and the cursor moves on
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 0, failed: 1 });
    expect(await dovecot.list('INBOX', user)).toEqual([]);
    const failed = await dovecot.list('Failed', user);
    expect(failed.map((m) => m.messageId)).toEqual([messageId('refuse-me-2')]);
    expect(failed[0].flags.has('\\Seen')).toBe(false);
    expect((await app.ledger()).map((r) => r.messageId)).toEqual([messageId('move-1'), messageId('move-2')]);

    await dovecot.append(rawMail({ id: 'move-3' }), { user });
    expect(await app.ingress.fetchNow('imap')).toMatchObject({ received: 1, failed: 0 });
    expect((await dovecot.list('Archive', user)).length).toBe(3);
  });
});
