/** The sample app's settings, all from the environment (names kept stable: issues and checks use them). */
export interface Settings {
  port: number;
  databaseUrl: string;
  redisUrl?: string;
  domain: string;
  smtpUrl?: string;
  smtpListen: string;
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
    domain: env.CHATTER_DOMAIN || 'example.test',
    smtpUrl: env.SMTP_URL || undefined,
    smtpListen: env.SMTP_LISTEN || '127.0.0.1:2525',
    imapUrl: env.IMAP_URL || undefined,
    inboundToken: env.CHATTER_INBOUND_TOKEN || undefined,
    // a fixed development secret keeps signed links valid across restarts; production must set its own
    secret: env.CHATTER_SECRET || 'development-secret-change-me',
  };
}
