import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { InboundConfig } from '../gateway/inbound-config.js';
import { InboundGateway } from '../gateway/inbound-gateway.js';
import { RecipientCheck } from './recipient-check.js';

/**
 * The SMTP listener (an MX for the chatter's domains): refuses unknown recipients at RCPT TO (the sending server
 * bounces, we never send backscatter), refuses mail over the size limit, and answers 250 to DATA only after the
 * ledger row is committed. Off unless `incoming.smtpListen` is set; `:0` takes a free port (see `address()`).
 * Plain SMTP on the address given: put it behind your MTA or on loopback, or terminate TLS in front of it.
 */
@Injectable()
export class SmtpListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChatterSmtp');
  private server?: SMTPServer;

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
    const maxBytes = this.config.maxBytes;
    const server = new SMTPServer({
      name: this.config.chatter.defaultDomain.name,
      banner: 'nestjs-chatter',
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: maxBytes,
      logger: false,
      onRcptTo: (address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error) => void) => {
        this.recipients.check(address.address).then(
          (verdict) => callback(verdict.ok ? undefined : smtpError(verdict.code === 'relay_denied' ? 554 : 550, verdict.message)),
          (error: Error) => callback(smtpError(451, `temporary failure: ${error.message}`)),
        );
      },
      onData: (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null, message?: string) => void) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (stream.sizeExceeded) return callback(smtpError(552, `message exceeds the size limit of ${maxBytes} bytes`));
          const recipients = session.envelope.rcptTo.map((r) => r.address);
          this.gateway.receive(Buffer.concat(chunks), { kind: 'smtp', recipients }).then(
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
