/** The sample app's settings, all from the environment (names kept stable: issues and checks use them). */
export interface Settings {
  port: number;
  databaseUrl: string;
  redisUrl?: string;
  /** Redis key prefix of the chatter's queues (CHATTER_QUEUE_PREFIX); default `chatter` */
  queuePrefix?: string;
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
  inboundToken?: string;
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
    inboundToken: env.CHATTER_INBOUND_TOKEN || undefined,
    // a fixed development secret keeps signed links valid across restarts; production must set its own
    secret: env.CHATTER_SECRET || 'development-secret-change-me',
  };
}
