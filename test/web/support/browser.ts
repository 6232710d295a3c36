import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`); Playwright never downloads a browser here. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags this machine needs: no sandbox as root, and no background traffic (the network is closed). */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** What went wrong in a page that no assertion looked at: uncaught errors, dialogs (alert/confirm/prompt). */
export interface PageWatch {
  page: Page;
  errors: string[];
  dialogs: string[];
}

export interface WebBrowser {
  context: BrowserContext;
  /** a new tab that records page errors and dismisses (and records) any dialog */
  open(url: string): Promise<PageWatch>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<WebBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'chatter-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 900 },
      timezoneId: 'UTC',
      locale: 'en-GB',
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(10_000);
  return {
    context,
    async open(url) {
      const page = await context.newPage();
      const watch: PageWatch = { page, errors: [], dialogs: [] };
      page.on('pageerror', (error) => watch.errors.push(error.message));
      page.on('dialog', (dialog) => {
        watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
        void dialog.dismiss();
      });
      await page.goto(url);
      return watch;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Where the tests put screenshots: docs/screenshots with UPDATE_SCREENSHOTS=1 (to commit them), else var/screenshots. */
export function screenshotDir(): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'var/screenshots';
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Opens a ticket's page and waits until its chatter has loaded. */
export async function openTicket(page: Page, baseUrl: string, id: number | string): Promise<void> {
  await page.goto(`${baseUrl}/web/tickets/${id}`);
  await page.locator('#chatter[data-ready="true"]').waitFor();
}
