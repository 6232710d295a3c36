import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { InboundConfig } from '../gateway/inbound-config.js';
import { InboundGateway } from '../gateway/inbound-gateway.js';
import { RecipientCheck } from './recipient-check.js';

/**
 * The SMTP listener (an MX for the chatter's domains): refuses unknown recipients at RCPT TO (the sending server
 * bounces, we never send backscatter), refuses mail over the size limit without holding it (what streams in past
 * the limit is dropped as it comes), limits recipients per mail and connections per client IP, and answers 250 to
 * DATA only after the ledger row is committed. Off unless `incoming.smtpListen` is set; `:0` takes a free port (see
 * `address()`). STARTTLS with `incoming.smtpTls`; plain SMTP without.
 */
@Injectable()
export class SmtpListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChatterSmtp');
  private server?: SMTPServer;
  /** open connections per client IP */
  private readonly connections = new Map<string, number>();

  constructor(
    private readonly config: InboundConfig,
    private readonly gateway: InboundGateway,
    private readonly recipients: RecipientCheck,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const listen = this.config.smtpListen;
    if (listen) await this.start(listen.host, listen.port);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** where it listens, once started */
  address(): { host: string; port: number } | undefined {
    const address = this.server?.server.address() as AddressInfo | null | undefined;
    return address ? { host: address.address, port: address.port } : undefined;
  }

  async start(host: string, port: number): Promise<void> {
    if (this.server) return;
    const { maxBytes, smtpMaxRecipients, smtpMaxConnectionsPerIp, smtpTls } = this.config;
    const server = new SMTPServer({
      name: this.config.chatter.defaultDomain.name,
      banner: 'nestjs-chatter',
      authOptional: true,
      disabledCommands: smtpTls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(smtpTls ? { key: smtpTls.key, cert: smtpTls.cert } : {}),
      size: maxBytes,
      logger: false,
      onConnect: (session: SMTPServerSession, callback: (error?: Error) => void) => {
        const ip = session.remoteAddress;
        const open = this.connections.get(ip) ?? 0;
        if (open >= smtpMaxConnectionsPerIp) return callback(smtpError(421, `too many connections from ${ip} (limit ${smtpMaxConnectionsPerIp}); try again later`));
        this.connections.set(ip, open + 1);
        (session as SMTPServerSession & { counted?: boolean }).counted = true;
        callback();
      },
      onClose: (session: SMTPServerSession) => {
        if (!(session as SMTPServerSession & { counted?: boolean }).counted) return;
        const left = (this.connections.get(session.remoteAddress) ?? 1) - 1;
        if (left > 0) this.connections.set(session.remoteAddress, left);
        else this.connections.delete(session.remoteAddress);
      },
      onRcptTo: (address: SMTPServerAddress, session: SMTPServerSession, callback: (error?: Error) => void) => {
        if (session.envelope.rcptTo.length >= smtpMaxRecipients) return callback(smtpError(452, `too many recipients (limit ${smtpMaxRecipients} per mail)`));
        this.recipients.check(address.address).then(
          (verdict) => callback(verdict.ok ? undefined : smtpError(verdict.code === 'relay_denied' ? 554 : 550, verdict.message)),
          (error: Error) => callback(smtpError(451, `temporary failure: ${error.message}`)),
        );
      },
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null, message?: string) => void) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        stream.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // past the limit nothing more is kept: the rest is read off the socket and dropped, then answered 552
          if (bytes > maxBytes) chunks.length = 0;
          else chunks.push(chunk);
        });
        stream.on('end', () => {
          if (stream.sizeExceeded || bytes > maxBytes) return callback(smtpError(552, `message exceeds the size limit of ${maxBytes} bytes`));
          const recipients = session.envelope.rcptTo.map((r) => r.address);
          const mailFrom = session.envelope.mailFrom;
          const envelopeFrom = mailFrom ? mailFrom.address : '';
          this.gateway.receive(Buffer.concat(chunks), { kind: 'smtp', recipients, envelopeFrom, clientIp: session.remoteAddress }).then(
            (receipt) => callback(null, `OK: queued as ${receipt.id}${receipt.duplicate ? ' (duplicate)' : ''}`),
            (error: Error & { status?: number }) => callback(smtpError(error.status === 413 ? 552 : error.status && error.status < 500 ? 554 : 451, error.message)),
          );
        });
      },
    });
    server.on('error', (error: Error) => this.logger.warn(`SMTP listener: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const bound = this.address();
    this.logger.log(`SMTP listener on ${bound?.host}:${bound?.port}`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}
