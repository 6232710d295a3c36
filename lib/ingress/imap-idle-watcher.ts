import type { Logger } from '@nestjs/common';
import type { ImapFlow } from 'imapflow';
import { closeImapConnection, describeImapError, openImapConnection } from './imap-connection.js';
import type { ResolvedImapMailbox } from './imap-mailbox-config.js';

/** Restart IDLE this often: servers drop an IDLE connection after 30 minutes of client silence (RFC 9051). */
const IDLE_RESTART_MS = 10 * 60_000;
const MAX_BACKOFF_MS = 60_000;

/**
 * Keeps one read-only connection to a mailbox in IDLE and calls `onMail` when the server announces new mail (or a
 * new UIDVALIDITY), so the fetch runs within a second instead of at the next interval. It only signals: fetching
 * stays with the fetch job. Reconnects with backoff; `stop()` closes the socket and waits for the loop to end.
 */
export class ImapIdleWatcher {
  private client: ImapFlow | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** true while a connection is in IDLE: health reports it */
  connected = false;

  constructor(
    private readonly mailbox: ResolvedImapMailbox,
    private readonly onMail: () => void,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await closeImapConnection(this.client);
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 1000;
    while (!this.stopped) {
      try {
        await this.watch();
        backoff = 1000;
      } catch (error) {
        if (this.stopped) break;
        this.logger.warn(`IDLE: ${describeImapError(error, this.mailbox)}; reconnecting in ${Math.round(backoff / 1000)} s`);
      }
      this.connected = false;
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  }

  /** one connection's life: open, select read-only, catch up once, then IDLE until the connection ends */
  private async watch(): Promise<void> {
    const client = await openImapConnection(this.mailbox, { maxIdleTime: IDLE_RESTART_MS });
    this.client = client;
    try {
      if (this.stopped) return;
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.on('exists', (event) => {
        if (event.count > event.prevCount) this.onMail();
      });
      await client.mailboxOpen(this.mailbox.folder, { readOnly: true });
      // the folder reopened under a new UIDVALIDITY: the fetch resyncs
      client.on('mailboxOpen', () => this.onMail());
      this.connected = true;
      // mail that arrived while we were not connected
      this.onMail();
      while (!this.stopped && client.usable) {
        const started = Date.now();
        const outcome = await Promise.race([client.idle(), closed.then(() => 'closed' as const)]);
        if (outcome === 'closed') break;
        // a server without IDLE falls back to polling inside idle(); never spin if it returns at once
        if (Date.now() - started < 100) await new Promise((r) => setTimeout(r, 1000));
      }
      if (!this.stopped) throw Object.assign(new Error('the server closed the IDLE connection'), { code: 'EConnectionClosed' });
    } finally {
      this.connected = false;
      this.client = undefined;
      await closeImapConnection(client);
    }
  }
}
