/** The sample app's settings, all from the environment (names kept stable: issues and checks use them). */
export interface Settings {
  port: number;
  databaseUrl: string;
  redisUrl?: string;
  /** Redis key prefix of the chatter's queues (CHATTER_QUEUE_PREFIX); default `chatter` */
  queuePrefix?: string;
  /** false: this replica enqueues jobs but runs none, the other replicas run them (CHATTER_QUEUE_WORKER=off); default on */
  queueWorker: boolean;
  /** outbox claim timeout and sweep interval in ms (CHATTER_OUTBOX_CLAIM_TIMEOUT_MS, CHATTER_OUTBOX_SWEEP_MS); library defaults without */
  outboxClaimTimeoutMs?: number;
  outboxSweepMs?: number;
  /** first retry delay of a failed send in ms (CHATTER_OUTBOX_RETRY_MS) */
  outboxRetryMs?: number;
  domain: string;
  smtpUrl?: string;
  /** where mails go without SMTP_URL: one .eml file each */
  outboxDir: string;
  /** the app's public URL, for links in emails (unfollow); default http://127.0.0.1:PORT */
  publicUrl?: string;
  smtpListen: string;
  /** attachment files go here when set (CHATTER_ATTACHMENT_DIR); default: in the database */
  attachmentDir?: string;
  /** largest upload in bytes (CHATTER_MAX_ATTACHMENT_BYTES); default 25 MiB */
  maxAttachmentBytes?: number;
  imapUrl?: string;
  /** how long an inbound mail's processing claim holds before the sweep takes it back, in ms (CHATTER_INBOUND_LEASE_MS); library default without */
  inboundLeaseMs?: number;
  inboundToken?: string;
  /** more mails than this from one sender to one model or record within 2 hours are refused as a loop (CHATTER_INBOUND_LOOP_LIMIT); library default 20 */
  inboundLoopLimit?: number;
  secret: string;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${env.PORT}`);
  return {
    port,
    databaseUrl: env.DATABASE_URL || './var/chatter.sqlite',
    redisUrl: env.REDIS_URL || undefined,
    queuePrefix: env.CHATTER_QUEUE_PREFIX || undefined,
    queueWorker: !/^(off|false|no|0)$/i.test(env.CHATTER_QUEUE_WORKER ?? ''),
    outboxClaimTimeoutMs: env.CHATTER_OUTBOX_CLAIM_TIMEOUT_MS ? Number(env.CHATTER_OUTBOX_CLAIM_TIMEOUT_MS) : undefined,
    outboxSweepMs: env.CHATTER_OUTBOX_SWEEP_MS ? Number(env.CHATTER_OUTBOX_SWEEP_MS) : undefined,
    outboxRetryMs: env.CHATTER_OUTBOX_RETRY_MS ? Number(env.CHATTER_OUTBOX_RETRY_MS) : undefined,
    domain: env.CHATTER_DOMAIN || 'example.test',
    smtpUrl: env.SMTP_URL || undefined,
    outboxDir: env.CHATTER_OUTBOX_DIR || './var/outbox',
    publicUrl: env.PUBLIC_URL || (port ? `http://127.0.0.1:${port}` : undefined),
    smtpListen: env.SMTP_LISTEN || '127.0.0.1:2525',
    attachmentDir: env.CHATTER_ATTACHMENT_DIR || undefined,
    maxAttachmentBytes: env.CHATTER_MAX_ATTACHMENT_BYTES ? Number(env.CHATTER_MAX_ATTACHMENT_BYTES) : undefined,
    imapUrl: env.IMAP_URL || undefined,
    inboundLeaseMs: env.CHATTER_INBOUND_LEASE_MS ? Number(env.CHATTER_INBOUND_LEASE_MS) : undefined,
    inboundToken: env.CHATTER_INBOUND_TOKEN || undefined,
    inboundLoopLimit: env.CHATTER_INBOUND_LOOP_LIMIT ? Number(env.CHATTER_INBOUND_LOOP_LIMIT) : undefined,
    // a fixed development secret keeps signed links valid across restarts; production must set its own
    secret: env.CHATTER_SECRET || 'development-secret-change-me',
  };
}
