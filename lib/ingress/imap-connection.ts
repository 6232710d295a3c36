import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { ResolvedImapMailbox } from './imap-mailbox-config.js';

/** Opens an authenticated IMAP connection to a mailbox; the caller logs it out. XOAUTH2 tokens are asked for per connection. */
export async function openImapConnection(mailbox: ResolvedImapMailbox, extra: Partial<ImapFlowOptions> = {}): Promise<ImapFlow> {
  const auth = 'accessToken' in mailbox.auth
    ? { user: mailbox.auth.user, accessToken: await mailbox.auth.accessToken() }
    : { user: mailbox.auth.user, pass: mailbox.auth.pass };
  const client = new ImapFlow({
    host: mailbox.host,
    port: mailbox.port,
    secure: mailbox.secure,
    auth,
    tls: { rejectUnauthorized: mailbox.rejectUnauthorized },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: 30_000,
    greetingTimeout: 16_000,
    socketTimeout: 5 * 60_000,
    ...extra,
  });
  // an 'error' event without a listener would crash the process; connect() and commands reject on their own
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw new Error(describeImapError(error, mailbox));
  }
  return client;
}

/** Logs out politely, and closes the socket whatever the server says. Never throws. */
export async function closeImapConnection(client: ImapFlow | undefined): Promise<void> {
  if (!client) return;
  try {
    if (client.usable) await client.logout();
  } catch {
    // the server or the network went away: closing below is all that is left to do
  } finally {
    client.close();
  }
}

/** What went wrong, in words an admin can act on, naming the mailbox (never its password). */
export function describeImapError(error: unknown, mailbox: ResolvedImapMailbox): string {
  const e = (error ?? {}) as Error & { code?: string; authenticationFailed?: boolean; responseText?: string; serverResponseCode?: string };
  const where = `IMAP mailbox "${mailbox.name}" (${mailbox.label})`;
  const server = e.responseText ? `: the server said "${e.responseText}"` : '';
  if (e.message?.startsWith('IMAP mailbox "')) return e.message;
  if (e.authenticationFailed) {
    if (e.serverResponseCode === 'UNAVAILABLE') return `${where}: the server could not check the login right now, try again later${server}`;
    return `${where}: login refused for ${mailbox.auth.user}, check the ${'accessToken' in mailbox.auth ? 'OAuth2 token' : 'password'}${server}`;
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return `${where}: connection refused, nothing listens on ${mailbox.host}:${mailbox.port}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: host ${mailbox.host} not found (DNS)`;
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
    case 'GREETING_TIMEOUT':
    case 'ETIMEOUT':
      return `${where}: the server did not answer in time (${e.code})`;
    case 'ECONNRESET':
    case 'EConnectionClosed':
    case 'NoConnection':
      return `${where}: the connection was closed by the server or the network (${e.code})`;
    case 'NotFound':
      return `${where}: folder "${mailbox.folder}" does not exist`;
  }
  if (/certificate|self.signed|SSL|TLS/i.test(e.message ?? '') || e.code?.startsWith('ERR_TLS') || e.code?.startsWith('ERR_SSL')) {
    return `${where}: TLS failed (${e.code ?? e.message}); check secure/port, or the certificate`;
  }
  return `${where}: ${e.message || String(error)}${server}`;
}

export interface ImapConnectionCheck {
  ok: boolean;
  /** the readable error when not ok */
  error?: string;
  folder?: string;
  messages?: number;
  unseen?: number;
  uidValidity?: string;
  /** the server's IDLE support, for `idle: true` */
  idle?: boolean;
}

/** Connects, logs in and looks at the folder: what a "Test connection" button shows. Never throws. */
export async function testImapConnection(mailbox: ResolvedImapMailbox): Promise<ImapConnectionCheck> {
  let client: ImapFlow | undefined;
  try {
    client = await openImapConnection(mailbox, { connectionTimeout: 15_000 });
    const status = await client.status(mailbox.folder, { messages: true, unseen: true, uidValidity: true });
    if (!status) return { ok: false, error: describeImapError({ code: 'NotFound' }, mailbox) };
    return {
      ok: true,
      folder: mailbox.folder,
      messages: status.messages,
      unseen: status.unseen,
      uidValidity: String(status.uidValidity),
      idle: client.capabilities.has('IDLE'),
    };
  } catch (error) {
    const e = error as { responseText?: string; code?: string };
    // STATUS on a missing folder is a tagged NO ("Mailbox doesn't exist")
    const missing = e.responseText && /exist|unknown|not found/i.test(e.responseText);
    return { ok: false, error: describeImapError(missing ? { code: 'NotFound' } : error, mailbox) };
  } finally {
    await closeImapConnection(client);
  }
}
