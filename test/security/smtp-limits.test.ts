import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMAIN, mail, startInboundHost, type InboundHost } from '../inbound/support/inbound-host.js';

/** A line-by-line SMTP client: what a hostile client does, one command at a time. */
class SmtpDialogue {
  private buffer = '';
  private waiting?: () => void;
  constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.waiting?.();
    });
  }
  static open(port: number): Promise<SmtpDialogue> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new SmtpDialogue(socket)));
      socket.once('error', reject);
    });
  }
  /** the next complete reply (its last line has a space after the code) */
  async reply(): Promise<string> {
    for (;;) {
      const m = /^(?:\d{3}-.*\r\n)*\d{3}(?: .*)?\r\n/.exec(this.buffer);
      if (m) {
        this.buffer = this.buffer.slice(m[0].length);
        return m[0].trim();
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no SMTP reply; got ${JSON.stringify(this.buffer)}`)), 20_000);
        this.waiting = () => (clearTimeout(timer), resolve());
      });
    }
  }
  async send(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }
  close(): void {
    this.socket.destroy();
  }
}

/** SMTP listener limits (issue 27, "What was seen" 5): memory, recipients and connections are bounded; STARTTLS works. */
describe('the SMTP listener under abuse', () => {
  let host: InboundHost;
  let tlsDir: string;
  const MAX_BYTES = 1 << 20;
  beforeAll(async () => {
    tlsDir = mkdtempSync(join(tmpdir(), 'chatter-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem')], { stdio: 'ignore' });
    host = await startInboundHost('sqlite', {
      smtp: true,
      incoming: {
        maxBytes: MAX_BYTES,
        smtpLimits: { maxRecipients: 3, maxConnectionsPerIp: 3 },
        smtpTls: { key: readFileSync(join(tlsDir, 'key.pem')), cert: readFileSync(join(tlsDir, 'cert.pem')) },
      },
    });
  });
  afterAll(async () => {
    await host?.close();
    rmSync(tlsDir, { recursive: true, force: true });
  });

  it('a mail far over the size limit is read off and dropped as it streams: 552, and memory stays flat', async () => {
    const smtp = await SmtpDialogue.open(host.smtpPort!);
    try {
      expect(await smtp.reply()).toMatch(/^220 /);
      expect(await smtp.send('EHLO attacker.test')).toMatch(/SIZE 1048576/);
      expect(await smtp.send('MAIL FROM:<big@outside.test>')).toMatch(/^250 /);
      expect(await smtp.send(`RCPT TO:<support@${DOMAIN}>`)).toMatch(/^250 /);
      expect(await smtp.send('DATA')).toMatch(/^354 /);
      global.gc?.();
      const idle = process.memoryUsage().rss;
      let peak = idle;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const line = `${'x'.repeat(998)}\r\n`;
      const chunk = Buffer.from(line.repeat(1024)); // ~1 MiB
      const TOTAL_MIB = Number(process.env.SMTP_ABUSE_MIB ?? 1024);
      try {
        for (let i = 0; i < TOTAL_MIB; i++) {
          if (!smtp.socket.write(chunk)) await new Promise((resolve) => smtp.socket.once('drain', resolve));
        }
        const answer = await smtp.send('\r\n.');
        expect(answer).toMatch(/^552 .*exceeds the size limit of 1048576 bytes/);
      } finally {
        clearInterval(sampler);
      }
      const grewMiB = (peak - idle) / (1 << 20);
      console.log(`SMTP ${TOTAL_MIB} MiB mail over a 1 MiB limit: RSS ${Math.round(idle / (1 << 20))} MiB idle, +${grewMiB.toFixed(1)} MiB at peak`);
      expect(grewMiB).toBeLessThan(48);
    } finally {
      smtp.close();
    }
  }, 120_000);

  it('refuses recipients past the per-mail limit with 452', async () => {
    const smtp = await SmtpDialogue.open(host.smtpPort!);
    try {
      await smtp.reply();
      await smtp.send('EHLO attacker.test');
      await smtp.send('MAIL FROM:<many@outside.test>');
      for (const to of ['support', 'sales', 'catchall']) expect(await smtp.send(`RCPT TO:<${to}@${DOMAIN}>`)).toMatch(/^250 /);
      expect(await smtp.send(`RCPT TO:<support+again@${DOMAIN}>`)).toMatch(/^452 .*too many recipients \(limit 3 per mail\)/);
    } finally {
      smtp.close();
    }
  });

  it('refuses a client IP its connections past the limit with 421, and takes it again once one closes', async () => {
    const open = await Promise.all([0, 1, 2].map(() => SmtpDialogue.open(host.smtpPort!)));
    try {
      for (const s of open) expect(await s.reply()).toMatch(/^220 /);
      const extra = await SmtpDialogue.open(host.smtpPort!);
      expect(await extra.reply()).toMatch(/^421 .*too many connections from .* \(limit 3\)/);
      extra.close();
      open.pop()!.send('QUIT');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const again = await SmtpDialogue.open(host.smtpPort!);
      expect(await again.reply()).toMatch(/^220 /);
      again.close();
    } finally {
      for (const s of open) s.close();
    }
  });

  it('offers STARTTLS with the configured certificate, and takes a mail over it', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: host.smtpPort, secure: false, requireTLS: true, tls: { rejectUnauthorized: false } });
    try {
      const info = await transport.sendMail({ envelope: { from: 'tls@outside.test', to: [`support@${DOMAIN}`] }, raw: mail({ from: 'tls@outside.test', to: `support@${DOMAIN}`, subject: 'Over TLS' }) });
      const row = await host.row(Number(/queued as (\d+)/.exec(info.response)?.[1]));
      expect(row).toMatchObject({ status: 'delivered', decision: 'alias', subject: 'Over TLS' });
    } finally {
      transport.close();
    }
  });
});
