import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { MikroORM } from '@mikro-orm/core';
import { OutgoingMail, bounceAddress } from '../../lib/index.js';
import { ChatterConfig } from '../../lib/chatter.config.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { DIALECTS } from '../support/database.js';
import { launchBrowser, openTicket, screenshotDir, type PageWatch, type WebBrowser } from './support/browser.js';
import { dsn, eventually, relay, RELAY_TOKEN } from './support/mail.js';
import { gradientPng } from './support/png.js';
import { shownMessages, waitForMessage } from './support/thread.js';

// page.evaluate callbacks run in the browser; the test project's types are Node's, so its globals are declared here
declare const document: any, window: any, getComputedStyle: (el: unknown) => any;

const agent = { 'x-user-email': 'agent@example.test', 'x-user-name': 'Agent Smith' };

describe.each(DIALECTS)('the ticket page in Chromium (%s)', (dialect) => {
  let t: TestApp;
  let browser: WebBrowser;
  let watch: PageWatch;
  let page: Page;
  let dir: string;
  let ticketId: number;
  let sentMessageId: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatter-web-'));
    t = await startTestApp(dialect, { SMTP_LISTEN: 'off', CHATTER_OUTBOX_DIR: join(dir, 'outbox'), CHATTER_INBOUND_TOKEN: RELAY_TOKEN });
    browser = await launchBrowser();
    await t.http('POST', '/tickets', { subject: 'VPN drops every ten minutes', customerEmail: 'dan@outside.test' }, agent);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function messagesApi(id = ticketId) {
    return (await t.http('GET', `/chatter/ticket/${id}/messages?limit=200`)).body as any[];
  }

  it('the ticket list shows the tickets; "New ticket" opens one and lands on its page', async () => {
    watch = await browser.open(`${t.url}/`);
    page = watch.page;
    expect(new URL(page.url()).pathname).toBe('/web/tickets');
    await expect(page.locator('table.list tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('table.list').innerText()).resolves.toContain('VPN drops every ten minutes');
    await page.fill('#new-ticket input[name=subject]', 'Printer on the 3rd floor is on fire');
    await page.fill('#new-ticket input[name=customerEmail]', 'alice@outside.test');
    await page.click('#new-ticket button[type=submit]');
    await page.waitForURL(/\/web\/tickets\/\d+$/);
    ticketId = Number(page.url().split('/').pop());
    await page.locator('#chatter[data-ready="true"]').waitFor();
    await expect(page.inputValue('#ticket-form input[name=subject]')).resolves.toBe('Printer on the 3rd floor is on fire');
    await waitForMessage(page, 'Ticket created');
    // back to the list: the new ticket is a link to its page
    await page.goto(`${t.url}/web/tickets`);
    await page.getByRole('link', { name: 'Printer on the 3rd floor is on fire' }).click();
    await page.waitForURL(`${t.url}/web/tickets/${ticketId}`);
    await page.locator('#chatter[data-ready="true"]').waitFor();
  });

  it('the statusbar saves at once and the form saves subject and assignee: the thread shows "Status: New → In progress"', async () => {
    await page.getByRole('button', { name: 'In progress', exact: true }).click();
    const tracking = await waitForMessage(page, 'Status: New → In progress', 'tracking');
    expect(tracking.tracking).toEqual(['Status: New → In progress']);
    await expect(page.locator('#status-label').innerText()).resolves.toBe('In progress');
    await page.fill('#ticket-form input[name=assignee]', 'bob@example.test');
    await page.fill('#ticket-form input[name=subject]', 'Printer on the 3rd floor is on fire!');
    await page.click('#save');
    await waitForMessage(page, 'Assignee: None → bob@example.test', 'tracking');
    await expect(page.locator('#crumb-subject').innerText()).resolves.toBe('Printer on the 3rd floor is on fire!');
    await expect(page.locator('#save').isDisabled()).resolves.toBe(true);
    const ticket = (await t.http('GET', `/tickets/${ticketId}`)).body;
    expect(ticket).toMatchObject({ status: 'in_progress', assignee: 'bob@example.test', subject: 'Printer on the 3rd floor is on fire!' });
  });

  it('followers: add two from the panel, remove one, unfollow and follow again as the acting user', async () => {
    await page.click('#followers-toggle');
    for (const [email, name] of [['alice@outside.test', 'Alice Customer'], ['carol@example.test', 'Carol Danvers']]) {
      await page.fill('#add-follower input[name=email]', email);
      await page.fill('#add-follower input[name=name]', name);
      await page.click('#add-follower button[type=submit]');
      await page.locator(`#follower-list li[data-email="${email}"]`).waitFor();
    }
    const before = Number(await page.locator('#follower-count').innerText());
    await page.getByRole('button', { name: 'Remove Carol Danvers' }).click();
    await page.locator('#follower-list li[data-email="carol@example.test"]').waitFor({ state: 'detached' });
    await expect(page.locator('#follower-count').innerText()).resolves.toBe(String(before - 1));
    const emails = async () => ((await t.http('GET', `/chatter/ticket/${ticketId}/followers`)).body as any[]).map((f) => f.email).sort();
    expect(await emails()).toContain('alice@outside.test');
    expect(await emails()).not.toContain('carol@example.test');
    // the agent follows since they changed the ticket: "Following" → click → "Follow" → click → "Following"
    const follow = page.locator('#follow-toggle');
    await expect(follow.innerText()).resolves.toBe('Following');
    await follow.click();
    await page.waitForFunction(() => document.getElementById('follow-toggle')?.textContent === 'Follow');
    expect(await emails()).not.toContain('agent@example.test');
    await follow.click();
    await page.waitForFunction(() => document.getElementById('follow-toggle')?.textContent === 'Following');
    expect(await emails()).toContain('agent@example.test');
    await page.click('.sheet-ref'); // a click outside closes the panel
    await page.locator('#followers-panel').waitFor({ state: 'hidden' });
  });

  it('"Send message" posts a comment that is emailed to the followers', async () => {
    await page.getByRole('button', { name: 'Send message' }).click();
    await expect(page.locator('#composer-to').innerText()).resolves.toContain('Alice Customer');
    await page.fill('#composer textarea', 'A technician is on the way, please keep the door closed.');
    await page.click('#composer-submit');
    const shown = await waitForMessage(page, 'A technician is on the way', 'comment');
    sentMessageId = shown.id;
    expect(shown.head).toContain('Agent Smith');
    const stored = (await messagesApi()).find((m) => m.id === shown.id);
    expect(stored).toMatchObject({ type: 'comment', isInternal: false, author: { email: 'agent@example.test' } });
    expect(stored.notifications.filter((n: any) => n.type === 'email').map((n: any) => n.email)).toContain('alice@outside.test');
    await expect(page.inputValue('#composer textarea')).resolves.toBe('');
  });

  it('"Log note" posts an internal note on its own background, emailed to no customer', async () => {
    await page.getByRole('button', { name: 'Log note' }).click();
    await expect(page.locator('#composer').getAttribute('class')).resolves.toContain('composer-note');
    await page.fill('#composer textarea', 'Facilities say the extinguisher is in room 3.12.');
    await page.getByRole('button', { name: 'Log', exact: true }).click();
    const note = await waitForMessage(page, 'extinguisher is in room 3.12', 'note');
    const stored = (await messagesApi()).find((m) => m.id === note.id);
    expect(stored).toMatchObject({ type: 'note', isInternal: true });
    expect(stored.notifications.map((n: any) => n.email)).not.toContain('alice@outside.test');
    const backgrounds = await page.evaluate(([noteId, commentId]) => {
      const color = (id: number) => getComputedStyle(document.querySelector(`.message[data-message-id="${id}"]`)!).backgroundColor;
      return { note: color(noteId), comment: color(commentId) };
    }, [note.id, sentMessageId] as const);
    expect(backgrounds.note).not.toBe(backgrounds.comment);
    expect(backgrounds.note).not.toBe('rgba(0, 0, 0, 0)');
  });

  it('activities: schedule a call for Bob; acting as Bob, mark it done with feedback', async () => {
    await page.getByRole('button', { name: 'Activities' }).click();
    await page.locator('#activity-type option[value="Call"]').waitFor({ state: 'attached' });
    await page.selectOption('#activity-type', 'Call');
    await page.fill('#activity-form input[name=summary]', 'Call Alice back');
    await page.fill('#activity-form input[name=assigneeEmail]', 'bob@example.test');
    await page.click('#activity-form button[type=submit]');
    const item = page.locator('#activity-list li.activity', { hasText: 'Call: Call Alice back' });
    await item.waitFor();
    await expect(item.innerText()).resolves.toMatch(/Due in 2 days/);
    await expect(item.getAttribute('class')).resolves.toContain('state-planned');
    // Bob is told in the thread (a notification for him)
    await waitForMessage(page, 'Call Alice back', 'notification');
    // act as Bob: the picker in the top bar
    await page.selectOption('#acting-as', 'bob@example.test');
    await expect(page.evaluate(() => localStorage.getItem('chatter.actingAs'))).resolves.toContain('bob@example.test');
    await item.getByRole('button', { name: 'Mark done' }).click();
    await item.locator('textarea[name=feedback]').fill('Alice confirmed: the fire is out.');
    await item.getByRole('button', { name: 'Done', exact: true }).click();
    await item.waitFor({ state: 'detached' });
    const done = await waitForMessage(page, 'Alice confirmed: the fire is out.', 'activity');
    expect(done.head).toContain('Bob');
    expect((await t.http('GET', `/chatter/ticket/${ticketId}/activities`)).body).toEqual([]);
    await expect(page.locator('#activities').isHidden()).resolves.toBe(true);
    await page.selectOption('#acting-as', 'agent@example.test');
  });

  it('attachments: files go up first and ride on the message; the thread shows the image, Files lists them with download links', async () => {
    const png = gradientPng(160, 100);
    await page.getByRole('button', { name: 'Send message' }).click();
    await page.setInputFiles('#composer-file', [
      { name: 'smoke.png', mimeType: 'image/png', buffer: png },
      { name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from('room 3.12: all clear\n') },
    ]);
    await page.locator('#composer-files li', { hasText: 'report.txt' }).waitFor();
    await expect(page.locator('#composer-files li').count()).resolves.toBe(2);
    await page.fill('#composer textarea', 'Photo of the printer and the report.');
    await page.click('#composer-submit');
    const message = await waitForMessage(page, 'Photo of the printer', 'comment');
    const box = page.locator(`.message[data-message-id="${message.id}"]`);
    const image = box.locator('img[alt="smoke.png"]');
    await image.waitFor();
    await page.waitForFunction((id) => {
      const img = document.querySelector(`.message[data-message-id="${id}"] img[alt="smoke.png"]`);
      return !!img && img.complete && img.naturalWidth === 160;
    }, message.id);
    const stored = (await messagesApi()).find((m) => m.id === message.id);
    expect(stored.attachments.map((a: any) => a.name).sort()).toEqual(['report.txt', 'smoke.png']);
    // a real download through the link
    const [download] = await Promise.all([page.waitForEvent('download'), box.getByRole('link', { name: 'report.txt' }).click()]);
    expect(download.suggestedFilename()).toBe('report.txt');
    expect(readFileSync((await download.path())!, 'utf8')).toBe('room 3.12: all clear\n');
    // the record's files: both, plus one uploaded straight onto the record
    await page.click('#attachments-toggle');
    await page.setInputFiles('#record-file', { name: 'floor-plan.txt', mimeType: 'text/plain', buffer: Buffer.from('3rd floor') });
    await page.locator('#attachment-list li', { hasText: 'floor-plan.txt' }).waitFor();
    await expect(page.locator('#attachment-count').innerText()).resolves.toBe('3');
    const hrefs = await page.locator('#attachment-list a.file-name').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(hrefs).toHaveLength(3);
    for (const href of hrefs) expect(href).toMatch(/^\/chatter\/attachments\/\d+$/);
    await page.locator('#attachment-list img.attachment-thumb[alt="smoke.png"]').waitFor();
  });

  it('a notification email that bounced shows a red envelope with the reason', async () => {
    const orm = t.app.get(MikroORM);
    const out = await eventually(async () => {
      const mails = await orm.em.fork().find(OutgoingMail, { message: sentMessageId }, { populate: ['partner'] });
      return mails.find((m) => m.partner?.email === 'alice@outside.test' && m.state === 'sent');
    }, 'the notification mail to Alice to be sent');
    expect((await relay(t.url, dsn({ to: bounceAddress(out.id, 'example.test', t.app.get(ChatterConfig).secret), failed: 'alice@outside.test' }))).status).toBe(202);
    await eventually(async () => {
      const message = (await messagesApi()).find((m) => m.id === sentMessageId);
      return message.notifications.some((n: any) => n.email === 'alice@outside.test' && n.status === 'bounce');
    }, 'the bounce to be recorded');
    await openTicket(page, t.url, ticketId);
    const box = page.locator(`.message[data-message-id="${sentMessageId}"]`);
    const envelope = box.locator('button.envelope-failed');
    await envelope.waitFor();
    await expect(envelope.getAttribute('aria-label')).resolves.toBe('Not delivered to alice@outside.test');
    const red = await envelope.evaluate((el) => getComputedStyle(el).color);
    expect(red).toBe('rgb(212, 76, 89)');
    await envelope.click();
    const details = box.locator('.delivery');
    await details.waitFor();
    await expect(details.locator('li.delivery-failed').innerText()).resolves.toMatch(/alice@outside\.test: bounced/);
    // messages without failures keep a grey envelope (or none)
    await expect(page.locator('button.envelope-failed').count()).resolves.toBe(1);
    if (dialect === 'sqlite') {
      await page.click('#attachments-toggle');
      await page.screenshot({ path: join(screenshotDir(), 'ticket-page.png'), fullPage: true });
      await page.click('#attachments-toggle');
    }
  });

  it('the thread is newest first, 20 at a time; "Load older messages" brings the rest', async () => {
    const { body: other } = await t.http('POST', '/tickets', { subject: 'A long thread' }, agent);
    for (let i = 1; i <= 24; i++) await t.http('POST', `/chatter/ticket/${other.id}/messages`, { body: `update number ${i}`, type: 'note' }, agent);
    const all = await messagesApi(other.id);
    expect(all).toHaveLength(25); // 24 notes and "Ticket created"
    await openTicket(page, t.url, other.id);
    await waitForMessage(page, 'update number 24');
    let shown = await shownMessages(page);
    expect(shown.map((m) => m.id)).toEqual(all.slice(0, 20).map((m) => m.id));
    const older = page.getByRole('button', { name: 'Load older messages' });
    await older.click();
    await waitForMessage(page, 'Ticket created');
    shown = await shownMessages(page);
    expect(shown.map((m) => m.id)).toEqual(all.map((m) => m.id));
    await older.waitFor({ state: 'hidden' });
    if (dialect === 'sqlite') {
      await page.goto(`${t.url}/web/tickets`);
      const list = await page.locator('.list-page').boundingBox();
      await page.screenshot({ path: join(screenshotDir(), 'ticket-list.png'), clip: { x: 0, y: 0, width: 1400, height: Math.ceil(list!.y + list!.height + 20) } });
    }
    expect(watch.errors).toEqual([]);
    expect(watch.dialogs).toEqual([]);
  });
});
