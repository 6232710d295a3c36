/** Raw mails for the browser tests, delivered through the app's HTTP relay (POST /chatter/inbound). */

export const RELAY_TOKEN = 'web-relay-token-0123456789';

let counter = 0;

export function htmlMail(fields: { from: string; to: string; subject: string; html: string }): string {
  return [
    `From: ${fields.from}`,
    `To: ${fields.to}`,
    `Subject: ${fields.subject}`,
    `Message-ID: <web.${Date.now()}.${++counter}@outside.test>`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    '',
    fields.html,
    '',
  ].join('\r\n');
}

/** A delivery status notification for one outgoing mail, sent to its VERP bounce address. */
export { deliveryStatusNotification as dsn } from '../../support/dsn.js';

export async function relay(baseUrl: string, raw: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}/chatter/inbound`, {
    method: 'POST',
    headers: { authorization: `Bearer ${RELAY_TOKEN}`, 'content-type': 'message/rfc822' },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Polls `probe` until it returns something truthy (mail is processed in the background); fails loudly after `ms`. */
export async function eventually<T>(probe: () => Promise<T | null | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
