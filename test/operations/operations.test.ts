import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatterHealth, ChatterOperations, InboundEmail, InboundGateway, Notification, OutgoingMail } from '../../lib/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/database.js';
import { startOutbound, type OutboundTesting } from '../outbound/support/outbound-app.js';
import { SmtpSink } from '../outbound/support/smtp-sink.js';

const CLI = fileURLToPath(new URL('../../bin/nestjs-chatter.mjs', import.meta.url));

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function raw(subject: string): Buffer {
  return Buffer.from(`From: alice@outside.test\r\nTo: support@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Date.now()}@outside.test>\r\n\r\nHello\r\n`);
}

describe.each(DIALECTS)('operator commands and health on %s', (dialect) => {
  let sink: SmtpSink;
  let refuseGhost = true;
  let t: OutboundTesting;
  let ops: ChatterOperations;

  beforeAll(async () => {
    sink = await SmtpSink.start({ reject: (a) => (refuseGhost && a === 'ghost@outside.test' ? '5.1.1 <ghost@outside.test>: User unknown' : undefined) });
    t = await startOutbound(dialect, { servers: [{ name: 'main', transport: sink.transport() }] }, { chatter: { incoming: { autoProcess: false } } });
    ops = t.app.get(ChatterOperations);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.stop();
  });

  it('lists failed inbound mails with their reason, shows them in the health report, and reprocesses them', async () => {
    const gateway = t.app.get(InboundGateway);
    const { id } = await gateway.receive(raw('Broken one'), { kind: 'http' });
    // as the processor leaves a mail whose routing threw
    await t.em().nativeUpdate(InboundEmail, { id }, { status: 'failed', decision: 'error', reason: 'failed: the alias table was locked' });

    const failed = await ops.failedInbound();
    expect(failed).toEqual([expect.objectContaining({ id, source: 'http', reason: 'failed: the alias table was locked' })]);
    const health = await t.app.get(ChatterHealth).check();
    expect(health).toMatchObject({ status: 'up', database: { up: true }, inbound: { failed: 1 }, jobs: { runner: 'in-process', queues: [] } });
    expect(health.problems).toContain('1 inbound mail(s) failed (see the operator command failed-inbound)');

    const progress: [number, number][] = [];
    const outcome = await ops.reprocessFailedInbound((done, total) => progress.push([done, total]));
    expect(progress).toEqual([[1, 1]]);
    expect(outcome.failed ?? 0).toBe(0);
    const row = await t.em().findOneOrFail(InboundEmail, id);
    expect(row.status).not.toBe('failed');
    expect(row.reason).not.toBe('failed: the alias table was locked');
    expect(await ops.failedInbound()).toEqual([]);
  });

  it('retries failed outgoing mails once the cause is fixed, and reports the outbox in the health check', async () => {
    const ref = await t.newCase();
    await t.threads.follow(ref, { email: 'ghost@outside.test', name: 'Ghost' });
    const message = await t.threads.post(ref, { body: '<p>Hello</p>' });
    await until(async () => (await t.em().count(OutgoingMail, { message: message.id, state: 'exception' })) === 1, 'the 550');
    expect((await t.app.get(ChatterHealth).check()).outbox).toMatchObject({ backlog: 0, exception: 1, stuckSending: 0, oldestOutgoingAgeMs: null });

    refuseGhost = false;
    expect(await ops.retryFailedOutgoing()).toBe(1);
    await until(async () => (await t.em().count(OutgoingMail, { message: message.id, state: 'sent' })) === 1, 'the retry');
    expect(sink.to('ghost@outside.test')).toHaveLength(1);
    expect(await t.em().count(Notification, { message: message.id, status: 'sent' })).toBe(1);
    expect(await ops.retryFailedOutgoing()).toBe(0);

    // retention: sent mails older than 0 days go
    const purged = await ops.purge({ outgoingDays: 0, now: new Date(Date.now() + 1000) });
    expect(purged.outgoingDeleted).toBeGreaterThanOrEqual(1);
    expect(await t.em().count(OutgoingMail, { message: message.id })).toBe(0);
  });

  it('tests an SMTP server or a mailbox connection with a readable error', async () => {
    expect(await ops.testSmtp('main')).toEqual({ ok: true, server: 'outgoing server "main"' });
    const closed = await ops.testSmtp('smtp://someone:secret@127.0.0.1:1');
    expect(closed.ok).toBe(false);
    expect(closed.error).toMatch(/^smtp:\/\/someone:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(closed.error).not.toContain('secret');
    expect(await ops.testSmtp('nowhere')).toMatchObject({ ok: false, error: '"nowhere" is neither a configured outgoing server nor an smtp:// URL' });
    expect(await ops.testMailbox('support')).toEqual({ ok: false, error: 'no IMAP mailbox named "support"' });
  });
});

describe('the nestjs-chatter CLI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { SMTP_LISTEN: 'off' });
  });
  afterAll(async () => {
    await t?.close();
  });

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: t.db.url, CHATTER_SECRET: 'test-secret-0123456789' } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('runs operator commands against the sample app: failed inbound, a failing SMTP test, the health report, usage', async () => {
    const none = await cli(['failed-inbound']);
    expect(none).toMatchObject({ code: 0, stdout: 'no failed inbound mail\n' });
    const smtp = await cli(['test-smtp', 'smtp://127.0.0.1:1']);
    expect(smtp.code).toBe(1);
    expect(smtp.stdout).toMatch(/^FAILED — smtp:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(smtp.stderr).toMatch(/WARN +\[ChatterOperations\] smtp:\/\/127\.0\.0\.1:1: /);
    const health = await cli(['health']);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'up', inbound: { failed: 0 }, jobs: { runner: 'in-process' } });
    const bad = await cli(['frobnicate']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('unknown command frobnicate');
  });
});
