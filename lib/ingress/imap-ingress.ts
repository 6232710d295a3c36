import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CHATTER_OPTIONS } from '../chatter.module-definition.js';
import type { ChatterModuleOptions } from '../chatter.options.js';
import { JobRunner } from '../jobs/job-runner.js';
import { testImapConnection, type ImapConnectionCheck } from './imap-connection.js';
import { ImapFetcher, type ImapFetchResult } from './imap-fetcher.js';
import { ImapIdleWatcher } from './imap-idle-watcher.js';
import { resolveImapMailbox, type ImapMailboxOptions, type ResolvedImapMailbox } from './imap-mailbox-config.js';

export const MAILBOX_FETCH_JOB = 'chatter.mailbox.fetch';

export interface MailboxFetchJob {
  mailbox: string;
}

/** What a health check shows for one mailbox. */
export interface ImapMailboxHealth {
  name: string;
  /** `user@host:port/folder` */
  server: string;
  intervalMs: number;
  /** null when IDLE is off; else whether the IDLE connection is up */
  idle: boolean | null;
  fetching: boolean;
  lastFetchAt: Date | null;
  lastSuccessAt: Date | null;
  /** mails taken into the ledger by the last successful fetch */
  lastReceived: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  uidValidity: string | null;
  lastUid: number;
}

/**
 * Fetches the configured IMAP mailboxes (`incoming.mailboxes`): at boot it registers one interval per mailbox with
 * `@nestjs/schedule`'s SchedulerRegistry, whose tick enqueues a fetch job keyed by the mailbox name; an IDLE
 * connection, when asked for, enqueues the same job as soon as mail arrives. One fetch per mailbox runs at a time
 * (here, and across replicas through the lease on its state row). Shutdown stops the timers and IDLE connections,
 * and lets a running fetch flag what it took before it closes.
 */
@Injectable()
export class ImapIngress implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ChatterImap');
  /** who holds a mailbox's lease: this process, this boot */
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly mailboxes = new Map<string, ResolvedImapMailbox>();
  private readonly watchers = new Map<string, ImapIdleWatcher>();
  private readonly running = new Map<string, Promise<ImapFetchResult | undefined>>();
  /** mail was announced while a fetch ran: run once more after it */
  private readonly again = new Set<string>();
  private stopping = false;

  constructor(
    @Inject(CHATTER_OPTIONS) options: ChatterModuleOptions,
    private readonly jobs: JobRunner,
    private readonly fetcher: ImapFetcher,
    private readonly schedules: SchedulerRegistry,
  ) {
    for (const mailbox of options.incoming?.mailboxes ?? []) {
      const resolved = resolveImapMailbox(mailbox);
      if (this.mailboxes.has(resolved.name)) throw new Error(`incoming.mailboxes: two mailboxes are named "${resolved.name}"`);
      this.mailboxes.set(resolved.name, resolved);
    }
  }

  onApplicationBootstrap(): void {
    if (!this.mailboxes.size) return;
    this.jobs.register<MailboxFetchJob>(MAILBOX_FETCH_JOB, async ({ mailbox }) => {
      await this.fetchNow(mailbox, false);
    }, { concurrency: this.mailboxes.size });
    for (const mailbox of this.mailboxes.values()) {
      this.schedules.addInterval(intervalName(mailbox.name), setInterval(() => this.trigger(mailbox.name), mailbox.intervalMs));
      if (mailbox.idle) {
        const watcher = new ImapIdleWatcher(mailbox, () => this.trigger(mailbox.name), this.logger);
        this.watchers.set(mailbox.name, watcher);
        watcher.start();
      } else {
        // catch up on what arrived while the app was down (the IDLE watcher does this when it connects)
        this.trigger(mailbox.name);
      }
    }
    this.logger.log(`fetching ${[...this.mailboxes.values()].map((m) => `"${m.name}" (${m.label}${m.idle ? ', IDLE' : ''})`).join(', ')}`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const name of this.mailboxes.keys()) {
      if (this.schedules.doesExist('interval', intervalName(name))) this.schedules.deleteInterval(intervalName(name));
    }
    await Promise.all([...this.watchers.values()].map((w) => w.stop()));
    await Promise.all([...this.running.values()].map((run) => run.catch(() => undefined)));
  }

  /** the configured mailboxes, resolved */
  list(): ResolvedImapMailbox[] {
    return [...this.mailboxes.values()];
  }

  /** asks for a fetch of `name` through the job runner (deduplicated while one is queued) */
  trigger(name: string): void {
    if (this.stopping) return;
    this.jobs.enqueue<MailboxFetchJob>(MAILBOX_FETCH_JOB, { mailbox: name }, { key: name }).catch((error: Error) => {
      this.logger.error(`mailbox "${name}": could not enqueue a fetch: ${error.message}`);
    });
  }

  /**
   * Fetches `name` now, in this call. When a fetch of it is already running, waits for it and fetches once more.
   * `rethrow: false` (the job) logs a failure instead: it is on the mailbox's health either way.
   */
  async fetchNow(name: string, rethrow = true): Promise<ImapFetchResult | undefined> {
    const mailbox = this.mailboxes.get(name);
    if (!mailbox) {
      if (rethrow) throw new Error(`no IMAP mailbox named "${name}"`);
      // a job queued by a replica with another configuration
      this.logger.warn(`fetch job for unknown mailbox "${name}" ignored`);
      return undefined;
    }
    const current = this.running.get(name);
    if (current) {
      if (!rethrow) {
        // the running fetch goes round once more; the job's slot is free again at once
        this.again.add(name);
        return undefined;
      }
      await current.catch(() => undefined);
      return this.fetchNow(name, rethrow);
    }
    const run = this.fetchLoop(mailbox, rethrow).finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  private async fetchLoop(mailbox: ResolvedImapMailbox, rethrow: boolean): Promise<ImapFetchResult | undefined> {
    let last: ImapFetchResult | undefined;
    do {
      this.again.delete(mailbox.name);
      if (this.stopping) break;
      try {
        last = await this.fetcher.fetch(mailbox, { owner: this.owner, shouldStop: () => this.stopping });
        if (!last.leased) this.logger.debug?.(`mailbox "${mailbox.name}" is being fetched by another replica`);
      } catch (error) {
        this.logger.warn((error as Error).message);
        if (rethrow) throw error;
        return undefined;
      }
    } while (this.again.has(mailbox.name));
    return last;
  }

  /** per mailbox: the last fetch, the last error, IDLE and the cursor */
  async health(): Promise<ImapMailboxHealth[]> {
    const out: ImapMailboxHealth[] = [];
    for (const mailbox of this.mailboxes.values()) {
      const state = await this.fetcher.cursorStore.load(mailbox.name);
      out.push({
        name: mailbox.name,
        server: mailbox.label,
        intervalMs: mailbox.intervalMs,
        idle: mailbox.idle ? (this.watchers.get(mailbox.name)?.connected ?? false) : null,
        fetching: this.running.has(mailbox.name),
        lastFetchAt: state.lastFetchAt,
        lastSuccessAt: state.lastSuccessAt,
        lastReceived: state.lastReceived,
        lastError: state.lastError,
        lastErrorAt: state.lastErrorAt,
        uidValidity: state.uidValidity,
        lastUid: state.lastUid,
      });
    }
    return out;
  }

  /**
   * "Test connection": logs in and looks at the folder of a configured mailbox (by name) or of mailbox options not
   * configured yet. Resolves `{ ok: false, error }` with a readable reason rather than throwing.
   */
  async testConnection(mailbox: string | ImapMailboxOptions): Promise<ImapConnectionCheck> {
    let resolved: ResolvedImapMailbox | undefined;
    try {
      resolved = typeof mailbox === 'string' ? this.mailboxes.get(mailbox) : resolveImapMailbox(mailbox);
    } catch (error) {
      return { ok: false, error: (error as Error).message };
    }
    if (!resolved) return { ok: false, error: `no IMAP mailbox named "${mailbox as string}"` };
    return testImapConnection(resolved);
  }
}

function intervalName(mailbox: string): string {
  return `${MAILBOX_FETCH_JOB}:${mailbox}`;
}
