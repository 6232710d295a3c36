import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import type { SendMailOptions, SentMessageInfo } from 'nodemailer/lib/mailer';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import { chooseServer, type OutgoingServer } from './outgoing-server.js';
import { composeMime, type MimeMail } from './mime-composer.js';

/** the SMTP envelope: MAIL FROM (the VERP address) and RCPT TO */
export interface Envelope {
  from: string;
  to: string[];
}

/**
 * Pool settings every SMTP server gets unless its own options say otherwise (Odoo: 1,000 mails per SMTP session,
 * 60 s timeouts).
 */
export const SMTP_POOL_DEFAULTS: SMTPPoolOptions = {
  pool: true,
  maxConnections: 5,
  maxMessages: 1000,
  connectionTimeout: 60_000,
  greetingTimeout: 60_000,
  socketTimeout: 60_000,
};

/** One nodemailer transporter per outgoing server, created on first use and reused (one connection pool per server). */
export class MailTransports {
  private readonly transporters = new Map<string, Mail>();
  private closed = false;

  constructor(
    readonly servers: OutgoingServer[],
    private readonly poolDefaults: SMTPPoolOptions = SMTP_POOL_DEFAULTS,
  ) {}

  get configured(): boolean {
    return this.servers.length > 0;
  }

  choose(fromAddress: string, notificationsAddress: string): OutgoingServer | undefined {
    return chooseServer(this.servers, fromAddress, notificationsAddress);
  }

  /** serializes `mail` (see composeMime) and sends it with `envelope` through `server` */
  sendMime(server: OutgoingServer, mail: MimeMail, envelope: Envelope): Promise<SentMessageInfo> {
    return this.send(server, { raw: composeMime(mail), envelope: { from: envelope.from, to: envelope.to }, messageId: mail.messageId });
  }

  /** sends through `server`'s pooled transporter; DKIM-signs when the server has a key */
  send(server: OutgoingServer, mail: SendMailOptions): Promise<SentMessageInfo> {
    if (this.closed) return Promise.reject(Object.assign(new Error('mail transports are closed'), { code: 'ECLOSED' }));
    return this.transporter(server).sendMail(server.dkim ? { ...mail, dkim: server.dkim } : mail);
  }

  transporter(server: OutgoingServer): Mail {
    let transporter = this.transporters.get(server.name);
    if (!transporter) {
      const t = server.transport;
      transporter =
        typeof t === 'string'
          ? nodemailer.createTransport({ ...this.poolDefaults, url: t } as SMTPPoolOptions & { pool: true })
          : 'send' in t && typeof t.send === 'function'
            ? nodemailer.createTransport(t)
            : nodemailer.createTransport({ ...this.poolDefaults, ...(t as SMTPPoolOptions) } as SMTPPoolOptions & { pool: true });
      this.transporters.set(server.name, transporter);
    }
    return transporter;
  }

  /** closes every pool (after the senders finished: a closed pool fails what it still holds) */
  async close(): Promise<void> {
    this.closed = true;
    for (const transporter of this.transporters.values()) transporter.close();
    this.transporters.clear();
  }
}
