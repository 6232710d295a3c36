import type { Page } from 'playwright-core';

// page.evaluate callbacks run in the browser; the test project's types are Node's, so its globals are declared here
declare const document: any;

/** A message as the page shows it, body text read from inside its sandboxed frame. */
export interface ShownMessage {
  id: number;
  type: string;
  head: string;
  text: string;
  tracking: string[];
}

/** The messages on the page, top to bottom. */
export function shownMessages(page: Page): Promise<ShownMessage[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('#thread .message')].map((el) => ({
      id: Number(el.dataset.messageId),
      type: el.dataset.type ?? '',
      head: el.querySelector('.msg-head')?.textContent ?? '',
      text: el.querySelector('iframe')?.contentDocument?.body?.innerText?.trim() ?? '',
      tracking: [...el.querySelectorAll('.tracking li')].map((li) => li.textContent ?? ''),
    })),
  );
}

/** Waits until a message of `type` whose body (in its frame) or tracking contains `text` is shown; returns it. */
export async function waitForMessage(page: Page, text: string, type?: string): Promise<ShownMessage> {
  const handle = await page.waitForFunction(
    ([text, type]) => {
      for (const el of document.querySelectorAll('#thread .message')) {
        if (type && el.dataset.type !== type) continue;
        const body = el.querySelector('iframe')?.contentDocument?.body?.innerText ?? '';
        const tracking = [...el.querySelectorAll('.tracking li')].map((li) => li.textContent ?? '');
        if (body.includes(text) || tracking.some((line) => line.includes(text))) {
          return { id: Number(el.dataset.messageId), type: el.dataset.type ?? '', head: el.querySelector('.msg-head')?.textContent ?? '', text: body.trim(), tracking };
        }
      }
      return null;
    },
    [text, type] as const,
  );
  return (await handle.jsonValue()) as ShownMessage;
}
