import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const SERVERS = join(dirname(fileURLToPath(import.meta.url)), 'servers');
// test/support is also compiled to dist/test/support: the scripts stay in the source tree
const SCRIPTS = SERVERS.includes('/dist/') ? SERVERS.replace('/dist/', '/') : SERVERS;

export const MAIL_SERVER_PACKAGES = ['dovecot-imapd', 'dovecot-core', 'postfix', 'swaks'];
export const IMAP_PASSWORD = 'secret';
/** the users every throwaway Dovecot knows (password `secret`) */
export const IMAP_USERS = { test: 'test@example.test', bob: 'bob@example.test' } as const;

export interface FolderMail {
  uid: number;
  messageId: string | undefined;
  subject: string | undefined;
  flags: Set<string>;
}

/** A Dovecot of this test file's own, on a free loopback port, with its mail under a short /tmp directory. */
export interface DovecotServer {
  host: string;
  port: number;
  dir: string;
  /** `imap://test%40example.test:secret@127.0.0.1:<port>/<folder>` plus optional query parameters */
  url(options?: { user?: string; folder?: string; params?: Record<string, string | number | boolean> }): string;
  /** a connected client; the caller logs it out */
  connect(user?: string): Promise<ImapFlow>;
  append(raw: string | Buffer, options?: { user?: string; folder?: string; flags?: string[] }): Promise<{ uid: number; uidValidity: bigint }>;
  /** appends many mails over one connection */
  appendMany(raws: (string | Buffer)[], options?: { user?: string; folder?: string }): Promise<void>;
  /** every mail of a folder, oldest first, with its flags */
  list(folder?: string, user?: string): Promise<FolderMail[]>;
  status(folder?: string, user?: string): Promise<{ messages: number; unseen: number; uidValidity: bigint; uidNext: number }>;
  createFolder(folder: string, user?: string): Promise<void>;
  /**
   * What a server migration does to a folder: it is deleted and created again (a new UIDVALIDITY), and its mails are
   * appended back with new UIDs and without their flags. Returns the new UIDVALIDITY.
   */
  recreateFolder(folder: string, user?: string): Promise<bigint>;
  /** IMAP sessions logged in now (`doveadm who`), of `user` or of everyone */
  sessions(user?: string): Promise<number>;
  /** runs doveadm against this server */
  doveadm(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

let packagesChecked: Promise<void> | undefined;

/** Installs dovecot, postfix and swaks from Debian if they are missing (once per process), or fails loudly. */
export function ensureMailServerPackages(): Promise<void> {
  packagesChecked ??= run(join(SCRIPTS, 'ensure-packages.sh'), MAIL_SERVER_PACKAGES, { timeout: 600_000 }).then(
    () => undefined,
    (error: Error & { stderr?: string }) => {
      throw new Error(`the IMAP/Postfix tests need ${MAIL_SERVER_PACKAGES.join(', ')} and they could not be installed: ${error.stderr || error.message}`);
    },
  );
  return packagesChecked;
}


/**
 * Starts a Dovecot. With `oauth2IntrospectionUrl`, it also accepts OAuth2 bearer tokens (XOAUTH2, OAUTHBEARER) and
 * checks each by POSTing `token=…` to that URL, which answers `{ "active": true, "username": "<user>" }` (RFC 7662).
 */
export async function startDovecot(options: { oauth2IntrospectionUrl?: string } = {}): Promise<DovecotServer> {
  await ensureMailServerPackages();
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    // short: Dovecot's unix sockets live under it
    const dir = mkdtempSync('/tmp/dc-');
    const port = await freePort();
    try {
      await run(join(SCRIPTS, 'dovecot-start.sh'), [dir, String(port), ...(options.oauth2IntrospectionUrl ? [options.oauth2IntrospectionUrl] : [])], { timeout: 30_000 });
      return dovecotServer(dir, port);
    } catch (error) {
      lastError = error;
      await run(join(SCRIPTS, 'dovecot-stop.sh'), [dir]).catch(() => undefined);
    }
  }
  const error = lastError as Error & { stderr?: string };
  throw new Error(`Dovecot could not be started: ${error.stderr || error.message}`);
}

function dovecotServer(dir: string, port: number): DovecotServer {
  const host = '127.0.0.1';
  const conf = join(dir, 'dovecot.conf');
  const connect = async (user: string = IMAP_USERS.test) => {
    const client = new ImapFlow({ host, port, secure: false, auth: { user, pass: IMAP_PASSWORD }, logger: false, disableAutoIdle: true });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const withClient = async <T>(user: string | undefined, work: (client: ImapFlow) => Promise<T>): Promise<T> => {
    const client = await connect(user);
    try {
      return await work(client);
    } finally {
      await client.logout().catch(() => client.close());
    }
  };
  const server: DovecotServer = {
    host,
    port,
    dir,
    url({ user = IMAP_USERS.test, folder = 'INBOX', params = {} } = {}) {
      const query = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
      return `imap://${encodeURIComponent(user)}:${IMAP_PASSWORD}@${host}:${port}/${encodeURIComponent(folder)}${query ? `?${query}` : ''}`;
    },
    connect,
    append: (raw, { user, folder = 'INBOX', flags = [] } = {}) =>
      withClient(user, async (client) => {
        const result = await client.append(folder, raw, flags);
        if (!result || result.uid === undefined) throw new Error(`APPEND to ${folder} failed`);
        return { uid: result.uid, uidValidity: result.uidValidity! };
      }),
    appendMany: (raws, { user, folder = 'INBOX' } = {}) =>
      withClient(user, async (client) => {
        for (const raw of raws) if (!(await client.append(folder, raw))) throw new Error(`APPEND to ${folder} failed`);
      }),
    list: (folder = 'INBOX', user) =>
      withClient(user, async (client) => {
        const lock = await client.getMailboxLock(folder, { readOnly: true });
        try {
          if ((client.mailbox as { exists: number }).exists === 0) return [];
          const mails = await client.fetchAll('1:*', { uid: true, flags: true, envelope: true });
          return mails
            .map((m) => ({ uid: m.uid, messageId: m.envelope?.messageId, subject: m.envelope?.subject, flags: m.flags ?? new Set<string>() }))
            .sort((a, b) => a.uid - b.uid);
        } finally {
          lock.release();
        }
      }),
    status: (folder = 'INBOX', user) =>
      withClient(user, async (client) => {
        const s = await client.status(folder, { messages: true, unseen: true, uidValidity: true, uidNext: true });
        if (!s) throw new Error(`STATUS ${folder} failed`);
        return { messages: s.messages!, unseen: s.unseen!, uidValidity: s.uidValidity!, uidNext: s.uidNext! };
      }),
    createFolder: (folder, user) =>
      withClient(user, async (client) => {
        await client.mailboxCreate(folder);
      }),
    recreateFolder: (folder, user) =>
      withClient(user, async (client) => {
        const before = await client.status(folder, { uidValidity: true });
        let sources: Buffer[] = [];
        const lock = await client.getMailboxLock(folder);
        try {
          if ((client.mailbox as { exists: number }).exists > 0) {
            const mails = await client.fetchAll('1:*', { uid: true, source: true });
            sources = mails.sort((a, b) => a.uid - b.uid).map((m) => m.source!);
          }
        } finally {
          lock.release();
        }
        await client.mailboxDelete(folder);
        await client.mailboxCreate(folder);
        for (const source of sources) await client.append(folder, source);
        const after = await client.status(folder, { uidValidity: true });
        if (!before || !after || after.uidValidity === before.uidValidity) throw new Error(`recreating ${folder} kept UIDVALIDITY ${after && after.uidValidity}`);
        return after.uidValidity!;
      }),
    async sessions(user) {
      const { stdout } = await run('doveadm', ['-c', conf, 'who', '-1']);
      return stdout.split('\n').slice(1).filter((line) => line.trim() && (!user || line.split(/\s+/)[0] === user)).length;
    },
    async doveadm(...args) {
      const { stdout } = await run('doveadm', ['-c', conf, ...args]);
      return stdout;
    },
    async stop() {
      await run(join(SCRIPTS, 'dovecot-stop.sh'), [dir]);
    },
  };
  return server;
}
