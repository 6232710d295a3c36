import type { ThreadRef } from '../model-registry.js';
import type { OutgoingServerOptions } from '../transport/outgoing-server.js';

/** What a mail layout gets to render one notification email for one recipient. */
export interface MailLayoutContext {
  model: string;
  resId: string;
  /** the record's display name */
  recordName: string;
  subject: string;
  message: { id: number; type: string; isInternal: boolean; createdAt: Date; subject: string | null };
  /** the message's sanitized HTML body */
  bodyHtml: string;
  author: { name: string; email: string } | null;
  recipient: { partnerId: number | null; name: string; email: string };
  /** files sent along; `inline` ones are images the body shows through `cid:` */
  attachments: { name: string; mimetype: string; size: number; inline: boolean }[];
  /** link to the record in the host's UI, when `outgoing.recordUrl` gives one */
  recordUrl?: string;
  /** one-click page to stop following the record (signed), when `outgoing.baseUrl` is set */
  unfollowUrl?: string;
}

/** HTML (required) and text (optional: derived from the HTML when missing) of one email. */
export interface RenderedBody {
  html: string;
  text?: string;
}

export type MailLayout = (context: MailLayoutContext) => RenderedBody | Promise<RenderedBody>;

/** `ChatterModuleOptions.outgoing`: notification emails, their servers and the outbox. */
export interface OutgoingOptions {
  /** where mail goes; without any, mails wait in the outbox (state `outgoing`) until a server is configured */
  servers?: OutgoingServerOptions[];
  /** the app's public URL where `ChatterController` is mounted (e.g. `https://app.example.com`), for unfollow links */
  baseUrl?: string | (() => string | undefined);
  /** a link to the record in the host's UI */
  recordUrl?: (ref: ThreadRef, record: object) => string | undefined;
  /** the record's own alias address (replies go there instead of the signed catch-all address) */
  recordAlias?: (ref: ThreadRef, record: object) => string | undefined | null | Promise<string | undefined | null>;
  /** replaces the default layout for every model */
  layout?: MailLayout;
  /** replaces the layout for one model: `{ ticket: (ctx) => ({ html }) }` */
  layouts?: Record<string, MailLayout>;
  /** display name of mail the system sends (no author); default: the domain name */
  systemName?: string;
  /** rows claimed per round by a sender; default 100 */
  batchSize?: number;
  /** sender loops draining the outbox at once in this process; default 2 */
  workers?: number;
  /** fan-outs up to this many mails are sent right after commit by the posting process; larger ones go through the job queue. Default 50 */
  inlineLimit?: number;
  /** temporary failures are retried after `delayMs`, doubling up to `maxDelayMs`, until `maxAttempts` attempts in all */
  retry?: { maxAttempts?: number; delayMs?: number; maxDelayMs?: number };
  /** a `sending` claim older than this is a crashed sender's: the mail is retried. Default 10 min */
  claimTimeoutMs?: number;
  /** how often to look for due retries and stale claims; default 30 s (0: never) */
  sweepIntervalMs?: number;
}
