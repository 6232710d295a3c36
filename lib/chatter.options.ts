import type { ModuleMetadata } from '@nestjs/common';
import type { AttachmentStorage } from './attachment/attachment-storage.js';
import type { ImapMailboxOptions } from './ingress/imap-mailbox-config.js';
import type { ChatterQueueOptions } from './jobs/queue-module.js';
import type { OutgoingOptions } from './outbound/outgoing.options.js';

/** A mail domain the chatter sends from and receives on (Odoo's `mail.alias.domain`). */
export interface AliasDomainOptions {
  /** e.g. `example.test` */
  name: string;
  /** local part of the catch-all address; default `catchall` */
  catchall?: string;
  /** local part of the bounce (VERP) address; default `bounce` */
  bounce?: string;
  /** local part (`notifications`) or a full address that overrides every From */
  defaultFrom?: string;
}

/** Who is acting: a host user, as the host knows it. */
export interface ActorRef {
  /** the host's user id; partners with one are internal users, the others are customers */
  userId?: string | number;
  email: string;
  name?: string;
}

/** How the host's users map to partners. */
export interface UserMappingOptions {
  /** who is acting in the current call (e.g. read from a CLS store); `runAsActor()` takes precedence */
  currentActor?: () => ActorRef | undefined;
  /** resolve the value of an assignee field (an id, an email, an entity) to a user; default: the value is an email */
  resolveUser?: (value: unknown) => ActorRef | undefined | Promise<ActorRef | undefined>;
  /** default notification preference of internal users; customers always get email */
  defaultPreference?: 'email' | 'inbox';
}

export interface ChatterModuleOptions {
  /** mail domains; the first is the default. */
  domains: AliasDomainOptions[];
  /** secret for signed reply addresses and unfollow links (HMAC); at least 16 characters */
  secret: string;
  users?: UserMappingOptions;
  /** largest accepted message body in bytes (sanitized HTML); default 1 MiB */
  maxBodyBytes?: number;
  /** activity types of the host, the time zone of "today", the daily digest */
  activities?: ActivityOptions;
  /** where attachment bytes are stored, and the largest upload */
  attachments?: AttachmentOptions;
  /** email templates created at boot when missing (a template edited since is left as it is) */
  templates?: MailTemplateOptions[];
  /** how mail comes in */
  incoming?: IncomingOptions;
  /** notification emails: outgoing servers, From rewrite, layouts, the outbox sender */
  outgoing?: OutgoingOptions;
  /**
   * PostgreSQL: the chatter's repeated statements are prepared once per connection (default true). Turn off behind a
   * pooler that cannot keep prepared statements across transactions (PgBouncer before 1.21 in transaction mode).
   */
  preparedStatements?: boolean;
}

/** Inbound mail (DESIGN §3). */
export interface IncomingOptions {
  /** IMAP mailboxes fetched on their own interval (and IDLE when asked) */
  mailboxes?: ImapMailboxOptions[];
  /** bearer token of the HTTP relay `POST /chatter/inbound` (and the `chatter-mailgate` CLI); the relay is off without one */
  relayToken?: string;
  /** the SMTP listener: `host:port` (port 0 = a free port), or false/'' for none (the default) */
  smtpListen?: string | false;
  /** a signed reply address older than this is refused (the reply policy applies to every one); default 365 */
  replyTokenMaxAgeDays?: number;
  /** the SMTP listener's limits against abuse: recipients per mail (default 100), connections at once per client IP (default 50, as Postfix's smtpd_client_connection_count_limit) */
  smtpLimits?: { maxRecipients?: number; maxConnectionsPerIp?: number };
  /** STARTTLS on the SMTP listener (to be a real MX): PEM key and certificate; plain SMTP without */
  smtpTls?: { key: string | Buffer; cert: string | Buffer };
  /** largest accepted raw mail in bytes, on every ingress; default 25 MiB */
  maxBytes?: number;
  /** days the raw bytes of processed mails are kept; default 30 */
  rawRetentionDays?: number;
  /** days ledger rows are kept (without their raw bytes after `rawRetentionDays`); default 365 */
  ledgerRetentionDays?: number;
  /** model whose records are created from mails no other rule routes (a mailbox's own fallback wins) */
  fallbackModel?: string;
  /** loop protection: more than `limit` mails from one sender to one model or record within `windowMinutes` are refused */
  loop?: { limit?: number; windowMinutes?: number };
  /** bounces after which a partner is blacklisted for notifications; default 5 */
  bounceThreshold?: number;
  /** answer refused senders (at most once per sender per day); default true */
  answerRefusals?: boolean;
  /** process mails as soon as they are received; false only stores them (processed at the next boot or by `reprocess`) */
  autoProcess?: boolean;
  /** mails routed and delivered per processing transaction; default 50 */
  batchSize?: number;
  /** worker threads parsing inbound mail (0: parse on the main thread); default one less than the CPUs, 1 to 4 */
  parseWorkers?: number;
  /**
   * how long a processing claim on a ledger row holds, in ms; a claim older than this is a crashed worker's and is
   * taken back by the sweep (every half lease). Keep it well above a processing batch's duration; default 5 minutes
   */
  processingLeaseMs?: number;
  /** per-model hooks for mail that creates a record (`onMessageNew`) or lands on one (`onMessageUpdate`) */
  models?: Record<string, InboundModelHooks>;
}

/** What a model does with inbound mail (Odoo's `message_new` / `message_update`). */
export interface InboundModelHooks {
  /**
   * The values of the record an inbound mail creates. `defaults` already holds the alias defaults, the subject in the
   * name field and the sender in the primary-email field; return them changed, or a new (unflushed) entity.
   */
  onMessageNew?: (mail: import('./gateway/inbound-mail.js').InboundMail, defaults: Record<string, unknown>) => Record<string, unknown> | object | Promise<Record<string, unknown> | object>;
  /** called after a reply was posted on `record`, inside the same transaction (e.g. reopen a ticket) */
  onMessageUpdate?: (mail: import('./gateway/inbound-mail.js').InboundMail, record: object) => void | Promise<void>;
}

/** An activity type a host adds next to the built-ins (To-Do, Email, Call, Meeting). */
export interface ActivityTypeOptions {
  name: string;
  /** days from scheduling to the default deadline; default 0 (today) */
  delayDays?: number;
  /** default summary of its activities */
  summary?: string;
  /** offer it on this model only */
  model?: string;
}

export interface ActivityOptions {
  types?: ActivityTypeOptions[];
  /** IANA time zone deciding which day is "today" for deadlines and the digest; default `UTC` */
  timeZone?: string;
  /** email each internal user their overdue and today's activities once a day, at `hour` (0-23, in `timeZone`; default 7). Off by default. */
  dailyDigest?: boolean | { hour?: number };
}

export interface AttachmentOptions {
  /** `'database'` (default), `{ directory }` for files on disk, or your own `AttachmentStorage` */
  storage?: 'database' | { directory: string } | AttachmentStorage;
  /** largest attachment accepted by the HTTP upload, in bytes; default 25 MiB */
  maxBytes?: number;
}

export interface MailTemplateOptions {
  name: string;
  /** the model it renders; omit for a template usable on every model */
  model?: string;
  /** Liquid source */
  subject?: string;
  /** Liquid source (HTML) */
  body: string;
}

/** Module-shaping options: these are read synchronously, even with forRootAsync. */
export interface ChatterModuleExtras {
  /** register the module globally (default true) */
  isGlobal?: boolean;
  /** mount `ChatterController` under `/chatter` (default false) */
  http?: boolean;
  /** queue mode: run the background jobs on Bull queues in this Redis, shared by every replica (default: in-process) */
  queue?: ChatterQueueOptions;
}

export type ChatterImports = ModuleMetadata['imports'];
