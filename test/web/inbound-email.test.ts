import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app.js';
import { launchBrowser, openTicket, screenshotDir, type PageWatch, type WebBrowser } from './support/browser.js';
import { eventually, htmlMail, relay, RELAY_TOKEN } from './support/mail.js';
import { waitForMessage } from './support/thread.js';

// page.evaluate callbacks run in the browser; the test project's types are Node's, so its globals are declared here
declare const document: any, window: any, getComputedStyle: (el: unknown) => any;

/** Everything an email could try: script, event handlers, javascript: links, plugins, forms, and CSS that covers the page. */
const PAYLOAD = `<style>html, body, * { position: fixed !important; inset: 0 !important; z-index: 2147483647 !important; font-size: 400px !important; background: red !important; }</style>
<p>Hello, the printer is <b>still</b> smoking.</p>
<script>window.__pwned = 1; alert('script')</script>
<img src="x" onerror="window.__pwned = 1; alert('onerror')">
<a id="js-link" href="javascript:window.__pwned=1;alert('link')">see the photo</a>
<a id="js-popup" target="_blank" href="javascript:opener.__pwned=1">open the report</a>
<svg onload="window.__pwned = 1; alert('svg')"><circle r="40"/></svg>
<div style="position: fixed; top: 0; left: 0; width: 100vw; height: 100vh; background: red; z-index: 99999; font-size: 200px">COVER</div>
<iframe src="javascript:parent.__pwned=1"></iframe>
<object data="javascript:parent.__pwned=1"></object>
<form action="/tickets" method="post"><input name="subject" value="forged"><button id="forged">Go</button></form>
<p><a href="https://example.org/manual">the printer manual</a></p>`;

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

describe('an inbound email with an XSS payload, in Chromium (sqlite)', () => {
  let t: TestApp;
  let browser: WebBrowser;
  let watch: PageWatch;
  let page: Page;
  let dir: string;
  let ticketId: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatter-web-xss-'));
    t = await startTestApp('sqlite', { SMTP_LISTEN: 'off', CHATTER_OUTBOX_DIR: join(dir, 'outbox'), CHATTER_INBOUND_TOKEN: RELAY_TOKEN });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** the composer is open and nothing covers it; the message stays inside the chatter, below the composer */
  async function expectContained(messageSelector: string) {
    const composer = (await page.locator('#composer').boundingBox())!;
    const message = (await page.locator(messageSelector).boundingBox())!;
    const chatter = (await page.locator('#chatter').boundingBox())!;
    expect(overlaps(message, composer)).toBe(false);
    expect(message.y).toBeGreaterThan(composer.y + composer.height);
    expect(message.x).toBeGreaterThanOrEqual(chatter.x);
    expect(message.x + message.width).toBeLessThanOrEqual(chatter.x + chatter.width);
    expect(message.height).toBeLessThan(760);
    // what a click at the composer's and the top bar's centre would hit: the page's own elements
    const hits = await page.evaluate(() => {
      const at = (el: any) => {
        const r = el.getBoundingClientRect();
        return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      };
      return {
        composer: at(document.querySelector('#composer textarea')!) === document.querySelector('#composer textarea'),
        topbar: !!at(document.querySelector('.brand')!)?.closest('.topbar'),
        form: !!at(document.querySelector('#ticket-form .title-input')!)?.closest('#ticket-form'),
      };
    });
    expect(hits).toEqual({ composer: true, topbar: true, form: true });
  }

  async function settle() {
    // a click's consequences (navigation, a popup, a handler) run within a few frames
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
  }

  it('arrives through POST /chatter/inbound as a new ticket; nothing in it runs, opens a dialog or leaves its box', async () => {
    const sent = await relay(t.url, htmlMail({ from: 'Mallory <mallory@outside.test>', to: 'support@example.test', subject: 'Printer still smoking', html: PAYLOAD }));
    expect(sent.status).toBe(202);
    const ticket = await eventually(async () => ((await t.http('GET', '/tickets')).body as any[]).find((x) => x.subject === 'Printer still smoking'), 'the mail to open a ticket');
    ticketId = ticket.id;
    // stored sanitized
    const [email] = ((await t.http('GET', `/chatter/ticket/${ticketId}/messages`)).body as any[]).filter((m) => m.type === 'email');
    expect(email.body).toContain('<b>still</b>');
    expect(email.body).not.toMatch(/<script|onerror|onload|javascript:|<style|position|<iframe|<object|<form/i);

    watch = await browser.open(`${t.url}/web/tickets/${ticketId}`);
    page = watch.page;
    await page.locator('#chatter[data-ready="true"]').waitFor();
    const shown = await waitForMessage(page, 'still smoking', 'email');
    expect(shown.head).toContain('Mallory');
    await page.getByRole('button', { name: 'Send message' }).click();
    const frame = page.frameLocator(`.message[data-message-id="${shown.id}"] iframe`);
    const tabs = browser.context.pages().length;
    await frame.getByText('see the photo').click();
    await frame.getByText('open the report').click();
    await settle();
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(browser.context.pages()).toHaveLength(tabs);
    expect(page.url()).toBe(`${t.url}/web/tickets/${ticketId}`);
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
    await expectContained(`.message[data-message-id="${shown.id}"]`);
    // the frame is sandboxed without scripts, whatever the body
    const sandbox = await page.locator(`.message[data-message-id="${shown.id}"] iframe`).getAttribute('sandbox');
    expect(sandbox?.split(' ')).not.toContain('allow-scripts');
    await page.screenshot({ path: join(screenshotDir(), 'inbound-email.png') });
  });

  it('a body that got past the sanitizer still runs nothing and stays in its box: the sandboxed frame is the second wall', async () => {
    await openTicket(page, t.url, ticketId);
    await page.getByRole('button', { name: 'Send message' }).click();
    // hand the RAW payload to the page's own renderer, as if the server had not sanitized it
    // (a string, so that the test runner does not rewrite its dynamic import)
    await page.evaluate(`(async () => {
      const { messageFrame } = await import('/web/assets/message-frame.js');
      const article = document.createElement('article');
      article.className = 'message msg-email';
      article.id = 'raw-message';
      const main = document.createElement('div');
      main.className = 'msg-main';
      const frame = messageFrame(${JSON.stringify(PAYLOAD)});
      frame.id = 'raw-frame';
      main.append(frame);
      article.append(main);
      document.getElementById('thread').prepend(article);
      await new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
    })()`);
    const frame = page.frameLocator('#raw-frame');
    const tabs = browser.context.pages().length;
    await frame.locator('#js-link').click();
    await frame.locator('#js-popup').click();
    await frame.locator('#forged').click();
    await settle();
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
    expect(await page.evaluate(() => ((document.getElementById('raw-frame') as any).contentWindow as any).__pwned)).toBeUndefined();
    expect(browser.context.pages()).toHaveLength(tabs);
    expect(watch.dialogs).toEqual([]);
    // the forged form did not post: still one ticket with that subject, none called "forged"
    expect(((await t.http('GET', '/tickets')).body as any[]).map((x) => x.subject)).not.toContain('forged');
    // the frame's CSS (everything fixed, 400px fonts, red) stayed inside the frame, which is at most 640px tall
    const height = (await page.locator('#raw-frame').boundingBox())!.height;
    expect(height).toBeLessThanOrEqual(640);
    await expectContained('#raw-message');
  });

  it('the page is served with a strict Content-Security-Policy that also stops scripts added at run time', async () => {
    const res = await fetch(`${t.url}/web/tickets/${ticketId}`);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "require-trusted-types-for 'script'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const blocked = await page.evaluate(() => {
      const outcomes: string[] = [];
      try {
        const script = document.createElement('script');
        script.textContent = 'window.__inline = 1';
        document.body.append(script);
      } catch (error) {
        outcomes.push(`script: ${(error as Error).name}`);
      }
      try {
        document.body.insertAdjacentHTML('beforeend', '<img src=x onerror="window.__inline=2">');
      } catch (error) {
        outcomes.push(`html: ${(error as Error).name}`);
      }
      return outcomes;
    });
    // Trusted Types refuse both sinks outright
    expect(blocked).toEqual(['script: TypeError', 'html: TypeError']);
    await settle();
    expect(await page.evaluate(() => (window as any).__inline)).toBeUndefined();
  });
});
