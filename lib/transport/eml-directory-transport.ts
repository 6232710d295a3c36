import { mkdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Transport } from 'nodemailer/lib/mailer';
import type MailMessage from 'nodemailer/lib/mailer/mail-message';

export interface EmlDirectoryTransportOptions {
  /** where the `.eml` files go; created when missing */
  directory: string;
}

export interface EmlSentMessageInfo {
  envelope: { from: string | false; to: string[] };
  messageId: string;
  /** the file written */
  path: string;
  accepted: string[];
  rejected: string[];
}

let sequence = 0;

/**
 * A nodemailer transport that delivers each mail as an `.eml` file in a directory, so a quick start or a demo needs
 * no mail server. Like a local delivery it adds `Return-Path` (the envelope sender) and `Delivered-To` on top.
 * Files appear atomically (written under a temporary name, then renamed).
 */
export class EmlDirectoryTransport implements Transport<EmlSentMessageInfo> {
  readonly name = 'EmlDirectory';
  readonly version = '1.0.0';
  readonly directory: string;

  constructor(options: EmlDirectoryTransportOptions) {
    if (!options?.directory) throw new Error('EmlDirectoryTransport: `directory` is required');
    this.directory = resolve(options.directory);
    mkdirSync(this.directory, { recursive: true });
  }

  send(mail: MailMessage<EmlSentMessageInfo>, callback: (err: Error | null, info: EmlSentMessageInfo) => void): void {
    const envelope = mail.message.getEnvelope() as { from: string | false; to: string[] };
    const messageId = mail.message.messageId();
    const chunks: Buffer[] = [];
    const stream = mail.message.createReadStream();
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', (error: Error) => callback(error, undefined as never));
    stream.once('end', () => {
      const trace = `Return-Path: <${envelope.from || ''}>\r\nDelivered-To: ${envelope.to.join(', ')}\r\n`;
      const base = `${Date.now()}-${process.pid}-${++sequence}`;
      const path = join(this.directory, `${base}.eml`);
      const temporary = join(this.directory, `.${base}.tmp`);
      writeFile(temporary, Buffer.concat([Buffer.from(trace), ...chunks]))
        .then(() => rename(temporary, path))
        .then(
          () => callback(null, { envelope, messageId, path, accepted: envelope.to, rejected: [] }),
          (error: Error) => callback(error, undefined as never),
        );
    });
  }
}
