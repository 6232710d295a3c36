import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/database.js';

const agent = { 'x-user-email': 'agent@example.test', 'x-user-name': 'Agent Smith' };
const bob = { 'x-user-email': 'bob@example.test', 'x-user-name': 'Bob' };

describe.each(DIALECTS)('sample app: activities, mentions and attachments (%s)', (dialect) => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatter-sample-'));
    t = await startTestApp(dialect, {
      SMTP_LISTEN: 'off',
      CHATTER_OUTBOX_DIR: join(dir, 'outbox'),
      CHATTER_ATTACHMENT_DIR: join(dir, 'files'),
      CHATTER_MAX_ATTACHMENT_BYTES: '1000',
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an agent plans a call for Bob, Bob is told, marks it done with feedback, and it shows in the thread', async () => {
    const { body: ticket } = await t.http('POST', '/tickets', { subject: 'Printer on fire', customerEmail: 'alice@outside.test' }, agent);
    const planned = await t.http('POST', `/chatter/ticket/${ticket.id}/activities`, { type: 'Call', summary: 'Call Alice', assigneeEmail: 'bob@example.test' }, agent);
    expect(planned.status).toBe(201);
    expect(planned.body).toMatchObject({ createdBy: { email: 'agent@example.test' }, assignee: { email: 'bob@example.test' }, state: 'planned', daysLeft: 2 });
    const notice = (await t.http('GET', `/chatter/ticket/${ticket.id}/messages`)).body[0];
    expect(notice).toMatchObject({ type: 'notification', subject: 'Printer on fire: Call: Call Alice assigned to you', isInternal: true });
    expect(notice.notifications.map((n: any) => n.email)).toEqual(['bob@example.test']);
    const mine = await t.http('GET', '/chatter/activities', undefined, bob);
    expect(mine.body.map((a: any) => a.summary)).toEqual(['Call Alice']);
    const done = await t.http('POST', `/chatter/activities/${planned.body.id}/done`, { feedback: 'Fire is out' }, bob);
    expect(done.body).toMatchObject({ type: 'activity', author: { email: 'bob@example.test' } });
    expect(done.body.body).toContain('Fire is out');
    expect((await t.http('GET', `/chatter/ticket/${ticket.id}/activities`)).body).toEqual([]);
  });

  it('mentions and attachments through the same API', async () => {
    const { body: ticket } = await t.http('POST', '/tickets', { subject: 'Scanner' }, agent);
    await t.http('POST', `/chatter/ticket/${ticket.id}/followers`, { email: 'bob@example.test' });
    const form = new FormData();
    form.append('file', new Blob(['log line'], { type: 'text/plain' }), 'scan.log');
    const up = await fetch(`${t.url}/chatter/ticket/${ticket.id}/attachments`, { method: 'POST', body: form, headers: agent });
    expect(up.status).toBe(201);
    const file = (await up.json()) as { id: number };
    const posted = await t.http('POST', `/chatter/ticket/${ticket.id}/messages`, { body: 'see log, @carol@example.test', type: 'note', attachmentIds: [file.id] }, agent);
    expect(posted.status).toBe(201);
    expect(posted.body.attachments.map((a: any) => a.name)).toEqual(['scan.log']);
    const big = new FormData();
    big.append('file', new Blob([Buffer.alloc(1001)]), 'big.bin');
    expect((await fetch(`${t.url}/chatter/ticket/${ticket.id}/attachments`, { method: 'POST', body: big })).status).toBe(413);
    const res = await fetch(`${t.url}/chatter/attachments/${file.id}`);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="scan.log"; filename*=UTF-8''scan.log`);
    expect(await res.text()).toBe('log line');
  });
});
