import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { startPostfix, type PostfixServer } from '../support/postfix.js';
import { bootImapApp, cleanUp, messageId, Ticket, type ImapApp, waitFor } from './imap-app.js';

const ROOT = resolve(import.meta.dirname, '../..');
// Postfix runs the pipe as nobody with no PATH: the real node binary, not the npm shim
const NODE = realpathSync(join(ROOT, 'node_modules/.bin/node'));
const MAILGATE = join(ROOT, 'bin/chatter-mailgate.mjs');
const TOKEN = 'pipe-test-token-0123456789';

describe.each(DIALECTS)('Postfix → pipe → chatter-mailgate → the app (%s)', (dialect) => {
  let db: TestDatabase;
  let app: ImapApp | undefined;
  let postfix: PostfixServer;
  let port: number;
  let dir: string;

  const boot = async () => {
    app = await bootImapApp(db, '', { PORT: String(port), CHATTER_INBOUND_TOKEN: TOKEN });
  };

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    port = await freePort();
    await boot();
    dir = mkdtempSync(join(tmpdir(), 'mailgate-'));
    chmodSync(dir, 0o755);
    const tokenFile = join(dir, 'token');
    // read by the pipe's user (nobody)
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o644 });
    postfix = await startPostfix({
      domain: 'example.test',
      argv: [NODE, MAILGATE, '--url', `http://127.0.0.1:${port}/chatter/inbound`, '--token-file', tokenFile, '--timeout', '10', '${recipient}', '${sender}'],
    });
  });

  afterAll(async () => {
    await cleanUp(() => postfix?.stop(), () => app?.close(), () => db?.drop(), () => dir && rmSync(dir, { recursive: true, force: true }));
  });

  it('delivers a mail for an alias: Postfix pipes it, the mailgate exits 0, it is in the ledger and a ticket', async () => {
    const sent = await postfix.swaks({
      from: 'alice@outside.test',
      to: 'support@example.test',
      subject: 'Scanner jammed',
      body: 'The scanner on floor 2 is jammed again.',
      headers: { 'Message-Id': messageId('pipe-1') },
    });
    expect(sent.code, sent.output).toBe(0);
    const delivery = await postfix.waitForDelivery('support@example.test');
    expect(delivery).toMatchObject({ status: 'sent', dsn: '2.0.0' });

    const [row] = (await app!.ledger('')).filter((r) => r.messageId === messageId('pipe-1'));
    expect(row).toMatchObject({ sourceKind: 'pipe', recipients: ['support@example.test'] });
    await app!.settle();
    const [message] = await app!.messages([messageId('pipe-1')]);
    expect(message.resModel).toBe('ticket');
    const ticket = await app!.orm.em.fork().findOneOrFail(Ticket, Number(message.resId));
    expect(ticket.subject).toBe('Scanner jammed');
  });

  it('bounces a mail for an unknown alias: the mailgate exits 67 and Postfix returns it to the sender', async () => {
    const sent = await postfix.swaks({ from: 'alice@outside.test', to: 'nobody-here@example.test', headers: { 'Message-Id': messageId('pipe-2') } });
    expect(sent.code, sent.output).toBe(0);
    const delivery = await postfix.waitForDelivery('nobody-here@example.test');
    expect(delivery.status).toBe('bounced');
    expect(delivery.dsn).toBe('5.1.1');
    expect(delivery.detail).toMatch(/no such recipient: nobody-here@example.test/);
    expect((await app!.ledger('')).some((r) => r.messageId === messageId('pipe-2'))).toBe(false);
  });

  it('defers a mail while the app is down (exit 75) and delivers it once, when the app is back', async () => {
    await app!.close();
    app = undefined;
    const sent = await postfix.swaks({ from: 'bob@outside.test', to: 'sales@example.test', subject: 'Quote for 40 chairs', headers: { 'Message-Id': messageId('pipe-3') } });
    expect(sent.code, sent.output).toBe(0);
    const deferred = await postfix.waitForDelivery('sales@example.test', 'deferred');
    expect(deferred.dsn).toMatch(/^4\./);
    expect(deferred.detail).toMatch(/relay unreachable/);
    expect(await postfix.queue()).toContain('sales@example.test');

    await boot();
    await postfix.flush();
    await postfix.waitForDelivery('sales@example.test', 'sent');
    await waitFor('an empty Postfix queue', async () => (await postfix.queue()).length === 0);
    const rows = (await app!.ledger('')).filter((r) => r.messageId === messageId('pipe-3'));
    expect(rows.length).toBe(1);
    await app!.settle();
    const [message] = await app!.messages([messageId('pipe-3')]);
    expect(message.resModel).toBe('lead');
  });
});
