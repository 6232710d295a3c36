import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MikroORM } from '@mikro-orm/core';
import { InboundEmail, InboundGateway } from '../../lib/index.js';
import { ormConfigFromUrl } from '../../sample-app/orm-config.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/database.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bootImapApp, cleanUp, messageId, rawMail, waitFor } from './imap-app.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
// enough mails that one fetch batch takes several ledger commits (of up to 200 rows): the kill lands after the first
const MAILS = 1000;

/** The sample app compiled once for this file, so it can run — and be killed — as a process of its own. */
let build: string;

beforeAll(async () => {
  // inside the package, so the compiled files find node_modules
  build = mkdtempSync(join(ROOT, 'var', 'imap-crash-'));
  // type errors elsewhere in the tree must not stop the emit: only the output matters here
  await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', build, '--noEmitOnError', 'false'], { cwd: ROOT }).catch(() => undefined);
  if (!existsSync(join(build, 'sample-app/main.js'))) throw new Error(`compiling the sample app into ${build} failed`);
  // tsc copies no static files: the web page's, beside its compiled controller
  cpSync(join(ROOT, 'sample-app/web/public'), join(build, 'sample-app/web/public'), { recursive: true });
}, 120_000);

afterAll(() => {
  if (build) rmSync(build, { recursive: true, force: true });
});

describe.each(DIALECTS)('IMAP fetch killed mid-batch (%s)', (dialect) => {
  let dovecot: DovecotServer;
  let db: TestDatabase;
  let child: ChildProcess | undefined;
  let probe: MikroORM;

  beforeAll(async () => {
    dovecot = await startDovecot();
    db = await createTestDatabase(dialect);
  });

  afterAll(async () => {
    await cleanUp(() => child?.kill('SIGKILL'), () => probe?.close(), () => db?.drop(), () => dovecot?.stop());
  });

  it('takes every mail exactly once after a restart, though some were in the ledger and not yet \\Seen', { timeout: 120_000 }, async () => {
    const ids = Array.from({ length: MAILS }, (_, i) => `crash-${i}`);
    // one sender each: the loop guard refuses more than 20 mails from one sender in two hours
    await dovecot.appendMany(ids.map((id, i) => rawMail({ id, subject: `Crash ${id}`, from: `customer${i}@outside.test` })));
    // one batch for all: \Seen comes only after the last mail is in the ledger, so a kill in between leaves the gap
    const url = dovecot.url({ params: { idle: false, intervalMs: 3_600_000, batchSize: 1000, leaseMs: 2000 } });

    let output = '';
    child = spawn(NODE, [join(build, 'sample-app/main.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', SMTP_LISTEN: 'off', DATABASE_URL: db.url, IMAP_URL: url, CHATTER_SECRET: 'test-secret-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise((r) => child!.once('exit', r));

    // our own look at the database while the app writes to it
    const count = async () => {
      probe ??= await MikroORM.init(ormConfigFromUrl(db.url, [InboundEmail], { allowGlobalContext: true, debug: false }));
      return probe.em.fork().count(InboundEmail, { mailbox: 'imap' }).catch(() => 0);
    };
    // polled tightly: the batch's later commits and its \Seen follow the first within a few hundred milliseconds
    const deadline = Date.now() + 60_000;
    while ((await count()) === 0) {
      if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}): ${output}`);
      if (Date.now() > deadline) throw new Error(`the app took no mail within 60 s: ${output}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGKILL');
    await exited;
    child = undefined;

    const taken = await count();
    const seen = (await dovecot.list()).filter((m) => m.flags.has('\\Seen')).length;
    // the state this test is about: committed to the ledger, not yet flagged on the server
    expect(taken, 'the kill must land between the ledger commit and \\Seen').toBeGreaterThan(seen);

    const app = await bootImapApp(db, url);
    try {
      // the dead process's lease on the mailbox runs out (2 s), then the restarted app takes over
      await waitFor('the mailbox lease', async () => (await app.ingress.fetchNow('imap'))?.leased, 20_000);
      const rows = await app.ledger();
      expect(rows.length).toBe(MAILS);
      expect(new Set(rows.map((r) => r.messageId))).toEqual(new Set(ids.map(messageId)));
      const mails = await dovecot.list();
      expect(mails.every((m) => m.flags.has('\\Seen'))).toBe(true);

      // rows the killed process had claimed for processing wait for their claim to expire; make it so now
      await app.orm.em.fork().nativeUpdate(InboundEmail, { status: 'processing' }, { claimedAt: new Date(0) });
      await app.app.get(InboundGateway).resumePending();
      await app.settle();
      const processed = await app.ledger();
      expect(processed.filter((r) => r.status !== 'delivered').map((r) => `${r.messageId}: ${r.status} ${r.error ?? ''}`)).toEqual([]);
      // and each mail is one message in one thread
      const messages = await app.messages(ids.map(messageId));
      expect(messages.length).toBe(MAILS);
      expect(new Set(messages.map((m) => m.resId)).size).toBe(MAILS);
    } finally {
      await app.close();
    }
  });
});
