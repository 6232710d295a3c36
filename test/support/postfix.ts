import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureMailServerPackages } from './dovecot.js';
import { freePort } from './free-port.js';

const run = promisify(execFile);
const SERVERS = join(dirname(fileURLToPath(import.meta.url)), 'servers');
const SCRIPTS = SERVERS.includes('/dist/') ? SERVERS.replace('/dist/', '/') : SERVERS;
/** Postfix has one system-wide configuration: test files that need it take turns through this lock */
const LOCK = '/tmp/chatter-postfix.lock';

export interface PostfixDelivery {
  recipient: string;
  status: 'sent' | 'bounced' | 'deferred' | string;
  dsn: string;
  /** the rest of the log line: the pipe command's output for a bounce or a deferral */
  detail: string;
}

/** The machine's Postfix as this test file's MX: mail for `domain` on `127.0.0.1:port` is piped into `argv`. */
export interface PostfixServer {
  host: string;
  port: number;
  domain: string;
  /** sends one mail with swaks; resolves with swaks' exit code and output (0 = accepted by Postfix) */
  swaks(options: { from: string; to: string; subject?: string; body?: string; headers?: Record<string, string> }): Promise<{ code: number; output: string }>;
  /** every delivery attempt logged so far, oldest first */
  deliveries(): PostfixDelivery[];
  /** waits until `recipient` has a logged delivery whose status is `status` (or any final one when omitted) */
  waitForDelivery(recipient: string, status?: string, timeoutMs?: number): Promise<PostfixDelivery>;
  /** the queue's recipients still waiting */
  queue(): Promise<string[]>;
  /** asks Postfix to retry its deferred mail now */
  flush(): Promise<void>;
  /** stops Postfix, empties its queue and puts /etc/postfix back */
  stop(): Promise<void>;
}

/**
 * Starts Postfix piping mail for `domain` into `argv` (absolute paths: the pipe runs as nobody with a bare
 * environment; `${recipient}` and `${sender}` are Postfix's macros). Only one test file at a time can have it.
 */
export async function startPostfix(options: { domain: string; argv: string[]; lockTimeoutMs?: number }): Promise<PostfixServer> {
  await ensureMailServerPackages();
  if (options.argv.some((a) => /\s/.test(a) || !a)) throw new Error('startPostfix(): pipe arguments may not be empty or contain spaces');
  if (!options.argv[0].startsWith('/')) throw new Error('startPostfix(): the pipe command needs an absolute path (Postfix runs it with no PATH)');
  await acquireLock(options.lockTimeoutMs ?? 300_000);
  const dir = mkdtempSync('/tmp/pf-');
  let port = 0;
  try {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && !port; attempt++) {
      const candidate = await freePort();
      try {
        await run(join(SCRIPTS, 'postfix-start.sh'), [dir, String(candidate), options.domain, ...options.argv], { timeout: 60_000 });
        port = candidate;
      } catch (error) {
        lastError = error;
        await run(join(SCRIPTS, 'postfix-stop.sh'), []).catch(() => undefined);
      }
    }
    if (!port) {
      const error = lastError as Error & { stderr?: string };
      throw new Error(`Postfix could not be started: ${error.stderr || error.message}`);
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    releaseLock();
    throw error;
  }
  const log = join(dir, 'maillog');
  const deliveries = (): PostfixDelivery[] => {
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      return [];
    }
    const out: PostfixDelivery[] = [];
    for (const m of text.matchAll(/ to=<([^>]*)>.*?, dsn=([\d.]+), status=(\w+)(.*)$/gm)) {
      out.push({ recipient: m[1], dsn: m[2], status: m[3], detail: m[4].trim() });
    }
    return out;
  };
  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    domain: options.domain,
    async swaks({ from, to, subject = 'test', body = 'test', headers = {} }) {
      const args = ['-S', '1', '--server', '127.0.0.1', '--port', String(port), '--from', from, '--to', to, '--header', `Subject: ${subject}`, '--body', body];
      // --header replaces a header of swaks' template (its Message-Id, say) or adds it
      for (const [name, value] of Object.entries(headers)) args.push('--header', `${name}: ${value}`);
      try {
        const { stdout, stderr } = await run('swaks', args, { timeout: 30_000 });
        return { code: 0, output: stdout + stderr };
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : 1, output: (e.stdout ?? '') + (e.stderr ?? '') };
      }
    },
    deliveries,
    async waitForDelivery(recipient, status, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = deliveries().find((d) => d.recipient === recipient && (status ? d.status === status : d.status !== 'deferred'));
        if (found) return found;
        if (Date.now() > until) {
          throw new Error(`no ${status ?? 'final'} delivery to ${recipient} logged within ${timeoutMs} ms; last entries: ${JSON.stringify(deliveries().slice(-5))}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async queue() {
      const { stdout } = await run('postqueue', ['-j']).catch(() => ({ stdout: '' }));
      return stdout.split('\n').filter(Boolean).flatMap((line) => (JSON.parse(line).recipients ?? []).map((r: { address: string }) => r.address));
    },
    async flush() {
      await run('postqueue', ['-f']);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await run(join(SCRIPTS, 'postfix-stop.sh'), [dir], { timeout: 60_000 });
      } finally {
        releaseLock();
      }
    },
  };
}

async function acquireLock(timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (lockIsStale()) {
      rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > until) throw new Error(`Postfix is in use by another test process (${LOCK}) for more than ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** the holder died (a killed test run): its lock, and the configuration postfix-start.sh restores, are ours to take */
function lockIsStale(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return false;
    // no pid file yet: the holder is between mkdir and write, unless that was long ago
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      try {
        return Date.now() - statSync(LOCK).mtimeMs > 10_000;
      } catch {
        return false;
      }
    }
    return true;
  }
}

function releaseLock(): void {
  try {
    if (Number(readFileSync(join(LOCK, 'pid'), 'utf8')) === process.pid) rmSync(LOCK, { recursive: true, force: true });
  } catch {
    // already gone
  }
}
