import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { assertConformingMime } from '../../support/mime-conformance.js';

/** One mail as the sink received it: the raw bytes and the SMTP envelope. */
export interface SinkMail {
  raw: Buffer;
  /** MAIL FROM */
  mailFrom: string;
  /** RCPT TO, accepted ones */
  rcptTo: string[];
  /** the unfolded header block, for quick assertions */
  head: string;
  messageId: string | undefined;
}

export interface SmtpSinkOptions {
  /** answer RCPT TO for this address with a 550 and this text */
  reject?: (address: string) => string | undefined;
  /** answer each mail's DATA this much later (a slow server) */
  acceptDelayMs?: number;
}

/**
 * A real SMTP server on loopback that keeps what it receives. `stop()` drops it mid-run (open connections included);
 * `start()` brings it back on the same port. Every mail it received is read by an independent strict parser when it
 * stops (see mime-conformance.ts): a malformed mail fails the test that stops the sink, whatever the test checked.
 */
export class SmtpSink {
  readonly mails: SinkMail[] = [];
  port = 0;
  private server: SMTPServer | undefined;
  private readonly sockets = new Set<Socket>();
  private waiters: { n: number; resolve: () => void }[] = [];
  /** mails before this index were read by the conformance check already */
  private checked = 0;

  private constructor(private readonly options: SmtpSinkOptions) {}

  static async start(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(options);
    await sink.start();
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** server options for the chatter's `outgoing.servers` */
  transport() {
    return { host: '127.0.0.1', port: this.port, secure: false, ignoreTLS: true };
  }

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      size: 50 << 20,
      onRcptTo: (address, _session, callback) => {
        const refusal = this.options.reject?.(address.address);
        if (refusal) return callback(Object.assign(new Error(refusal), { responseCode: 550 }));
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const head = raw.toString('utf8').split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
          const messageId = /^message-id:\s*(.+)$/im.exec(head)?.[1].trim();
          const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const accept = () => {
            this.mails.push({ raw, mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address), head, messageId });
            callback();
            this.notify();
          };
          if (this.options.acceptDelayMs) setTimeout(accept, this.options.acceptDelayMs);
          else accept();
        });
      },
    });
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    server.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.port = (server.server.address() as { port: number }).port;
    this.server = server;
  }

  /** closes the port and cuts every open connection, then checks the mails received since the last check */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await this.checkConformance();
  }

  /** reads the mails received since the last check with Python's `email` package; throws on any defect */
  async checkConformance(): Promise<void> {
    const fresh = this.mails.slice(this.checked);
    this.checked = this.mails.length;
    await assertConformingMime(fresh.map((m) => m.raw), `the SMTP sink on port ${this.port}`);
  }

  /** mails received for `address` */
  to(address: string): SinkMail[] {
    return this.mails.filter((m) => m.rcptTo.includes(address));
  }

  /** resolves once at least `n` mails arrived; fails after `timeoutMs` saying how many did */
  waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.mails.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`smtp sink: expected ${n} mails, got ${this.mails.length} after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  private notify(): void {
    const ready = this.waiters.filter((w) => this.mails.length >= w.n);
    this.waiters = this.waiters.filter((w) => this.mails.length < w.n);
    for (const w of ready) w.resolve();
  }
}
