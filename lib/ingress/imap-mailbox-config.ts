/** Login with a password, or with an OAuth2 access token (XOAUTH2) the host hands out fresh for each connection. */
export type ImapAuth = { user: string; pass: string } | { user: string; accessToken: () => string | Promise<string> };

/** An IMAP mailbox the chatter fetches mail from (Odoo's incoming mail server). */
export interface ImapMailboxOptions {
  /** unique: names the fetch job, the cursor row and the ledger's source mailbox */
  name: string;
  /**
   * `imap://user:pass@host:143/Folder` (STARTTLS when offered) or `imaps://…:993/Folder`; the fields below override it.
   * Query parameters set the options of the same name: `?idle=true&intervalMs=60000&batchSize=100&moveTo=Done&failedTo=Failed`.
   */
  url?: string;
  host?: string;
  port?: number;
  /** TLS from the start (993); otherwise STARTTLS when the server offers it */
  secure?: boolean;
  auth?: ImapAuth;
  /** default `INBOX` */
  folder?: string;
  /** how often to fetch, in ms; default 5 minutes (Odoo's default) */
  intervalMs?: number;
  /** most mails taken into the ledger per round trip; default 50 */
  batchSize?: number;
  /** keep a connection in IDLE and fetch as soon as mail arrives; default false */
  idle?: boolean;
  /** what happens to a mail once it is in the ledger: flagged `\Seen` (default) or moved to a folder */
  onSuccess?: 'seen' | { moveTo: string };
  /** a mail the ledger refused: left unseen and retried every fetch (default), or moved after `attempts` tries (default 3) */
  onFailure?: 'leave' | { moveTo: string; attempts?: number };
  /** how long one replica holds the mailbox while fetching (renewed as it goes); default 2 minutes */
  leaseMs?: number;
  /** verify the server's certificate; default true */
  rejectUnauthorized?: boolean;
}

export interface ResolvedImapMailbox {
  name: string;
  host: string;
  port: number;
  secure: boolean;
  auth: ImapAuth;
  folder: string;
  intervalMs: number;
  batchSize: number;
  idle: boolean;
  onSuccess: 'seen' | { moveTo: string };
  onFailure: 'leave' | { moveTo: string; attempts: number };
  leaseMs: number;
  rejectUnauthorized: boolean;
  /** `user@host:port/folder`, for logs and errors (never the password) */
  label: string;
}

export const DEFAULT_FETCH_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_BATCH_SIZE = 50;
export const DEFAULT_LEASE_MS = 2 * 60_000;

/** Fills in the defaults and checks a mailbox once, at boot, with errors that name the mailbox and the field. */
export function resolveImapMailbox(options: ImapMailboxOptions): ResolvedImapMailbox {
  const name = options?.name;
  if (typeof name !== 'string' || !/^[\w.@+-]{1,128}$/.test(name)) {
    throw new Error(`incoming.mailboxes: a mailbox needs a name of letters, digits and ._@+- (got ${JSON.stringify(name)})`);
  }
  const fail = (message: string): never => {
    throw new Error(`incoming.mailboxes "${name}": ${message}`);
  };
  const merged: Omit<ImapMailboxOptions, 'name'> = { ...(options.url ? fromUrl(options.url, fail) : {}), ...definedOnly(options) };
  const secure = merged.secure ?? false;
  const port = merged.port ?? (secure ? 993 : 143);
  if (!merged.host) fail('needs a host (or a url)');
  if (!Number.isInteger(port) || port <= 0 || port > 65535) fail(`port ${port} is not a port number`);
  const auth = merged.auth;
  if (!auth || typeof auth.user !== 'string' || !auth.user) fail('needs auth.user');
  if (!('pass' in auth!) && !('accessToken' in auth!)) fail('auth needs a pass or an accessToken() function');
  if ('accessToken' in auth! && typeof auth.accessToken !== 'function') fail('auth.accessToken must be a function returning the current token');
  const intervalMs = merged.intervalMs ?? DEFAULT_FETCH_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs < 1000) fail(`intervalMs must be at least 1000 (got ${intervalMs})`);
  const batchSize = merged.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) fail(`batchSize must be a positive integer (got ${batchSize})`);
  const leaseMs = merged.leaseMs ?? DEFAULT_LEASE_MS;
  if (!Number.isFinite(leaseMs) || leaseMs < 1000) fail(`leaseMs must be at least 1000 (got ${leaseMs})`);
  const folder = merged.folder || 'INBOX';
  const onSuccess = merged.onSuccess ?? 'seen';
  if (onSuccess !== 'seen' && !onSuccess?.moveTo) fail(`onSuccess must be 'seen' or { moveTo: folder }`);
  if (typeof onSuccess === 'object' && onSuccess.moveTo === folder) fail('onSuccess.moveTo is the folder being fetched');
  const failure = merged.onFailure ?? 'leave';
  if (failure !== 'leave' && !failure?.moveTo) fail(`onFailure must be 'leave' or { moveTo: folder }`);
  const onFailure = failure === 'leave' ? failure : { moveTo: failure.moveTo, attempts: failure.attempts ?? 3 };
  if (typeof onFailure === 'object' && (!Number.isInteger(onFailure.attempts) || onFailure.attempts < 1)) fail('onFailure.attempts must be a positive integer');
  const host = merged.host!;
  return {
    name,
    host,
    port,
    secure,
    auth: auth!,
    folder,
    intervalMs,
    batchSize,
    idle: merged.idle ?? false,
    onSuccess,
    onFailure,
    leaseMs,
    rejectUnauthorized: merged.rejectUnauthorized ?? true,
    label: `${auth!.user}@${host}:${port}/${folder}`,
  };
}

/** `imap[s]://user:pass@host:port/Folder?idle=true&…` → options (percent-decoded) */
function fromUrl(url: string, fail: (message: string) => never): Omit<ImapMailboxOptions, 'name'> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('url is not a URL (expected imap://user:pass@host:143/INBOX)');
  }
  if (parsed.protocol !== 'imap:' && parsed.protocol !== 'imaps:') fail(`url must start with imap:// or imaps:// (got ${parsed.protocol})`);
  const q = parsed.searchParams;
  const num = (key: string) => {
    const value = q.get(key);
    if (value === null) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) fail(`url parameter ${key}=${value} is not a number`);
    return n;
  };
  const bool = (key: string) => {
    const value = q.get(key);
    if (value === null) return undefined;
    if (!/^(true|false|1|0|yes|no)$/i.test(value)) fail(`url parameter ${key}=${value} is not a boolean`);
    return /^(true|1|yes)$/i.test(value);
  };
  const folder = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const moveTo = q.get('moveTo');
  const failedTo = q.get('failedTo');
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : undefined,
    secure: parsed.protocol === 'imaps:',
    auth: parsed.username ? { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } : undefined,
    folder: folder || undefined,
    idle: bool('idle'),
    intervalMs: num('intervalMs'),
    batchSize: num('batchSize'),
    leaseMs: num('leaseMs'),
    rejectUnauthorized: bool('rejectUnauthorized'),
    onSuccess: moveTo ? { moveTo } : undefined,
    onFailure: failedTo ? { moveTo: failedTo, attempts: num('failedAttempts') } : undefined,
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([key, v]) => v !== undefined && key !== 'url')) as Partial<T>;
}
